/* placeholder: not built yet */
typedef int sioc_placeholder_unit;
