/*
 * The Engine.IO server machine: every request kind, transition, deadline
 * and error path, asserting the exact actions (status, Content-Type, body
 * bytes, frames) and events, on a fake clock and a counting allocator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sioc/eio_session.h"
#include "test_util.h"

#define CT_TEXT "text/plain; charset=UTF-8"
#define CT_BIN "application/octet-stream"
#define CT_JSON "application/json"

#define E_TRANSPORT "{\"code\":0,\"message\":\"Transport unknown\"}"
#define E_SID "{\"code\":1,\"message\":\"Session ID unknown\"}"
#define E_METHOD "{\"code\":2,\"message\":\"Bad handshake method\"}"
#define E_BAD "{\"code\":3,\"message\":\"Bad request\"}"
#define E_VERSION "{\"code\":5,\"message\":\"Unsupported protocol version\"}"

typedef struct h {
    eio_server *s;
    tu_failmem fm;
    uint8_t next;      /* the fake random source counts */
    bool rnd_fail;
    const uint8_t *rnd_pattern;
    uint32_t conn;     /* next connection id */
    size_t max_payload; /* the server's, as the handshake announces it */
} h;

static int fake_random(uint8_t *buf, size_t len, void *ud)
{
    h *t = ud;
    if (t->rnd_fail) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        buf[i] = t->rnd_pattern ? t->rnd_pattern[i] : t->next++;
    }
    return 0;
}

static void opts(h *t, eio_server_options *o)
{
    eio_server_options_default(o);
    o->random = fake_random;
    o->random_user_data = t;
}

static h *hnew_opt(const eio_server_options *o)
{
    h *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    tu_failmem_init(&t->fm, -1);
    eio_server_options oo = *o;
    oo.random_user_data = t;
    assert_int_equal(eio_server_new(&t->s, &oo, &t->fm.mem), 0);
    t->conn = 100;
    t->max_payload = o->max_payload;
    return t;
}

static h *hnew(unsigned versions)
{
    eio_server_options o;
    opts(NULL, &o);
    o.versions = versions;
    return hnew_opt(&o);
}

static void hfree(h *t)
{
    eio_server_free(t->s);
    assert_int_equal(t->fm.outstanding, 0);
    free(t);
}

/* ---- inputs ---- */

static int request(h *t, uint32_t conn, eio_http_method m, const char *query, const char *body,
                   size_t body_len, bool ws, eio_time now)
{
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = conn;
    r.method = m;
    r.query = query;
    r.query_len = query ? strlen(query) : 0;
    r.body = (const uint8_t *)body;
    r.body_len = body_len;
    r.websocket = ws;
    r.content_length = -1;
    return eio_server_handle_request(t->s, &r, now);
}

static void get(h *t, uint32_t conn, const char *query, eio_time now)
{
    assert_int_equal(request(t, conn, EIO_HTTP_GET, query, NULL, 0, false, now), 0);
}

static void post(h *t, uint32_t conn, const char *query, const char *body, size_t len,
                 eio_time now)
{
    assert_int_equal(request(t, conn, EIO_HTTP_POST, query, body, len, false, now), 0);
}

static void post_ct(h *t, uint32_t conn, const char *query, const char *ct, const char *body,
                    size_t len, eio_time now)
{
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = conn;
    r.method = EIO_HTTP_POST;
    r.query = query;
    r.query_len = strlen(query);
    r.content_type = ct;
    uint8_t *g = tu_guard_copy(body, len);
    r.body = g;
    r.body_len = len;
    r.content_length = -1;
    assert_int_equal(eio_server_handle_request(t->s, &r, now), 0);
    tu_guard_free(g, len);
}

static void ws_open(h *t, uint32_t conn, const char *query, eio_time now)
{
    assert_int_equal(request(t, conn, EIO_HTTP_GET, query, NULL, 0, true, now), 0);
}

static void ws_msg(h *t, uint32_t conn, const char *frame, size_t len, bool bin, eio_time now)
{
    uint8_t *g = tu_guard_copy(frame, len);
    assert_int_equal(eio_server_ws_message(t->s, conn, g, len, bin, now), 0);
    tu_guard_free(g, len);
}

/* ---- expectations ---- */

static void x_respond(h *t, uint32_t conn, int status, const char *ct, const char *body,
                      size_t len)
{
    eio_server_action a;
    assert_int_equal(eio_server_next_action(t->s, &a), 1);
    assert_int_equal(a.type, EIO_SERVER_HTTP_RESPOND);
    assert_int_equal(a.conn, conn);
    assert_int_equal(a.status, status);
    if (ct) {
        assert_non_null(a.content_type);
        assert_string_equal(a.content_type, ct);
    } else {
        assert_null(a.content_type);
    }
    assert_int_equal(a.len, len);
    if (len) {
        assert_memory_equal(a.body, body, len);
    }
}

static void x_ok(h *t, uint32_t conn)
{
    x_respond(t, conn, 200, "text/html", "ok", 2);
}

static void x_text(h *t, uint32_t conn, const char *body)
{
    x_respond(t, conn, 200, CT_TEXT, body, strlen(body));
}

static void x_err(h *t, uint32_t conn, const char *json)
{
    x_respond(t, conn, 400, CT_JSON, json, strlen(json));
}

static void x_ws(h *t, eio_server_action_type type, uint32_t conn)
{
    eio_server_action a;
    assert_int_equal(eio_server_next_action(t->s, &a), 1);
    assert_int_equal(a.type, type);
    assert_int_equal(a.conn, conn);
}

static void x_frame(h *t, uint32_t conn, const char *frame, size_t len, bool bin)
{
    eio_server_action a;
    assert_int_equal(eio_server_next_action(t->s, &a), 1);
    assert_int_equal(a.type, EIO_SERVER_WS_SEND);
    assert_int_equal(a.conn, conn);
    assert_int_equal(a.binary, bin);
    assert_int_equal(a.len, len);
    assert_memory_equal(a.body, frame, len);
}

static void x_no_action(h *t)
{
    eio_server_action a;
    assert_int_equal(eio_server_next_action(t->s, &a), 0);
}

static void x_event(h *t, eio_event_type type, uint32_t session)
{
    eio_event e;
    assert_int_equal(eio_server_next_event(t->s, &e), 1);
    assert_int_equal(e.type, type);
    assert_int_equal(e.session, session);
}

static void x_msg(h *t, uint32_t session, const char *data, size_t len, bool bin)
{
    eio_event e;
    assert_int_equal(eio_server_next_event(t->s, &e), 1);
    assert_int_equal(e.type, EIO_EVENT_MESSAGE);
    assert_int_equal(e.session, session);
    assert_int_equal(e.binary, bin);
    assert_int_equal(e.len, len);
    if (len) {
        assert_memory_equal(e.data, data, len);
    }
}

static void x_close(h *t, uint32_t session, eio_close_reason reason, int error)
{
    eio_event e;
    assert_int_equal(eio_server_next_event(t->s, &e), 1);
    assert_int_equal(e.type, EIO_EVENT_CLOSE);
    assert_int_equal(e.session, session);
    assert_int_equal(e.reason, reason);
    assert_int_equal(e.error, error);
}

static void x_no_event(h *t)
{
    eio_event e;
    assert_int_equal(eio_server_next_event(t->s, &e), 0);
}

