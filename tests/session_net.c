/* placeholder: not written yet */
typedef int session_net_placeholder;
