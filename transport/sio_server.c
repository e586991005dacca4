/* placeholder: not implemented yet */
typedef int sioc_placeholder_sio_server;