/* True when the action's body contains `needle` (bodies are not NUL-terminated). */
static bool body_has(const eio_server_action *a, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= a->len; i++) {
        if (memcmp(a->body + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- sessions ---- */

typedef struct sinfo {
    uint32_t id;
    char q[96]; /* query with sid */
    char sid[32];
} sinfo;

static void open_body(char *out, size_t cap, eio_version v, const char *sid, bool upgrades,
                      size_t max_payload)
{
    char json[256], mp[48] = "";
    if (v == EIO_V4) {
        snprintf(mp, sizeof(mp), ",\"maxPayload\":%zu", max_payload);
    }
    snprintf(json, sizeof(json),
             "0{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":25000,\"pingTimeout\":20000%s}",
             sid, upgrades ? "\"websocket\"" : "", mp);
    if (v == EIO_V4) {
        snprintf(out, cap, "%s", json);
    } else {
        snprintf(out, cap, "%zu:%s", strlen(json), json);
    }
}

/* Opens a polling session at `now`, checks the handshake exchange exactly. */
static sinfo open_polling(h *t, eio_version v, const char *extra, eio_time now)
{
    sinfo si;
    char q[64];
    snprintf(q, sizeof(q), "EIO=%d&transport=polling%s", (int)v, extra ? extra : "");
    uint32_t c = t->conn++;
    get(t, c, q, now);
    eio_server_action a;
    assert_int_equal(eio_server_next_action(t->s, &a), 1);
    assert_int_equal(a.type, EIO_SERVER_HTTP_RESPOND);
    assert_int_equal(a.conn, c);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.content_type, CT_TEXT);
    x_no_action(t);
    eio_event e;
    assert_int_equal(eio_server_next_event(t->s, &e), 1);
    assert_int_equal(e.type, EIO_EVENT_OPEN);
    assert_int_equal(e.version, v);
    assert_int_equal(e.transport, EIO_TRANSPORT_POLLING);
    si.id = e.session;
    x_no_event(t);
    const char *sid = eio_server_session_sid(t->s, si.id);
    assert_non_null(sid);
    assert_int_equal(strlen(sid), 20);
    snprintf(si.sid, sizeof(si.sid), "%s", sid);
    char want[320];
    open_body(want, sizeof(want), v, sid, true, t->max_payload);
    assert_int_equal(a.len, strlen(want));
    assert_memory_equal(a.body, want, a.len);
    snprintf(si.q, sizeof(si.q), "EIO=%d&transport=polling&sid=%s", (int)v, sid);
    return si;
}

static sinfo open_ws(h *t, eio_version v, uint32_t conn, eio_time now)
{
    sinfo si;
    char q[64];
    snprintf(q, sizeof(q), "EIO=%d&transport=websocket", (int)v);
    ws_open(t, conn, q, now);
    x_ws(t, EIO_SERVER_WS_ACCEPT, conn);
    eio_server_action a;
    assert_int_equal(eio_server_next_action(t->s, &a), 1);
    assert_int_equal(a.type, EIO_SERVER_WS_SEND);
    assert_false(a.binary);
    x_no_action(t);
    eio_event e;
    assert_int_equal(eio_server_next_event(t->s, &e), 1);
    assert_int_equal(e.type, EIO_EVENT_OPEN);
    assert_int_equal(e.transport, EIO_TRANSPORT_WEBSOCKET);
    si.id = e.session;
    const char *sid = eio_server_session_sid(t->s, si.id);
    snprintf(si.sid, sizeof(si.sid), "%s", sid);
    char want[320], json[320];
    open_body(want, sizeof(want), v, sid, false, t->max_payload);
    snprintf(json, sizeof(json), "%s", v == EIO_V4 ? want : strchr(want, ':') + 1);
    assert_int_equal(a.len, strlen(json));
    assert_memory_equal(a.body, json, a.len);
    snprintf(si.q, sizeof(si.q), "EIO=%d&transport=websocket&sid=%s", (int)v, sid);
    assert_int_equal(eio_server_session_transport(t->s, si.id), EIO_TRANSPORT_WEBSOCKET);
    return si;
}

static void upgrade_q(const sinfo *si, char *out, size_t cap)
{
    const char *eio = strstr(si->q, "EIO=4") ? "4" : "3";
    snprintf(out, cap, "EIO=%s&transport=websocket&sid=%s", eio, si->sid);
}

/* ======================================================================== */

/* An echo: the data of the server's own MESSAGE event goes straight back
   into eio_server_send (nothing is released before it is copied). */
static void test_send_own_event_data(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_ws(t, EIO_V4, 7, 0);
    ws_msg(t, 7, "4hello", 6, false, 1);
    static const uint8_t blob[] = {0, 1, 2, 0xff};
    ws_msg(t, 7, (const char *)blob, sizeof blob, true, 1);
    for (int i = 0; i < 2; i++) {
        eio_event e;
        assert_int_equal(eio_server_next_event(t->s, &e), 1);
        assert_int_equal(e.type, EIO_EVENT_MESSAGE);
        assert_int_equal(eio_server_send(t->s, si.id, e.data, e.len, e.binary, 2), 0);
    }
    x_frame(t, 7, "4hello", 6, false);
    x_frame(t, 7, (const char *)blob, sizeof blob, true);
    x_no_action(t);
    hfree(t);
}

static void test_close_reason_names(void **st)
{
    (void)st;
    assert_string_equal(eio_close_reason_name(EIO_CLOSE_FORCED), "forced close");
    assert_string_equal(eio_close_reason_name(EIO_CLOSE_TRANSPORT_CLOSE), "transport close");
    assert_string_equal(eio_close_reason_name(EIO_CLOSE_TRANSPORT_ERROR), "transport error");
    assert_string_equal(eio_close_reason_name(EIO_CLOSE_PING_TIMEOUT), "ping timeout");
    assert_string_equal(eio_close_reason_name(EIO_CLOSE_PARSE_ERROR), "parse error");
    assert_string_equal(eio_close_reason_name(EIO_CLOSE_HANDSHAKE_ERROR), "handshake error");
    assert_string_equal(eio_close_reason_name(EIO_CLOSE_SERVER_SHUTDOWN), "server shutting down");
    assert_null(eio_close_reason_name(EIO_CLOSE_NONE));
    assert_null(eio_close_reason_name(99));
}

static void test_new_args(void **st)
{
    (void)st;
    eio_server *s = (eio_server *)1;
    eio_server_options o;
    eio_server_options_default(&o);
    assert_int_equal(o.versions, EIO_ACCEPT_V4);
    assert_int_equal(o.ping_interval, 25000);
    assert_int_equal(o.ping_timeout, 20000);
    assert_int_equal(o.upgrade_timeout, 10000);
    assert_int_equal(o.max_payload, 1000000);
    assert_int_equal(o.max_buffered, 10000000);
    assert_int_equal(o.max_sessions, 100000);
    assert_true(o.allow_polling && o.allow_websocket && o.allow_upgrades);
    assert_int_equal(eio_server_new(&s, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    assert_null(s);
    assert_int_equal(eio_server_new(&s, NULL, NULL), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_server_new(NULL, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    o.random = fake_random;
    assert_int_equal(eio_server_new(&s, &o, NULL), 0); /* libc allocator */
    assert_int_equal(eio_server_get_expiry(s), EIO_TIME_NEVER);
    assert_int_equal(eio_server_session_count(s), 0);
    assert_null(eio_server_session_sid(s, 1));
    assert_int_equal(eio_server_session_state(s, 1), EIO_STATE_CLOSED);
    eio_server_free(s);
    eio_server_free(NULL);
}

static void test_handshake_polling_v4(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, "&t=abc", 1000);
    assert_string_equal(si.sid, "AAECAwQFBgcICQoLDA0O"); /* bytes 0..14, base64url */
    assert_int_equal(si.id, 1);
    assert_int_equal(eio_server_session_state(t->s, si.id), EIO_STATE_OPEN);
    assert_int_equal(eio_server_session_version(t->s, si.id), EIO_V4);
    assert_int_equal(eio_server_session_transport(t->s, si.id), EIO_TRANSPORT_POLLING);
    assert_int_equal(eio_server_session_count(t->s), 1);
    assert_int_equal(eio_server_get_expiry(t->s), 1000 + 25000);
    hfree(t);
}

static void test_handshake_polling_v3(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V3 | EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V3, NULL, 0);
    assert_int_equal(eio_server_session_version(t->s, si.id), EIO_V3);
    /* v3: the client pings; the server only watches for it. */
    assert_int_equal(eio_server_get_expiry(t->s), 45000);
    hfree(t);
}

static void test_version_refused(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    get(t, 1, "EIO=3&transport=polling", 0);
    x_err(t, 1, E_VERSION);
    get(t, 2, "transport=polling", 0); /* missing EIO counts as 3 */
    x_err(t, 2, E_VERSION);
    get(t, 3, "EIO=5&transport=polling", 0);
    x_err(t, 3, E_VERSION);
    x_no_action(t);
    x_no_event(t);
    assert_int_equal(eio_server_session_count(t->s), 0);
    hfree(t);
    t = hnew(EIO_ACCEPT_V3);
    get(t, 1, "EIO=4&transport=polling", 0);
    x_err(t, 1, E_VERSION);
    hfree(t);
}

static void test_handshake_websocket_only(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4 | EIO_ACCEPT_V3);
    sinfo a = open_ws(t, EIO_V4, 7, 0);
    sinfo b = open_ws(t, EIO_V3, 8, 0);
    assert_int_not_equal(a.id, b.id);
    /* Messages both ways on WebSocket, one packet per frame. */
    ws_msg(t, 7, "4hello", 6, false, 10);
    x_msg(t, a.id, "hello", 5, false);
    ws_msg(t, 7, "\x01\x02", 2, true, 10);
    x_msg(t, a.id, "\x01\x02", 2, true);
    assert_int_equal(eio_server_send(t->s, a.id, (const uint8_t *)"hi", 2, false, 10), 0);
    x_frame(t, 7, "4hi", 3, false);
    assert_int_equal(eio_server_send(t->s, a.id, (const uint8_t *)"\x03", 1, true, 10), 0);
    x_frame(t, 7, "\x03", 1, true);
    /* v3 binary frames carry the type byte. */
    ws_msg(t, 8, "\x04\x09", 2, true, 10);
    x_msg(t, b.id, "\x09", 1, true);
    assert_int_equal(eio_server_send(t->s, b.id, (const uint8_t *)"\x05", 1, true, 10), 0);
    x_frame(t, 8, "\x04\x05", 2, true);
    x_no_action(t);
    x_no_event(t);
    hfree(t);
}

static void test_request_errors(void **st)
{
    (void)st;
    eio_server_options o;
    opts(NULL, &o);
    h *t = hnew_opt(&o);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    char q[128];
    uint32_t c = 1;
    /* transport */
    get(t, c, "EIO=4", 0);
    x_err(t, c++, E_TRANSPORT);
    get(t, c, "EIO=4&transport=flashsocket", 0);
    x_err(t, c++, E_TRANSPORT);
    get(t, c, NULL, 0);
    x_err(t, c++, E_TRANSPORT);
    /* transport is checked before the version, as the reference */
    get(t, c, "EIO=3&transport=x", 0);
    x_err(t, c++, E_TRANSPORT);
    /* sid */
    get(t, c, "EIO=4&transport=polling&sid=nope", 0);
    x_err(t, c++, E_SID);
    assert_int_equal(request(t, c, EIO_HTTP_POST, "EIO=4&transport=polling&sid=x", "4a", 2,
                             false, 0), 0);
    x_err(t, c++, E_SID);
    /* handshake method */
    assert_int_equal(request(t, c, EIO_HTTP_POST, "EIO=4&transport=polling", "4a", 2, false, 0),
                     0);
    x_err(t, c++, E_METHOD);
    assert_int_equal(request(t, c, EIO_HTTP_OTHER, "EIO=4&transport=polling", NULL, 0, false, 0),
                     0);
    x_err(t, c++, E_METHOD);
    /* websocket transport without the upgrade, and the reverse */
    get(t, c, "EIO=4&transport=websocket", 0);
    x_err(t, c++, E_BAD);
    ws_open(t, c, "EIO=4&transport=polling", 0);
    x_err(t, c++, E_BAD);
    snprintf(q, sizeof(q), "EIO=4&transport=polling&sid=%s", si.sid);
    ws_open(t, c, q, 0);
    x_err(t, c++, E_BAD);
    /* a polling session asked with transport=websocket, no upgrade */
    snprintf(q, sizeof(q), "EIO=4&transport=websocket&sid=%s", si.sid);
    get(t, c, q, 0);
    x_err(t, c++, E_BAD);
    /* version mismatch with the session */
    snprintf(q, sizeof(q), "EIO=3&transport=polling&sid=%s", si.sid);
    get(t, c, q, 0);
    x_err(t, c++, E_BAD);
    /* other methods on a session: the reference's 500 */
    assert_int_equal(request(t, c, EIO_HTTP_OTHER, si.q, NULL, 0, false, 0), 0);
    x_respond(t, c++, 500, NULL, NULL, 0);
    /* URL-encoded parameters are decoded */
    get(t, c, "EIO=%34&transport=pol%6cing&sid=nope", 0);
    x_err(t, c++, E_SID);
    x_no_action(t);
    x_no_event(t);
    /* none of this touched the session */
    assert_int_equal(eio_server_session_state(t->s, si.id), EIO_STATE_OPEN);
    /* a conn id still in use is the caller's bug */
    get(t, 500, si.q, 0);
    assert_int_equal(request(t, 500, EIO_HTTP_GET, si.q, NULL, 0, false, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_server_handle_request(t->s, NULL, 0), EIO_ERR_INVALID_ARGUMENT);
    hfree(t);

    /* transports switched off */
    opts(NULL, &o);
    o.allow_polling = false;
    t = hnew_opt(&o);
    get(t, 1, "EIO=4&transport=polling", 0);
    x_err(t, 1, E_TRANSPORT);
    hfree(t);
    opts(NULL, &o);
    o.allow_websocket = false;
    t = hnew_opt(&o);
    ws_open(t, 1, "EIO=4&transport=websocket", 0);
    x_err(t, 1, E_TRANSPORT);
    /* and not offered as an upgrade */
    get(t, 2, "EIO=4&transport=polling", 0);
    eio_server_action a;
    assert_int_equal(eio_server_next_action(t->s, &a), 1);
    assert_true(body_has(&a, "\"upgrades\":[]"));
    hfree(t);
}

static void test_options_204(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    assert_int_equal(request(t, 1, EIO_HTTP_OPTIONS, "EIO=4&transport=polling", NULL, 0, false,
                             0), 0);
    x_respond(t, 1, 204, NULL, NULL, 0);
    x_no_action(t);
    x_no_event(t);
    hfree(t);
}

static void test_post_inline_and_follows(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    post_ct(t, 1, si.q, "text/plain;charset=UTF-8", "4hello\x1e" "bAQID\x1e" "4\xe2\x82\xac", 17,
            5);
    x_ok(t, 1);
    x_no_action(t);
    x_msg(t, si.id, "hello", 5, false);
    x_msg(t, si.id, "\x01\x02\x03", 3, true);
    x_msg(t, si.id, "\xe2\x82\xac", 3, false);
    x_no_event(t);

    /* body_follows */
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = 2;
    r.method = EIO_HTTP_POST;
    r.query = si.q;
    r.query_len = strlen(si.q);
    r.body_follows = true;
    r.content_length = 6;
    assert_int_equal(eio_server_handle_request(t->s, &r, 6), 0);
    x_no_action(t);
    x_no_event(t);
    assert_int_equal(eio_server_request_body(t->s, 3, (const uint8_t *)"4x", 2, 6),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_server_request_body(t->s, 2, (const uint8_t *)"4world", 6, 7), 0);
    x_ok(t, 2);
    x_msg(t, si.id, "world", 5, false);
    assert_int_equal(eio_server_request_body(t->s, 2, (const uint8_t *)"4x", 2, 6),
                     EIO_ERR_INVALID_ARGUMENT);
    x_no_action(t);
    x_no_event(t);
    hfree(t);
}

static void test_post_overlap(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    get(t, 1, si.q, 0); /* held */
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = 2;
    r.method = EIO_HTTP_POST;
    r.query = si.q;
    r.query_len = strlen(si.q);
    r.body_follows = true;
    r.content_length = -1;
    assert_int_equal(eio_server_handle_request(t->s, &r, 1), 0);
    x_no_action(t);
    post(t, 3, si.q, "4a", 2, 2);
    x_err(t, 3, E_BAD);
    x_text(t, 1, "1");   /* the held GET carries a close packet */
    x_err(t, 2, E_BAD);  /* the pending POST will not be read */
    x_no_action(t);
    x_close(t, si.id, EIO_CLOSE_TRANSPORT_ERROR, 0);
    x_no_event(t);
    assert_int_equal(eio_server_request_body(t->s, 2, (const uint8_t *)"4a", 2, 3),
                     EIO_ERR_INVALID_ARGUMENT);
    get(t, 4, si.q, 3);
    x_err(t, 4, E_SID);
    hfree(t);
}

static void test_get_overlap(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    get(t, 1, si.q, 0);
    x_no_action(t);
    get(t, 2, si.q, 0);
    x_err(t, 2, E_BAD);
    x_text(t, 1, "1");
    x_no_action(t);
    x_close(t, si.id, EIO_CLOSE_TRANSPORT_ERROR, 0);
    assert_int_equal(eio_server_session_count(t->s), 0);
    assert_int_equal(eio_server_get_expiry(t->s), EIO_TIME_NEVER);
    hfree(t);
}

static void test_413(void **st)
{
    (void)st;
    eio_server_options o;
    opts(NULL, &o);
    o.max_payload = 10;
    h *t = hnew_opt(&o);
    get(t, 1, "EIO=4&transport=polling", 0);
    eio_server_action a;
    assert_int_equal(eio_server_next_action(t->s, &a), 1);
    assert_true(body_has(&a, "\"maxPayload\":10}"));
    eio_event e;
    assert_int_equal(eio_server_next_event(t->s, &e), 1);
    char q[96];
    snprintf(q, sizeof(q), "EIO=4&transport=polling&sid=%s",
             eio_server_session_sid(t->s, e.session));
    post(t, 2, q, "4abcdefghij", 11, 0);
    x_respond(t, 2, 413, NULL, NULL, 0);
    post(t, 3, q, "4abcdefghi", 10, 0); /* exactly the limit */
    x_ok(t, 3);
    x_msg(t, e.session, "abcdefghi", 9, false);
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = 4;
    r.method = EIO_HTTP_POST;
    r.query = q;
    r.query_len = strlen(q);
    r.body_follows = true;
    r.content_length = 11;
    assert_int_equal(eio_server_handle_request(t->s, &r, 0), 0);
    x_respond(t, 4, 413, NULL, NULL, 0);
    r.conn = 5;
    r.content_length = -1; /* unknown length: the body decides */
    assert_int_equal(eio_server_handle_request(t->s, &r, 0), 0);
    x_no_action(t);
    assert_int_equal(eio_server_request_body(t->s, 5, (const uint8_t *)"4abcdefghij", 11, 0), 0);
    x_respond(t, 5, 413, NULL, NULL, 0);
    x_no_action(t);
    x_no_event(t);
    assert_int_equal(eio_server_session_state(t->s, e.session), EIO_STATE_OPEN);
    hfree(t);
}

static void test_undecodable_body(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    get(t, 1, si.q, 0);
    post(t, 2, si.q, "4ok\x1e" "9bad", 8, 1);
    x_err(t, 2, E_BAD);
    x_text(t, 1, "1");
    x_no_action(t);
    x_msg(t, si.id, "ok", 2, false); /* packets before the error are delivered */
    x_close(t, si.id, EIO_CLOSE_PARSE_ERROR, EIO_ERR_INVALID_TYPE);
    x_no_event(t);
    hfree(t);

    /* v4 does not take binary bodies */
    t = hnew(EIO_ACCEPT_V4);
    si = open_polling(t, EIO_V4, NULL, 0);
    post_ct(t, 2, si.q, CT_BIN, "\x00\x02\xff\x34\x61", 5, 1);
    x_err(t, 2, E_BAD);
    x_close(t, si.id, EIO_CLOSE_TRANSPORT_ERROR, 0);
    hfree(t);

    /* an empty body */
    t = hnew(EIO_ACCEPT_V4);
    si = open_polling(t, EIO_V4, NULL, 0);
    post(t, 2, si.q, "", 0, 1);
    x_err(t, 2, E_BAD);
    x_close(t, si.id, EIO_CLOSE_PARSE_ERROR, EIO_ERR_EMPTY_PAYLOAD);
    hfree(t);
}

static void test_messages_batched_v4(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"a", 1, false, 1), 0);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"\x01\x02\x03", 3, true, 1),
                     0);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"", 0, false, 1), 0);
    x_no_action(t);
    get(t, 1, si.q, 2);
    x_text(t, 1, "4a\x1e" "bAQID\x1e" "4");
    /* held, then answered by the next send */
    get(t, 2, si.q, 3);
    x_no_action(t);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"b", 1, false, 4), 0);
    x_text(t, 2, "4b");
    x_no_action(t);
    /* send errors */
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"\xff", 1, false, 4),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_server_send(t->s, 999, (const uint8_t *)"x", 1, false, 4),
                     EIO_ERR_INVALID_ARGUMENT);
    hfree(t);
}

