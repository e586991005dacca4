/*
 * `sioc serve`: a reference Socket.IO / Engine.IO server on libsioc's
 * session machines and the network layer of net.h (see docs/serve.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "serve_glue.h"
#include "sioc/sio_msgpack.h"
#include "sioc_cli.h"
#include "sioc_jsonl.h"

#define VERB "serve"
#define MAX_MS 2147483647u            /* timer options: up to 2^31 - 1 ms (24.8 days) */
#define MAX_PAYLOAD_LIMIT ((size_t)1 << 30)
#define MAX_PATH_LEN 1024u
#define MAX_HOST_LEN 255u
#define SHUTDOWN_GRACE_MS 2000u       /* at most this long to finish answers after a signal */
#define SHUTDOWN_FLUSH_MS 1000u       /* then at most this long for the last bytes to leave */

static const char serve_help[] =
    "NAME\n"
    "    sioc serve - run a reference Socket.IO / Engine.IO server\n"
    "\n"
    "SYNOPSIS\n"
    "    sioc serve [--host ADDR] [--port N] [--path PATH] [--app chat|test-suite]\n"
    "               [--eio 3|4|3,4] [--parser json|msgpack] [--recovery]\n"
    "               [--ping-interval MS] [--ping-timeout MS] [--max-payload BYTES]\n"
    "               [--connect-timeout MS] [--tls-cert FILE --tls-key FILE]\n"
    "               [--log json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Serves Socket.IO (Engine.IO polling and WebSocket, upgrades, namespaces,\n"
    "    acks, binary) on PATH with the session machines of libsioc. Once\n"
    "    listening it prints exactly one line on stdout and flushes it:\n"
    "      {\"listening\":\"http://127.0.0.1:3000/socket.io/\"}\n"
    "    (https with TLS; the test-suite application adds\n"
    "    \"engine.io\":\"http://127.0.0.1:3000/engine.io/\"). Requests for other\n"
    "    paths get 404. SIGINT or SIGTERM closes every session (\"server shutting\n"
    "    down\") and exits 0.\n"
    "\n"
    "OPTIONS\n"
    "    --host ADDR          address to listen on (default 127.0.0.1)\n"
    "    --port N             port (default 3000; 0: any free port, see the line)\n"
    "    --path PATH          the Socket.IO path (default /socket.io/; a missing\n"
    "                         trailing slash is added)\n"
    "    --app NAME           chat (default): every namespace, rooms, broadcast,\n"
    "                         echo and acks both ways; test-suite: what the\n"
    "                         servers of the official protocol test suites do,\n"
    "                         with an Engine.IO echo server on /engine.io/ too\n"
    "    --eio VERSIONS       Engine.IO versions accepted: 4 (default, as\n"
    "                         socket.io 4), 3 (socket.io 2 clients) or 3,4\n"
    "    --parser NAME        json (default) or msgpack (socket.io-msgpack-parser)\n"
    "    --recovery           connection state recovery (socket.io 4.6's\n"
    "                         connectionStateRecovery, 2 minutes)\n"
    "    --ping-interval MS   default 25000 (test-suite: 300)\n"
    "    --ping-timeout MS    default 20000 (test-suite: 200)\n"
    "    --max-payload BYTES  maxPayload / maxHttpBufferSize, default 1000000\n"
    "    --connect-timeout MS time for a v5 client's first CONNECT, default 45000\n"
    "                         (test-suite: 1000); 0: none\n"
    "    --tls-cert FILE      serve https/wss with this PEM certificate ...\n"
    "    --tls-key FILE       ... and this PEM key (both or neither)\n"
    "    --log json           one JSON line per session event on stdout, after\n"
    "                         the listening line: {\"t\":MS,\"event\":\"eio_open\",...}\n"
    "    -h, --help           print this help and exit\n"
    "\n"
    "EXIT STATUS\n"
    "    0  stopped by SIGINT or SIGTERM\n"
    "    2  bad command line, or the server could not start (address in use,\n"
    "       bad certificate) or the network failed\n"
    "\n"
    "EXAMPLE\n"
    "    sioc serve --port 0 --app test-suite --eio 3,4\n"
    "    {\"listening\":\"http://127.0.0.1:41234/socket.io/\",\n"
    "     \"engine.io\":\"http://127.0.0.1:41234/engine.io/\"}   (one line)\n";

