/* placeholder: not implemented yet */
typedef int sioc_placeholder_eio_client;