static void test_messages_v3_formats(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V3);
    sinfo si = open_polling(t, EIO_V3, NULL, 0);
    /* The v3 spec's sample exchange, byte for byte. */
    post(t, 1, si.q, "6:4hello6:4world", 16, 1);
    x_ok(t, 1);
    x_msg(t, si.id, "hello", 5, false);
    x_msg(t, si.id, "world", 5, false);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"hey", 3, false, 2), 0);
    get(t, 2, si.q, 2);
    x_text(t, 2, "4:4hey");
    /* a binary packet makes the body binary (the client supports it) */
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"a", 1, false, 2), 0);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"\x01\x02", 2, true, 2), 0);
    get(t, 3, si.q, 3);
    x_respond(t, 3, 200, CT_BIN, "\x00\x02\xff" "4a" "\x01\x03\xff\x04\x01\x02", 11);
    /* binary POST body */
    post_ct(t, 4, si.q, CT_BIN, "\x01\x03\xff\x04\x07\x08" "\x00\x02\xff" "4z", 11, 4);
    x_ok(t, 4);
    x_msg(t, si.id, "\x07\x08", 2, true);
    x_msg(t, si.id, "z", 1, false);
    /* base64 in a text body */
    post(t, 5, si.q, "6:b4AQID", 8, 5);
    x_ok(t, 5);
    x_msg(t, si.id, "\x01\x02\x03", 3, true);
    x_no_event(t);
    hfree(t);

    /* b64=1: binary goes as base64 text */
    t = hnew(EIO_ACCEPT_V3);
    si = open_polling(t, EIO_V3, "&b64=1", 0);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"\x01\x02\x03", 3, true, 1),
                     0);
    get(t, 1, si.q, 1);
    x_text(t, 1, "6:b4AQID");
    hfree(t);
}