typedef struct serve_cli {
    const char *host;
    size_t port;
    const char *path;
    const char *app;
    unsigned versions;
    int parser;
    bool recovery;
    bool has_ping_interval, has_ping_timeout, has_connect_timeout;
    size_t ping_interval, ping_timeout, max_payload, connect_timeout;
    const char *tls_cert;
    const char *tls_key;
    bool log;
} serve_cli;

static int parse_versions(const char *v, unsigned *out)
{
    if (strcmp(v, "4") == 0) {
        *out = EIO_ACCEPT_V4;
    } else if (strcmp(v, "3") == 0) {
        *out = EIO_ACCEPT_V3;
    } else if (strcmp(v, "3,4") == 0 || strcmp(v, "4,3") == 0) {
        *out = EIO_ACCEPT_V3 | EIO_ACCEPT_V4;
    } else {
        sioc_usage_error(VERB, "--eio must be 3, 4 or 3,4, got '%s'", v);
        return -1;
    }
    return 0;
}

/* Returns 1 to go on, 0 after --help, or -1 after a usage error. */
static int parse_args(int argc, char **argv, serve_cli *c)
{
    memset(c, 0, sizeof(*c));
    c->host = "127.0.0.1";
    c->port = 3000;
    c->path = "/socket.io/";
    c->app = "chat";
    c->versions = EIO_ACCEPT_V4;
    c->max_payload = 1000000;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        int which = 0;
        int m;
        if (sioc_opt_flag(arg, "--help") || sioc_opt_flag(arg, "-h")) {
            fputs(serve_help, stdout);
            return 0;
        }
        if (sioc_opt_flag(arg, "--recovery")) {
            c->recovery = true;
            continue;
        }
#define VALUE(name)                                                                        \
    ((m = sioc_opt_value(VERB, argc, argv, &i, name, &val)) < 0 ? -1 : m)
        if ((m = VALUE("--host")) != 0) {
            if (m < 0) {
                return -1;
            }
            if (*val == '\0' || strlen(val) > MAX_HOST_LEN) {
                sioc_usage_error(VERB, "--host needs an address of at most %u bytes",
                                 MAX_HOST_LEN);
                return -1;
            }
            c->host = val;
        } else if ((m = VALUE("--port")) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--port", val, 0, 65535, &c->port) != 0) {
                return -1;
            }
        } else if ((m = VALUE("--path")) != 0) {
            if (m < 0) {
                return -1;
            }
            if (val[0] != '/' || strlen(val) > MAX_PATH_LEN || strpbrk(val, "?# \t\r\n")) {
                sioc_usage_error(VERB,
                                 "--path must start with '/', hold no '?', '#' or blanks "
                                 "and be at most %u bytes, got '%s'",
                                 MAX_PATH_LEN, val);
                return -1;
            }
            c->path = val;
        } else if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--app", "chat", "test-suite",
                                        &which)) != 0) {
            if (m < 0) {
                return -1;
            }
            c->app = which == 0 ? "chat" : "test-suite";
        } else if ((m = VALUE("--eio")) != 0) {
            if (m < 0 || parse_versions(val, &c->versions) != 0) {
                return -1;
            }
        } else if ((m = sioc_opt_choice(VERB, argc, argv, &i, "--parser", "json", "msgpack",
                                        &which)) != 0) {
            if (m < 0) {
                return -1;
            }
            c->parser = which;
        } else if ((m = VALUE("--ping-interval")) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--ping-interval", val, 1, MAX_MS,
                                         &c->ping_interval) != 0) {
                return -1;
            }
            c->has_ping_interval = true;
        } else if ((m = VALUE("--ping-timeout")) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--ping-timeout", val, 1, MAX_MS,
                                         &c->ping_timeout) != 0) {
                return -1;
            }
            c->has_ping_timeout = true;
        } else if ((m = VALUE("--connect-timeout")) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--connect-timeout", val, 0, MAX_MS,
                                         &c->connect_timeout) != 0) {
                return -1;
            }
            c->has_connect_timeout = true;
        } else if ((m = VALUE("--max-payload")) != 0) {
            if (m < 0 || sioc_parse_size(VERB, "--max-payload", val, 1, MAX_PAYLOAD_LIMIT,
                                         &c->max_payload) != 0) {
                return -1;
            }
        } else if ((m = VALUE("--tls-cert")) != 0) {
            if (m < 0) {
                return -1;
            }
            c->tls_cert = val;
        } else if ((m = VALUE("--tls-key")) != 0) {
            if (m < 0) {
                return -1;
            }
            c->tls_key = val;
        } else if ((m = VALUE("--log")) != 0) {
            if (m < 0) {
                return -1;
            }
            if (strcmp(val, "json") != 0) {
                sioc_usage_error(VERB, "--log must be json, got '%s'", val);
                return -1;
            }
            c->log = true;
        } else {
            sioc_usage_error(VERB,
                             arg[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'",
                             arg);
            return -1;
        }
#undef VALUE
    }
    if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
        sioc_usage_error(VERB, "--tls-cert and --tls-key go together");
        return -1;
    }
    if (c->parser == 1 && !sio_msgpack_available()) {
        sioc_usage_error(VERB, "--parser msgpack: this build has no msgpack support");
        return -1;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Signals: a self-pipe watched by the loop                                  */
/* ------------------------------------------------------------------------ */

static int sig_pipe[2] = {-1, -1};

static void on_signal_handler(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(sig_pipe[1], &b, 1);
    (void)n; /* a full pipe already holds a wake-up */
    errno = saved;
}

static void on_signal_fd(net_loop *l, int fd, void *ud)
{
    bool *stop = ud;
    unsigned char buf[16];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    *stop = true;
    net_wake(l);
}

static int signals_install(void)
{
    if (pipe(sig_pipe) != 0) {
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal_handler;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void signals_remove(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    for (int i = 0; i < 2; i++) {
        if (sig_pipe[i] >= 0) {
            close(sig_pipe[i]);
            sig_pipe[i] = -1;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Running                                                                   */
/* ------------------------------------------------------------------------ */

static void url_into(sioc_jbuf *b, bool tls, const char *host, uint16_t port, const char *path)
{
    char text[MAX_PATH_LEN + 400];
    bool v6 = strchr(host, ':') != NULL;
    int n = snprintf(text, sizeof(text), "%s://%s%s%s:%u%s", tls ? "https" : "http",
                     v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port, path);
    if (n < 0 || (size_t)n >= sizeof(text)) {
        n = 0;
    }
    sioc_jbuf_string(b, (const uint8_t *)text, (size_t)n);
}

static int run(int argc, char **argv)
{
    serve_cli c;
    int pr = parse_args(argc, argv, &c);
    if (pr <= 0) {
        return pr == 0 ? SIOC_EXIT_OK : SIOC_EXIT_USAGE;
    }
    bool test_suite = strcmp(c.app, "test-suite") == 0;

    /* The path, with its trailing slash. */
    char path[MAX_PATH_LEN + 2];
    size_t plen = strlen(c.path);
    memcpy(path, c.path, plen + 1);
    if (path[plen - 1] != '/') {
        path[plen] = '/';
        path[plen + 1] = '\0';
    }
    if (test_suite && strcmp(path, "/engine.io/") == 0) {
        return sioc_usage_error(VERB, "--app test-suite serves Engine.IO on /engine.io/: "
                                      "choose another --path");
    }
    for (const char *f = c.tls_cert; f != NULL; f = (f == c.tls_cert ? c.tls_key : NULL)) {
        if (access(f, R_OK) != 0) {
            sioc_error(VERB, "cannot read '%s': %s", f, strerror(errno));
            return SIOC_EXIT_USAGE;
        }
    }

    serve_app_config ac;
    memset(&ac, 0, sizeof(ac));
    ac.sio_path = path;
    eio_server_options_default(&ac.eio);
    ac.eio.versions = c.versions;
    ac.eio.max_payload = c.max_payload;
    ac.eio.ping_interval = (uint32_t)(c.has_ping_interval ? c.ping_interval
                                      : test_suite       ? 300
                                                         : ac.eio.ping_interval);
    ac.eio.ping_timeout = (uint32_t)(c.has_ping_timeout ? c.ping_timeout
                                     : test_suite      ? 200
                                                       : ac.eio.ping_timeout);
    sio_server_options_default(&ac.sio);
    ac.sio.parser = c.parser == 1 ? SIO_PARSER_MSGPACK : SIO_PARSER_JSON;
    ac.sio.recovery = c.recovery;
    ac.sio.connect_timeout = (uint32_t)(c.has_connect_timeout ? c.connect_timeout
                                        : test_suite          ? 1000
                                                              : ac.sio.connect_timeout);

    serve_host_options ho;
    memset(&ho, 0, sizeof(ho));
    ho.net.host = c.host;
    ho.net.port = (uint16_t)c.port;
    ho.net.tls_cert = c.tls_cert;
    ho.net.tls_key = c.tls_key;
    /* One byte over: the machines see oversized requests and answer them as
       the reference does (413, or the session's transport error). */
    ho.net.max_body = c.max_payload + 1;
    ho.net.max_message = c.max_payload + 1;
    ho.log = c.log ? stdout : NULL;

    if (signals_install() != 0) {
        sioc_error(VERB, "cannot set up signal handling: %s",
                   strerror(errno));
        signals_remove();
        return SIOC_EXIT_USAGE;
    }
    int status = SIOC_EXIT_USAGE;
    net_loop *l = NULL;
    serve_host *h = NULL;
    serve_app *app = NULL;
    bool stop = false;
    bool watching = false;
    int rc = net_loop_new(&l, NULL);
    if (rc != NET_OK) {
        sioc_error(VERB, "cannot create the event loop");
        goto out;
    }
    if (net_fd_watch(l, sig_pipe[0], on_signal_fd, &stop) != NET_OK) {
        sioc_error(VERB, "cannot watch the signal pipe");
        goto out;
    }
    watching = true;
    rc = serve_host_new(l, &ho, &h);
    if (rc != 0) {
        sioc_error(VERB, "cannot listen on %s port %zu%s", c.host, c.port,
                   rc == NET_ERR_NOMEM ? ": out of memory"
                   : c.tls_cert        ? " (address in use or unavailable, or the certificate "
                                         "or key was refused)"
                                       : " (address in use or unavailable)");
        goto out;
    }
    rc = serve_app_new(c.app, h, &ac, &app);
    if (rc != 0) {
        sioc_error(VERB, "cannot set up the %s application%s", c.app,
                   rc == NET_ERR_NOMEM ? ": out of memory" : "");
        goto out;
    }

    {
        sioc_jbuf b = {0};
        uint16_t port = serve_host_port(h);
        sioc_jbuf_lit(&b, "{\"listening\":");
        url_into(&b, c.tls_cert != NULL, c.host, port, path);
        if (serve_app_has_engineio(app)) {
            sioc_jbuf_lit(&b, ",\"engine.io\":");
            url_into(&b, c.tls_cert != NULL, c.host, port, "/engine.io/");
        }
        sioc_jbuf_lit(&b, "}");
        int er = sioc_jbuf_emit(&b, stdout);
        sioc_jbuf_free(&b);
        if (er != 0 || fflush(stdout) != 0) {
            sioc_error(VERB, "cannot write to stdout");
            goto out;
        }
    }

    status = SIOC_EXIT_OK;
    while (!stop) {
        if (net_run_once(l, NET_TIME_NEVER) != NET_OK) {
            sioc_error(VERB, "the network loop failed");
            status = SIOC_EXIT_USAGE;
            break;
        }
    }

    /* Every session hears "server shutting down"; held polls and WebSockets
       get their close packet before the sockets close. */
    serve_host_shutdown(h);
    net_time end = net_now(l) + SHUTDOWN_GRACE_MS;
    while (serve_host_busy(h) && net_now(l) < end) {
        if (net_run_once(l, end) != NET_OK) {
            break;
        }
    }
    /* The last responses and close frames are handed to the sockets. */
    end = net_now(l) + SHUTDOWN_FLUSH_MS;
    while (net_flushing(l) > 0 && net_now(l) < end) {
        if (net_run_once(l, end) != NET_OK) {
            break;
        }
    }

out:
    serve_host_free(h);
    serve_app_free(app);
    if (watching) {
        net_fd_unwatch(l, sig_pipe[0]);
    }
    if (l != NULL) {
        net_loop_free(l);
    }
    signals_remove();
    return status;
}

const sioc_verb sioc_verb_serve = {"serve", "run a reference Socket.IO / Engine.IO server", run};