static void test_heartbeat_v4(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 1000);
    get(t, 1, si.q, 1000);
    assert_int_equal(eio_server_get_expiry(t->s), 26000);
    assert_int_equal(eio_server_handle_expiry(t->s, 25999), 0);
    x_no_action(t);
    assert_int_equal(eio_server_handle_expiry(t->s, 26000), 0);
    x_text(t, 1, "2");
    x_no_action(t);
    assert_int_equal(eio_server_get_expiry(t->s), 46000);
    /* pong: the next ping is due pingInterval after it */
    post(t, 2, si.q, "3", 1, 30000);
    x_ok(t, 2);
    x_event(t, EIO_EVENT_PONG, si.id);
    assert_int_equal(eio_server_get_expiry(t->s), 55000);
    /* a late wake-up (10 intervals) sends one ping */
    get(t, 3, si.q, 30000);
    assert_int_equal(eio_server_handle_expiry(t->s, 55000 + 250000), 0);
    x_text(t, 3, "2");
    x_no_action(t);
    x_no_event(t);
    assert_int_equal(eio_server_get_expiry(t->s), 305000 + 20000);
    /* other traffic while the pong is due extends the deadline once */
    post(t, 4, si.q, "4x", 2, 310000);
    x_ok(t, 4);
    x_msg(t, si.id, "x", 1, false);
    assert_int_equal(eio_server_get_expiry(t->s), 330000);
    post(t, 5, si.q, "4y", 2, 320000);
    x_ok(t, 5);
    x_msg(t, si.id, "y", 1, false);
    assert_int_equal(eio_server_get_expiry(t->s), 330000);
    /* a clock going backwards is read as the last time seen */
    assert_int_equal(eio_server_handle_expiry(t->s, 5), 0);
    x_no_event(t);
    get(t, 6, si.q, 320000);
    assert_int_equal(eio_server_handle_expiry(t->s, 329999), 0);
    x_no_action(t);
    assert_int_equal(eio_server_handle_expiry(t->s, 330000), 0);
    x_text(t, 6, "1");
    x_close(t, si.id, EIO_CLOSE_PING_TIMEOUT, 0);
    x_no_event(t);
    assert_int_equal(eio_server_get_expiry(t->s), EIO_TIME_NEVER);
    hfree(t);
}

static void test_heartbeat_v3(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V3);
    sinfo si = open_polling(t, EIO_V3, NULL, 0);
    assert_int_equal(eio_server_get_expiry(t->s), 45000);
    post(t, 1, si.q, "6:2probe1:2", 11, 10000);
    x_ok(t, 1);
    x_event(t, EIO_EVENT_PING, si.id);
    x_event(t, EIO_EVENT_PING, si.id);
    x_no_event(t);
    assert_int_equal(eio_server_get_expiry(t->s), 55000);
    get(t, 2, si.q, 10000);
    x_text(t, 2, "6:3probe1:3");
    /* a pong from the client is the wrong direction */
    h *u = hnew(EIO_ACCEPT_V3);
    sinfo su = open_polling(u, EIO_V3, NULL, 0);
    post(u, 1, su.q, "1:3", 3, 1);
    x_ok(u, 1);
    x_close(u, su.id, EIO_CLOSE_TRANSPORT_ERROR, 0);
    hfree(u);
    /* no ping within interval + timeout */
    assert_int_equal(eio_server_handle_expiry(t->s, 54999), 0);
    x_no_event(t);
    assert_int_equal(eio_server_handle_expiry(t->s, 55000), 0);
    x_close(t, si.id, EIO_CLOSE_PING_TIMEOUT, 0);
    hfree(t);
}

static void test_heartbeat_wrong_direction_v4(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    post(t, 1, si.q, "2", 1, 1);
    x_ok(t, 1);
    x_close(t, si.id, EIO_CLOSE_TRANSPORT_ERROR, 0);
    /* the same over WebSocket */
    sinfo w = open_ws(t, EIO_V4, 50, 2);
    ws_msg(t, 50, "2", 1, false, 3);
    x_ws(t, EIO_SERVER_WS_CLOSE, 50);
    x_close(t, w.id, EIO_CLOSE_TRANSPORT_ERROR, 0);
    hfree(t);
}

static void test_heartbeat_websocket(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4 | EIO_ACCEPT_V3);
    sinfo a = open_ws(t, EIO_V4, 1, 0);
    sinfo b = open_ws(t, EIO_V3, 2, 0);
    assert_int_equal(eio_server_handle_expiry(t->s, 25000), 0);
    x_frame(t, 1, "2", 1, false);
    x_no_action(t);
    ws_msg(t, 1, "3", 1, false, 26000);
    x_event(t, EIO_EVENT_PONG, a.id);
    ws_msg(t, 2, "2", 1, false, 26000);
    x_frame(t, 2, "3", 1, false);
    x_event(t, EIO_EVENT_PING, b.id);
    assert_int_equal(eio_server_get_expiry(t->s), 51000);
    hfree(t);
}

/* Upgrade with packets queued and in flight in both directions. */
static void test_upgrade_v4(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    char uq[128];
    upgrade_q(&si, uq, sizeof(uq));
    get(t, 1, si.q, 0); /* held */
    ws_open(t, 9, uq, 10);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 9);
    x_no_action(t);
    assert_int_equal(eio_server_get_expiry(t->s), 10010);
    /* until the probe, polling still carries packets */
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"m1", 2, false, 11), 0);
    x_text(t, 1, "4m1");
    get(t, 2, si.q, 12);
    x_no_action(t);
    ws_msg(t, 9, "2probe", 6, false, 20);
    x_frame(t, 9, "3probe", 6, false);
    x_text(t, 2, "6"); /* the held GET is released with a noop */
    x_no_action(t);
    /* a GET arriving during the upgrade gets a noop at once */
    get(t, 3, si.q, 21);
    x_text(t, 3, "6");
    /* packets sent now wait for the switch */
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"m2", 2, false, 22), 0);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"\x01", 1, true, 22), 0);
    x_no_action(t);
    /* a POST still in flight from the client is delivered */
    post(t, 4, si.q, "4c1", 3, 23);
    x_ok(t, 4);
    x_msg(t, si.id, "c1", 2, false);
    /* a second WebSocket is refused */
    ws_open(t, 10, uq, 24);
    x_err(t, 10, E_BAD);
    ws_msg(t, 9, "5", 1, false, 30);
    x_frame(t, 9, "4m2", 3, false);
    x_frame(t, 9, "\x01", 1, true);
    x_no_action(t);
    x_event(t, EIO_EVENT_UPGRADE, si.id);
    x_no_event(t);
    assert_int_equal(eio_server_session_transport(t->s, si.id), EIO_TRANSPORT_WEBSOCKET);
    /* the upgrade timer is gone; the heartbeat goes on */
    assert_int_equal(eio_server_get_expiry(t->s), 25000);
    /* polling is over for this session */
    get(t, 5, si.q, 31);
    x_err(t, 5, E_BAD);
    post(t, 6, si.q, "4x", 2, 31);
    x_err(t, 6, E_BAD);
    ws_open(t, 11, uq, 31);
    x_err(t, 11, E_BAD);
    ws_msg(t, 9, "4after", 6, false, 32);
    x_msg(t, si.id, "after", 5, false);
    assert_int_equal(eio_server_handle_expiry(t->s, 25000), 0);
    x_frame(t, 9, "2", 1, false);
    x_no_event(t);
    hfree(t);
}

static void test_upgrade_v3_binary(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V3);
    sinfo si = open_polling(t, EIO_V3, NULL, 0);
    char uq[128];
    upgrade_q(&si, uq, sizeof(uq));
    ws_open(t, 9, uq, 1);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 9);
    ws_msg(t, 9, "2probe", 6, false, 2);
    x_frame(t, 9, "3probe", 6, false);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"\x07", 1, true, 3), 0);
    ws_msg(t, 9, "5", 1, false, 4);
    x_frame(t, 9, "\x04\x07", 2, true);
    x_event(t, EIO_EVENT_UPGRADE, si.id);
    hfree(t);
    /* b64=1 on the WebSocket: binary as base64 text frames */
    t = hnew(EIO_ACCEPT_V3);
    si = open_polling(t, EIO_V3, NULL, 0);
    upgrade_q(&si, uq, sizeof(uq));
    strcat(uq, "&b64=1");
    ws_open(t, 9, uq, 1);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 9);
    ws_msg(t, 9, "2probe", 6, false, 2);
    x_frame(t, 9, "3probe", 6, false);
    ws_msg(t, 9, "5", 1, false, 4);
    x_event(t, EIO_EVENT_UPGRADE, si.id);
    assert_int_equal(eio_server_send(t->s, si.id, (const uint8_t *)"\x01\x02\x03", 3, true, 5), 0);
    x_frame(t, 9, "b4AQID", 6, false);
    hfree(t);
}

static void test_upgrade_failures(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    char uq[128];
    upgrade_q(&si, uq, sizeof(uq));
    /* a wrong frame */
    ws_open(t, 9, uq, 1);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 9);
    ws_msg(t, 9, "2probe", 6, false, 2);
    x_frame(t, 9, "3probe", 6, false);
    ws_msg(t, 9, "4hi", 3, false, 3);
    x_ws(t, EIO_SERVER_WS_CLOSE, 9);
    x_no_action(t);
    x_event(t, EIO_EVENT_UPGRADE_FAILED, si.id);
    x_no_event(t);
    ws_msg(t, 9, "5", 1, false, 4); /* the closed WebSocket is forgotten */
    x_no_action(t);
    x_no_event(t);
    assert_int_equal(eio_server_session_transport(t->s, si.id), EIO_TRANSPORT_POLLING);
    /* an undecodable frame */
    ws_open(t, 10, uq, 5);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 10);
    ws_msg(t, 10, "x", 1, false, 6);
    x_ws(t, EIO_SERVER_WS_CLOSE, 10);
    x_event(t, EIO_EVENT_UPGRADE_FAILED, si.id);
    /* the WebSocket closing */
    ws_open(t, 11, uq, 7);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 11);
    assert_int_equal(eio_server_ws_closed(t->s, 11, 8), 0);
    x_no_action(t);
    x_event(t, EIO_EVENT_UPGRADE_FAILED, si.id);
    /* the timeout, at its edge */
    ws_open(t, 12, uq, 100);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 12);
    assert_int_equal(eio_server_get_expiry(t->s), 10100);
    assert_int_equal(eio_server_handle_expiry(t->s, 10099), 0);
    x_no_action(t);
    assert_int_equal(eio_server_handle_expiry(t->s, 10100), 0);
    x_ws(t, EIO_SERVER_WS_CLOSE, 12);
    x_event(t, EIO_EVENT_UPGRADE_FAILED, si.id);
    x_no_event(t);
    /* polling still works, and so does a later upgrade */
    post(t, 1, si.q, "4p", 2, 10200);
    x_ok(t, 1);
    x_msg(t, si.id, "p", 1, false);
    ws_open(t, 13, uq, 10300);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 13);
    ws_msg(t, 13, "2probe", 6, false, 10301);
    x_frame(t, 13, "3probe", 6, false);
    ws_msg(t, 13, "5", 1, false, 10302);
    x_event(t, EIO_EVENT_UPGRADE, si.id);
    hfree(t);
}

static void test_close_by_application(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    /* polling, GET held */
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    get(t, 1, a.q, 0);
    assert_int_equal(eio_server_close_session(t->s, a.id, 1), 0);
    x_text(t, 1, "1");
    x_close(t, a.id, EIO_CLOSE_FORCED, 0);
    assert_int_equal(eio_server_close_session(t->s, a.id, 1), EIO_ERR_INVALID_ARGUMENT);
    /* polling, no GET: the queue and close wait for the next GET */
    sinfo b = open_polling(t, EIO_V4, NULL, 0);
    assert_int_equal(eio_server_send(t->s, b.id, (const uint8_t *)"x", 1, false, 1), 0);
    assert_int_equal(eio_server_close_session(t->s, b.id, 2), 0);
    assert_int_equal(eio_server_session_state(t->s, b.id), EIO_STATE_CLOSING);
    assert_int_equal(eio_server_close_session(t->s, b.id, 2), 0);
    x_no_action(t);
    x_no_event(t);
    assert_int_equal(eio_server_send(t->s, b.id, (const uint8_t *)"y", 1, false, 2),
                     EIO_ERR_INVALID_ARGUMENT);
    post(t, 2, b.q, "4ignored", 8, 3);
    x_ok(t, 2);
    x_no_event(t);
    get(t, 3, b.q, 4);
    x_text(t, 3, "4x\x1e" "1");
    x_close(t, b.id, EIO_CLOSE_FORCED, 0);
    /* polling, no GET ever: gives up after 30 s */
    sinfo c = open_polling(t, EIO_V4, NULL, 100);
    assert_int_equal(eio_server_close_session(t->s, c.id, 100), 0);
    assert_int_equal(eio_server_get_expiry(t->s), 30100);
    assert_int_equal(eio_server_handle_expiry(t->s, 30100), 0);
    x_no_action(t);
    x_close(t, c.id, EIO_CLOSE_FORCED, 0);
    /* WebSocket: queue, close frame, WS_CLOSE */
    sinfo d = open_ws(t, EIO_V4, 20, 200);
    assert_int_equal(eio_server_close_session(t->s, d.id, 201), 0);
    x_frame(t, 20, "1", 1, false);
    x_ws(t, EIO_SERVER_WS_CLOSE, 20);
    x_close(t, d.id, EIO_CLOSE_FORCED, 0);
    x_no_action(t);
    x_no_event(t);
    assert_int_equal(eio_server_session_count(t->s), 0);
    hfree(t);
}

static void test_client_close(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    get(t, 1, a.q, 0);
    post(t, 2, a.q, "4last\x1e" "1\x1e" "4never", 13, 1);
    x_text(t, 1, "6"); /* the reference releases the held GET with a noop */
    x_ok(t, 2);
    x_msg(t, a.id, "last", 4, false);
    x_close(t, a.id, EIO_CLOSE_TRANSPORT_CLOSE, 0);
    x_no_event(t);
    sinfo b = open_ws(t, EIO_V4, 30, 2);
    ws_msg(t, 30, "1", 1, false, 3);
    x_ws(t, EIO_SERVER_WS_CLOSE, 30);
    x_close(t, b.id, EIO_CLOSE_TRANSPORT_CLOSE, 0);
    sinfo c = open_ws(t, EIO_V4, 31, 2);
    assert_int_equal(eio_server_ws_closed(t->s, 31, 3), 0);
    x_no_action(t);
    x_close(t, c.id, EIO_CLOSE_TRANSPORT_CLOSE, 0);
    assert_int_equal(eio_server_ws_closed(t->s, 31, 3), 0); /* already forgotten */
    /* a held GET whose client hangs up */
    sinfo d = open_polling(t, EIO_V4, NULL, 4);
    get(t, 3, d.q, 4);
    assert_int_equal(eio_server_http_closed(t->s, 3, 5), 0);
    x_no_action(t);
    x_close(t, d.id, EIO_CLOSE_TRANSPORT_ERROR, 0);
    assert_int_equal(eio_server_http_closed(t->s, 3, 5), 0);
    /* an undecodable WebSocket frame */
    sinfo e = open_ws(t, EIO_V4, 32, 6);
    ws_msg(t, 32, "", 0, false, 7);
    x_ws(t, EIO_SERVER_WS_CLOSE, 32);
    x_close(t, e.id, EIO_CLOSE_PARSE_ERROR, EIO_ERR_EMPTY_PACKET);
    x_no_event(t);
    hfree(t);
}

static void test_shutdown(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    sinfo b = open_ws(t, EIO_V4, 40, 0);
    get(t, 1, a.q, 0);
    assert_int_equal(eio_server_send(t->s, b.id, (const uint8_t *)"bye", 3, false, 1), 0);
    x_frame(t, 40, "4bye", 4, false);
    assert_int_equal(eio_server_shutdown(t->s, 2), 0);
    /* order follows the table; collect both */
    int seen = 0;
    eio_server_action act;
    while (eio_server_next_action(t->s, &act)) {
        if (act.conn == 1) {
            assert_int_equal(act.type, EIO_SERVER_HTTP_RESPOND);
            assert_int_equal(act.len, 1);
            assert_memory_equal(act.body, "1", 1);
            seen |= 1;
        } else {
            assert_int_equal(act.conn, 40);
            if (act.type == EIO_SERVER_WS_SEND) {
                assert_memory_equal(act.body, "1", 1);
                seen |= 2;
            } else {
                assert_int_equal(act.type, EIO_SERVER_WS_CLOSE);
                assert_int_equal(seen & 2, 2);
                seen |= 4;
            }
        }
    }
    assert_int_equal(seen, 7);
    eio_event e;
    int closes = 0;
    while (eio_server_next_event(t->s, &e)) {
        assert_int_equal(e.type, EIO_EVENT_CLOSE);
        assert_int_equal(e.reason, EIO_CLOSE_SERVER_SHUTDOWN);
        closes++;
    }
    assert_int_equal(closes, 2);
    get(t, 2, "EIO=4&transport=polling", 3);
    x_err(t, 2, E_BAD);
    assert_int_equal(eio_server_session_count(t->s), 0);
    hfree(t);
}

static void test_abandoned_polling(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4);
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    assert_int_equal(eio_server_handle_expiry(t->s, 25000), 0);
    x_no_action(t); /* the ping waits in the queue */
    assert_int_equal(eio_server_get_expiry(t->s), 45000);
    assert_int_equal(eio_server_handle_expiry(t->s, 45000), 0);
    x_close(t, a.id, EIO_CLOSE_PING_TIMEOUT, 0);
    assert_int_equal(eio_server_session_count(t->s), 0);
    hfree(t);
}

static void test_max_sessions_and_handles(void **st)
{
    (void)st;
    eio_server_options o;
    opts(NULL, &o);
    o.max_sessions = 2;
    h *t = hnew_opt(&o);
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    sinfo b = open_polling(t, EIO_V4, NULL, 0);
    assert_int_equal(a.id, 1);
    assert_int_equal(b.id, 2);
    get(t, 1, "EIO=4&transport=polling", 0);
    x_err(t, 1, E_BAD);
    x_no_event(t);
    assert_int_equal(eio_server_close_session(t->s, a.id, 0), 0); /* CLOSING, still counted */
    get(t, 2, "EIO=4&transport=polling", 0);
    x_err(t, 2, E_BAD);
    get(t, 3, a.q, 1);
    x_text(t, 3, "1");
    /* closed but not drained: state still readable, count freed */
    assert_int_equal(eio_server_session_state(t->s, a.id), EIO_STATE_CLOSED);
    assert_string_equal(eio_server_session_sid(t->s, a.id), a.sid);
    assert_int_equal(eio_server_session_count(t->s), 1);
    x_close(t, a.id, EIO_CLOSE_FORCED, 0);
    assert_null(eio_server_session_sid(t->s, a.id));
    sinfo c = open_polling(t, EIO_V4, NULL, 2);
    assert_int_equal(c.id, 3); /* handles are never reused */
    hfree(t);
}

static void test_sid_format(void **st)
{
    (void)st;
    static const uint8_t pat[15] = {0xfb, 0xff, 0xfe, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    h *t = hnew(EIO_ACCEPT_V4);
    t->rnd_pattern = pat;
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    assert_string_equal(a.sid, "-__-AAECAwQFBgcICQoL");
    /* the same bytes again: a collision draws again, then gives up */
    get(t, 1, "EIO=4&transport=polling", 0);
    x_err(t, 1, E_BAD);
    t->rnd_pattern = NULL;
    t->rnd_fail = true;
    get(t, 2, "EIO=4&transport=polling", 0);
    x_err(t, 2, E_BAD);
    x_no_event(t);
    assert_int_equal(eio_server_session_count(t->s), 1);
    hfree(t);
}

static void test_limits(void **st)
{
    (void)st;
    eio_server_options o;
    opts(NULL, &o);
    o.max_buffered = 10;
    h *t = hnew_opt(&o);
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    assert_int_equal(eio_server_send(t->s, a.id, (const uint8_t *)"12345678", 8, false, 0), 0);
    assert_int_equal(eio_server_send(t->s, a.id, (const uint8_t *)"1", 1, false, 0),
                     EIO_ERR_LIMIT);
    get(t, 1, a.q, 1);
    x_text(t, 1, "412345678");
    assert_int_equal(eio_server_send(t->s, a.id, (const uint8_t *)"123456789", 9, false, 1), 0);
    /* the server's own ping over the limit closes the session */
    assert_int_equal(eio_server_handle_expiry(t->s, 25000), 0);
    x_close(t, a.id, EIO_CLOSE_TRANSPORT_ERROR, EIO_ERR_LIMIT);
    hfree(t);
}

/* ---- polling answers within max_payload ---- */

static h *hnew_mp(unsigned versions, size_t max_payload)
{
    eio_server_options o;
    opts(NULL, &o);
    o.versions = versions;
    o.max_payload = max_payload;
    return hnew_opt(&o);
}

static int send_text(h *t, uint32_t id, const char *text, eio_time now)
{
    return eio_server_send(t->s, id, (const uint8_t *)text, strlen(text), false, now);
}

static int send_bin(h *t, uint32_t id, size_t len, eio_time now)
{
    static const uint8_t bytes[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22};
    assert_true(len <= sizeof(bytes));
    return eio_server_send(t->s, id, bytes, len, true, now);
}

/* v4: a GET takes the leading packets whose body fits in max_payload. */
static void test_poll_split_v4(void **st)
{
    (void)st;
    h *t = hnew_mp(EIO_ACCEPT_V4, 16);
    /* the open packet is larger than 16 bytes: a body always takes one */
    sinfo si = open_polling(t, EIO_V4, NULL, 0);
    /* a message that no body could carry is refused: "4" + 16 bytes */
    assert_int_equal(send_text(t, si.id, "xxxxxxxxxxxxxxxx", 1), EIO_ERR_PACKET_TOO_LARGE);
    /* binary as base64: 10 bytes are "b" + 16 characters */
    assert_int_equal(send_bin(t, si.id, 10, 1), EIO_ERR_PACKET_TOO_LARGE);
    x_no_action(t);
    /* exactly max_payload: 7 + 1 + 8 bytes in one body; the next waits */
    assert_int_equal(send_text(t, si.id, "aaaaaa", 1), 0);
    assert_int_equal(send_text(t, si.id, "bbbbbbb", 1), 0);
    assert_int_equal(send_text(t, si.id, "c", 1), 0);
    get(t, 1, si.q, 2);
    x_text(t, 1, "4aaaaaa\x1e" "4bbbbbbb");
    x_no_action(t);
    get(t, 2, si.q, 3);
    x_text(t, 2, "4c");
    /* one byte over: two bodies */
    assert_int_equal(send_text(t, si.id, "dddddd", 4), 0);
    assert_int_equal(send_text(t, si.id, "eeeeeeee", 4), 0);
    get(t, 3, si.q, 5);
    x_text(t, 3, "4dddddd");
    get(t, 4, si.q, 6);
    x_text(t, 4, "4eeeeeeee");
    /* a message filling a body on its own */
    assert_int_equal(send_text(t, si.id, "fffffffffffffff", 7), 0);
    assert_int_equal(send_text(t, si.id, "g", 7), 0);
    get(t, 5, si.q, 8);
    x_text(t, 5, "4fffffffffffffff");
    get(t, 6, si.q, 9);
    x_text(t, 6, "4g");
    /* base64 is what counts: 9 bytes are "b" + 12 characters, + 1 + 2 */
    assert_int_equal(send_bin(t, si.id, 9, 10), 0);
    assert_int_equal(send_text(t, si.id, "h", 10), 0);
    get(t, 7, si.q, 11);
    x_text(t, 7, "bAQIDBAUGBwgJ\x1e" "4h");
    /* a held GET is answered by the first send, the rest wait */
    get(t, 8, si.q, 12);
    x_no_action(t);
    assert_int_equal(send_text(t, si.id, "iiiiiiiiiiiiii", 12), 0);
    x_text(t, 8, "4iiiiiiiiiiiiii");
    assert_int_equal(send_text(t, si.id, "j", 12), 0);
    assert_int_equal(send_text(t, si.id, "k", 12), 0);
    x_no_action(t);
    get(t, 9, si.q, 13);
    x_text(t, 9, "4j\x1e" "4k");
    x_no_event(t);
    /* on WebSocket the polling bound does not apply */
    sinfo w = open_ws(t, EIO_V4, 50, 14);
    assert_int_equal(send_text(t, w.id, "xxxxxxxxxxxxxxxxxxxx", 15), 0);
    x_frame(t, 50, "4xxxxxxxxxxxxxxxxxxxx", 21, false);
    hfree(t);
}

/* v3: sizes in the format the batch selects (binary once a packet is binary). */
static void test_poll_split_v3(void **st)
{
    (void)st;
    h *t = hnew_mp(EIO_ACCEPT_V3, 20);
    sinfo si = open_polling(t, EIO_V3, NULL, 0);
    /* "18:4" + 17 bytes = 21; binary format: 1 + 2 + 1 + 1 + 16 = 21 */
    assert_int_equal(send_text(t, si.id, "xxxxxxxxxxxxxxxxx", 1), EIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(send_bin(t, si.id, 16, 1), EIO_ERR_PACKET_TOO_LARGE);
    /* "17:4" + 16 bytes: exactly 20 */
    assert_int_equal(send_text(t, si.id, "xxxxxxxxxxxxxxxx", 1), 0);
    get(t, 1, si.q, 2);
    x_text(t, 1, "17:4xxxxxxxxxxxxxxxx");
    /* text then binary: 12 + 9 = 21 in the binary format, so the text goes
       alone, as text, and the binary packet in the next body */
    assert_int_equal(send_text(t, si.id, "aaaaaaaa", 3), 0);
    assert_int_equal(send_bin(t, si.id, 5, 3), 0);
    get(t, 2, si.q, 4);
    x_text(t, 2, "9:4aaaaaaaa");
    get(t, 3, si.q, 5);
    x_respond(t, 3, 200, CT_BIN, "\x01\x06\xff\x04\x01\x02\x03\x04\x05", 9);
    /* binary then text: 9 + 5 = 14, one binary body */
    assert_int_equal(send_bin(t, si.id, 5, 6), 0);
    assert_int_equal(send_text(t, si.id, "a", 6), 0);
    get(t, 4, si.q, 7);
    x_respond(t, 4, 200, CT_BIN, "\x01\x06\xff\x04\x01\x02\x03\x04\x05\x00\x02\xff" "4a", 14);
    /* two text packets: 11 + 9 = 20 */
    assert_int_equal(send_text(t, si.id, "aaaaaaaa", 8), 0);
    assert_int_equal(send_text(t, si.id, "bbbbbb", 8), 0);
    assert_int_equal(send_text(t, si.id, "c", 8), 0);
    get(t, 5, si.q, 9);
    x_text(t, 5, "9:4aaaaaaaa7:4bbbbbb");
    get(t, 6, si.q, 10);
    x_text(t, 6, "2:4c");
    x_no_event(t);
    hfree(t);

    /* b64=1: binary as base64 text, "14:b4" + 12 = 17; 12 bytes make 21 */
    t = hnew_mp(EIO_ACCEPT_V3, 20);
    si = open_polling(t, EIO_V3, "&b64=1", 0);
    assert_int_equal(send_bin(t, si.id, 12, 1), EIO_ERR_PACKET_TOO_LARGE);
    assert_int_equal(send_bin(t, si.id, 9, 1), 0);
    assert_int_equal(send_text(t, si.id, "a", 1), 0);
    get(t, 1, si.q, 2);
    x_text(t, 1, "14:b4AQIDBAUGBwgJ");
    get(t, 2, si.q, 3);
    x_text(t, 2, "2:4a");
    hfree(t);
}

/* An orderly close whose queue and close packet do not fit one body. */
static void test_close_split(void **st)
{
    (void)st;
    h *t = hnew_mp(EIO_ACCEPT_V4 | EIO_ACCEPT_V3, 16);
    /* 16 bytes of queue: the close packet needs the next GET */
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    assert_int_equal(send_text(t, a.id, "aaaaaa", 1), 0);
    assert_int_equal(send_text(t, a.id, "bbbbbbb", 1), 0);
    assert_int_equal(eio_server_close_session(t->s, a.id, 5), 0);
    assert_int_equal(eio_server_session_state(t->s, a.id), EIO_STATE_CLOSING);
    assert_int_equal(eio_server_get_expiry(t->s), 30005);
    x_no_action(t);
    x_no_event(t);
    get(t, 1, a.q, 10);
    x_text(t, 1, "4aaaaaa\x1e" "4bbbbbbb");
    x_no_action(t);
    x_no_event(t);
    assert_int_equal(eio_server_session_state(t->s, a.id), EIO_STATE_CLOSING);
    /* each GET restarts the wait for the next */
    assert_int_equal(eio_server_get_expiry(t->s), 30010);
    assert_int_equal(send_text(t, a.id, "late", 11), EIO_ERR_INVALID_ARGUMENT);
    get(t, 2, a.q, 20);
    x_text(t, 2, "1");
    x_close(t, a.id, EIO_CLOSE_FORCED, 0);
    x_no_action(t);

    /* 14 bytes + "\x1e1": exactly 16, one answer */
    sinfo b = open_polling(t, EIO_V4, NULL, 30);
    assert_int_equal(send_text(t, b.id, "aaaaaa", 31), 0);
    assert_int_equal(send_text(t, b.id, "bbbbb", 31), 0);
    assert_int_equal(eio_server_close_session(t->s, b.id, 32), 0);
    get(t, 3, b.q, 33);
    x_text(t, 3, "4aaaaaa\x1e" "4bbbbb\x1e" "1");
    x_close(t, b.id, EIO_CLOSE_FORCED, 0);

    /* three GETs: two full messages, then the last one with the close */
    sinfo c = open_polling(t, EIO_V4, NULL, 40);
    assert_int_equal(send_text(t, c.id, "fffffffffffffff", 41), 0);
    assert_int_equal(send_text(t, c.id, "ggggggggggggggg", 41), 0);
    assert_int_equal(send_text(t, c.id, "h", 41), 0);
    assert_int_equal(eio_server_close_session(t->s, c.id, 42), 0);
    get(t, 4, c.q, 43);
    x_text(t, 4, "4fffffffffffffff");
    get(t, 5, c.q, 44);
    x_text(t, 5, "4ggggggggggggggg");
    x_no_event(t);
    get(t, 6, c.q, 45);
    x_text(t, 6, "4h\x1e" "1");
    x_close(t, c.id, EIO_CLOSE_FORCED, 0);

    /* v3: the close packet in the binary format: 9 + 4 bytes */
    sinfo d = open_polling(t, EIO_V3, NULL, 50);
    assert_int_equal(send_bin(t, d.id, 5, 51), 0);
    assert_int_equal(eio_server_close_session(t->s, d.id, 52), 0);
    get(t, 7, d.q, 53);
    x_respond(t, 7, 200, CT_BIN, "\x01\x06\xff\x04\x01\x02\x03\x04\x05\x00\x01\xff" "1", 13);
    x_close(t, d.id, EIO_CLOSE_FORCED, 0);

    /* v3 text: "9:4aaaaaaaa" + "4:4bbb" = 17 > 16, then "1:1" */
    sinfo e = open_polling(t, EIO_V3, NULL, 60);
    assert_int_equal(send_text(t, e.id, "aaaaaaaa", 61), 0);
    assert_int_equal(send_text(t, e.id, "bbb", 61), 0);
    assert_int_equal(eio_server_close_session(t->s, e.id, 62), 0);
    get(t, 8, e.q, 63);
    x_text(t, 8, "9:4aaaaaaaa");
    get(t, 9, e.q, 64);
    x_text(t, 9, "4:4bbb1:1");
    x_close(t, e.id, EIO_CLOSE_FORCED, 0);

    /* closing with part of the queue sent: the 30 s wait, and shutdown,
       end it with what is left dropped */
    sinfo f = open_polling(t, EIO_V4, NULL, 70);
    assert_int_equal(send_text(t, f.id, "fffffffffffffff", 71), 0);
    assert_int_equal(send_text(t, f.id, "ggggggggggggggg", 71), 0);
    assert_int_equal(eio_server_close_session(t->s, f.id, 72), 0);
    get(t, 10, f.q, 73);
    x_text(t, 10, "4fffffffffffffff");
    assert_int_equal(eio_server_handle_expiry(t->s, 30072), 0);
    x_no_event(t);
    assert_int_equal(eio_server_handle_expiry(t->s, 30073), 0);
    x_no_action(t);
    x_close(t, f.id, EIO_CLOSE_FORCED, 0);
    sinfo g = open_polling(t, EIO_V4, NULL, 80);
    assert_int_equal(send_text(t, g.id, "fffffffffffffff", 81), 0);
    assert_int_equal(send_text(t, g.id, "ggggggggggggggg", 81), 0);
    assert_int_equal(eio_server_close_session(t->s, g.id, 82), 0);
    get(t, 11, g.q, 83);
    x_text(t, 11, "4fffffffffffffff");
    assert_int_equal(eio_server_shutdown(t->s, 84), 0);
    x_no_action(t);
    x_close(t, g.id, EIO_CLOSE_FORCED, 0);
    x_no_event(t);
    assert_int_equal(eio_server_session_count(t->s), 0);
    hfree(t);
}

/* v4 text holding 0x1e: refused while the session may use polling. */
static void test_separator_rule(void **st)
{
    (void)st;
    static const uint8_t rs[] = "a\x1e" "b";
    h *t = hnew(EIO_ACCEPT_V4 | EIO_ACCEPT_V3);
    sinfo a = open_polling(t, EIO_V4, NULL, 0);
    assert_int_equal(eio_server_send(t->s, a.id, rs, 3, false, 1), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(eio_server_send(t->s, a.id, rs + 1, 1, false, 1),
                     EIO_ERR_INVALID_ARGUMENT);
    x_no_action(t);
    /* as binary it travels as base64 */
    assert_int_equal(eio_server_send(t->s, a.id, rs, 3, true, 1), 0);
    get(t, 1, a.q, 2);
    x_text(t, 1, "bYR5i");
    /* still polling while the upgrade is probed */
    char uq[128];
    upgrade_q(&a, uq, sizeof(uq));
    ws_open(t, 9, uq, 3);
    x_ws(t, EIO_SERVER_WS_ACCEPT, 9);
    ws_msg(t, 9, "2probe", 6, false, 4);
    x_frame(t, 9, "3probe", 6, false);
    assert_int_equal(eio_server_send(t->s, a.id, rs, 3, false, 5), EIO_ERR_INVALID_ARGUMENT);
    ws_msg(t, 9, "5", 1, false, 6);
    x_event(t, EIO_EVENT_UPGRADE, a.id);
    /* on WebSocket for good: accepted, one frame, and received whole */
    assert_int_equal(eio_server_send(t->s, a.id, rs, 3, false, 7), 0);
    x_frame(t, 9, "4a\x1e" "b", 4, false);
    ws_msg(t, 9, "4a\x1e" "b", 4, false, 8);
    x_msg(t, a.id, "a\x1e" "b", 3, false);
    /* a WebSocket-only session from the start */
    sinfo w = open_ws(t, EIO_V4, 20, 9);
    assert_int_equal(eio_server_send(t->s, w.id, rs, 3, false, 10), 0);
    x_frame(t, 20, "4a\x1e" "b", 4, false);
    /* v3 polling has length prefixes: fine */
    sinfo v3 = open_polling(t, EIO_V3, NULL, 11);
    assert_int_equal(eio_server_send(t->s, v3.id, rs, 3, false, 12), 0);
    get(t, 2, v3.q, 13);
    x_text(t, 2, "4:4a\x1e" "b");
    x_no_action(t);
    x_no_event(t);
    hfree(t);
}

/* A session split across GETs and closed in pieces, for the failure sweep. */
static int scripted_split(h *t)
{
    eio_server *s = t->s;
    eio_server_action a;
    eio_event e;
    uint32_t id = 0;
    char q[96];
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = 1;
    r.method = EIO_HTTP_GET;
    r.query = "EIO=4&transport=polling";
    r.query_len = strlen(r.query);
    r.content_length = -1;
    if (eio_server_handle_request(s, &r, 0) != 0) {
        return -1;
    }
    while (eio_server_next_action(s, &a)) {
    }
    while (eio_server_next_event(s, &e)) {
        if (e.type == EIO_EVENT_OPEN) {
            id = e.session;
        }
    }
    if (!id) {
        return -1;
    }
    snprintf(q, sizeof(q), "EIO=4&transport=polling&sid=%s", eio_server_session_sid(s, id));
    r.query = q;
    r.query_len = strlen(q);
    for (int i = 0; i < 4; i++) {
        /* 11 and 13 bytes ("b" + base64): one or two to a body */
        (void)eio_server_send(s, id, (const uint8_t *)"0123456789", i % 2 ? 9u : 10u, i % 2 == 1,
                              1);
    }
    r.conn = 2;
    (void)eio_server_handle_request(s, &r, 2);
    (void)eio_server_close_session(s, id, 3);
    for (uint32_t c = 3; c < 7; c++) {
        r.conn = c;
        (void)eio_server_handle_request(s, &r, c);
    }
    return 0;
}

static void test_failmem_split(void **st)
{
    (void)st;
    long total;
    {
        h *t = hnew_mp(EIO_ACCEPT_V4, 16);
        long before = t->fm.calls;
        assert_int_equal(scripted_split(t), 0);
        total = t->fm.calls - before;
        eio_event e;
        int closes = 0;
        while (eio_server_next_event(t->s, &e)) {
            closes += e.type == EIO_EVENT_CLOSE;
        }
        assert_int_equal(closes, 1);
        hfree(t);
    }
    assert_true(total > 8);
    for (long i = 0; i < total + 5; i++) {
        h *t = hnew_mp(EIO_ACCEPT_V4, 16);
        t->fm.fail_at = t->fm.calls + i;
        (void)scripted_split(t);
        eio_server_action a;
        eio_event e;
        while (eio_server_next_action(t->s, &a)) {
        }
        while (eio_server_next_event(t->s, &e)) {
        }
        hfree(t);
    }
}

/* A scripted session touching most allocation sites. */
static int scripted(h *t)
{
    eio_server *s = t->s;
    eio_server_action a;
    eio_event e;
    uint32_t id = 0;
    char q[96], uq[128];
    eio_server_request r;
    memset(&r, 0, sizeof(r));
    r.conn = 1;
    r.method = EIO_HTTP_GET;
    r.query = "EIO=4&transport=polling";
    r.query_len = strlen(r.query);
    r.content_length = -1;
    if (eio_server_handle_request(s, &r, 0) != 0) {
        return -1;
    }
    while (eio_server_next_action(s, &a)) {
    }
    while (eio_server_next_event(s, &e)) {
        if (e.type == EIO_EVENT_OPEN) {
            id = e.session;
        }
    }
    if (!id) {
        return -1;
    }
    snprintf(q, sizeof(q), "EIO=4&transport=polling&sid=%s", eio_server_session_sid(s, id));
    snprintf(uq, sizeof(uq), "EIO=4&transport=websocket&sid=%s", eio_server_session_sid(s, id));
    (void)eio_server_send(s, id, (const uint8_t *)"a", 1, false, 1);
    (void)eio_server_send(s, id, (const uint8_t *)"\x01", 1, true, 1);
    r.conn = 2;
    r.query = q;
    r.query_len = strlen(q);
    (void)eio_server_handle_request(s, &r, 2);
    r.conn = 3;
    r.method = EIO_HTTP_POST;
    r.body = (const uint8_t *)"4x\x1e" "bAQID\x1e" "3";
    r.body_len = 10;
    (void)eio_server_handle_request(s, &r, 3);
    r.conn = 4;
    r.method = EIO_HTTP_GET;
    r.body = NULL;
    r.body_len = 0;
    (void)eio_server_handle_request(s, &r, 4);
    (void)eio_server_handle_expiry(s, 25000);
    r.conn = 5;
    r.websocket = true;
    r.query = uq;
    r.query_len = strlen(uq);
    (void)eio_server_handle_request(s, &r, 25001);
    (void)eio_server_ws_message(s, 5, (const uint8_t *)"2probe", 6, false, 25002);
    (void)eio_server_send(s, id, (const uint8_t *)"b", 1, false, 25003);
    (void)eio_server_ws_message(s, 5, (const uint8_t *)"5", 1, false, 25004);
    (void)eio_server_ws_message(s, 5, (const uint8_t *)"4y", 2, false, 25005);
    (void)eio_server_send(s, id, (const uint8_t *)"c", 1, false, 25006);
    (void)eio_server_handle_expiry(s, 90000);
    while (eio_server_next_action(s, &a)) {
    }
    while (eio_server_next_event(s, &e)) {
    }
    (void)eio_server_close_session(s, id, 90001);
    /* a second session left open at free */
    r.conn = 6;
    r.websocket = false;
    r.query = "EIO=4&transport=polling";
    r.query_len = strlen(r.query);
    (void)eio_server_handle_request(s, &r, 90002);
    (void)eio_server_shutdown(s, 90003);
    return 0;
}

static void test_failmem_sweep(void **st)
{
    (void)st;
    long total;
    {
        h *t = hnew(EIO_ACCEPT_V4);
        long before = t->fm.calls;
        assert_int_equal(scripted(t), 0);
        total = t->fm.calls - before;
        hfree(t);
    }
    assert_true(total > 20);
    for (long i = 0; i < total + 5; i++) {
        h *t = hnew(EIO_ACCEPT_V4);
        t->fm.fail_at = t->fm.calls + i;
        (void)scripted(t);
        /* draining after a failure is still safe */
        eio_server_action a;
        eio_event e;
        while (eio_server_next_action(t->s, &a)) {
        }
        while (eio_server_next_event(t->s, &e)) {
        }
        hfree(t);
    }
    /* creation itself */
    tu_failmem fm;
    tu_failmem_init(&fm, 0);
    eio_server_options o;
    opts(NULL, &o);
    o.random = fake_random;
    h dummy;
    memset(&dummy, 0, sizeof(dummy));
    o.random_user_data = &dummy;
    eio_server *s = NULL;
    assert_int_equal(eio_server_new(&s, &o, &fm.mem), EIO_ERR_NOMEM);
    assert_null(s);
    assert_int_equal(fm.outstanding, 0);
}

/* After every session closes and its CLOSE is drained, per-session memory
   is back: a second identical round ends at the same outstanding count. */
static void test_memory_returns(void **st)
{
    (void)st;
    h *t = hnew(EIO_ACCEPT_V4 | EIO_ACCEPT_V3);
    long after[2];
    for (int round = 0; round < 2; round++) {
        uint32_t ids[40];
        eio_time base = (eio_time)round * 100000;
        for (int i = 0; i < 40; i++) {
            if (i % 2) {
                ids[i] = open_ws(t, EIO_V4, 1000 + (uint32_t)i, base).id;
            } else {
                ids[i] = open_polling(t, i % 4 ? EIO_V4 : EIO_V3, NULL, base).id;
            }
            assert_int_equal(eio_server_send(t->s, ids[i], (const uint8_t *)"payload", 7, false,
                                             base), 0);
            eio_server_action a;
            while (eio_server_next_action(t->s, &a)) {
            }
        }
        assert_int_equal(eio_server_session_count(t->s), 40);
        for (int i = 0; i < 40; i++) {
            assert_int_equal(eio_server_close_session(t->s, ids[i], base + 1), 0);
        }
        assert_int_equal(eio_server_handle_expiry(t->s, base + 40000), 0);
        eio_server_action a;
        eio_event e;
        while (eio_server_next_action(t->s, &a)) {
        }
        while (eio_server_next_event(t->s, &e)) {
        }
        assert_int_equal(eio_server_session_count(t->s), 0);
        assert_int_equal(eio_server_get_expiry(t->s), EIO_TIME_NEVER);
        assert_int_equal(eio_server_handle_expiry(t->s, base + 40001), 0); /* reclaims drained data */
        after[round] = t->fm.outstanding;
    }
    assert_int_equal(after[0], after[1]);
    hfree(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_reason_names),
        cmocka_unit_test(test_send_own_event_data),
        cmocka_unit_test(test_new_args),
        cmocka_unit_test(test_handshake_polling_v4),
        cmocka_unit_test(test_handshake_polling_v3),
        cmocka_unit_test(test_version_refused),
        cmocka_unit_test(test_handshake_websocket_only),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_options_204),
        cmocka_unit_test(test_post_inline_and_follows),
        cmocka_unit_test(test_post_overlap),
        cmocka_unit_test(test_get_overlap),
        cmocka_unit_test(test_413),
        cmocka_unit_test(test_undecodable_body),
        cmocka_unit_test(test_messages_batched_v4),
        cmocka_unit_test(test_messages_v3_formats),
        cmocka_unit_test(test_heartbeat_v4),
        cmocka_unit_test(test_heartbeat_v3),
        cmocka_unit_test(test_heartbeat_wrong_direction_v4),
        cmocka_unit_test(test_heartbeat_websocket),
        cmocka_unit_test(test_upgrade_v4),
        cmocka_unit_test(test_upgrade_v3_binary),
        cmocka_unit_test(test_upgrade_failures),
        cmocka_unit_test(test_close_by_application),
        cmocka_unit_test(test_client_close),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_abandoned_polling),
        cmocka_unit_test(test_max_sessions_and_handles),
        cmocka_unit_test(test_sid_format),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_poll_split_v4),
        cmocka_unit_test(test_poll_split_v3),
        cmocka_unit_test(test_close_split),
        cmocka_unit_test(test_separator_rule),
        cmocka_unit_test(test_failmem_sweep),
        cmocka_unit_test(test_failmem_split),
        cmocka_unit_test(test_memory_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
