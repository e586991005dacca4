/*
 * test_sio_server.c - the Socket.IO server machine, driven by fake
 * Engine.IO events and a fake clock; every SIO_ACTION_EIO_SEND is checked
 * byte for byte and every event field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/sio_msgpack.h"
#include "sioc/sio_session.h"
#include "test_util.h"

/* Sids drawn by fake_random: 15 bytes counting up from 0, 15, 30, ... */
#define SID1 "AAECAwQFBgcICQoLDA0O"
#define SID2 "DxAREhMUFRYXGBkaGxwd"
#define SID3 "Hh8gISIjJCUmJygpKiss"
#define SID4 "LS4vMDEyMzQ1Njc4OTo7"

typedef struct fx {
    sio_server *s;
    tu_failmem fm;
    uint8_t counter;
    eio_arena arena; /* trees the tests build */
} fx;

static int fake_random(uint8_t *buf, size_t len, void *ud)
{
    fx *f = ud;
    for (size_t i = 0; i < len; i++) {
        buf[i] = f->counter++;
    }
    return 0;
}

static int failing_random(uint8_t *buf, size_t len, void *ud)
{
    (void)buf;
    (void)len;
    (void)ud;
    return -1;
}

static void opts(fx *f, sio_server_options *o)
{
    sio_server_options_default(o);
    o->random = fake_random;
    o->random_user_data = f;
}

static fx *fx_new_opt(const sio_server_options *o)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    tu_failmem_init(&f->fm, -1);
    sio_server_options copy = *o;
    copy.random_user_data = f;
    assert_int_equal(sio_server_new(&f->s, &copy, &f->fm.mem), 0);
    eio_arena_init(&f->arena, NULL, 0, 0);
    return f;
}

static fx *fx_new(bool auto_accept)
{
    sio_server_options o;
    opts(NULL, &o);
    o.auto_accept = auto_accept;
    return fx_new_opt(&o);
}

static void fx_free(fx *f)
{
    sio_server_free(f->s);
    assert_int_equal(f->fm.outstanding, 0);
    eio_arena_destroy(&f->arena);
    free(f);
}

static void msg(fx *f, uint32_t session, const char *text, eio_time now)
{
    /* Through a guard copy, freed right after: the machine must keep its own copy. */
    size_t n = strlen(text);
    uint8_t *g = tu_guard_copy(text, n);
    assert_int_equal(sio_server_eio_message(f->s, session, g, n, false, now), 0);
    memset(g, 'X', n);
    tu_guard_free(g, n);
}

static void bin(fx *f, uint32_t session, const uint8_t *data, size_t n, eio_time now)
{
    uint8_t *g = tu_guard_copy(data, n);
    assert_int_equal(sio_server_eio_message(f->s, session, g, n, true, now), 0);
    memset(g, 0xEE, n);
    tu_guard_free(g, n);
}

static void expect_send(fx *f, uint32_t session, const char *text)
{
    sio_action a;
    assert_int_equal(sio_server_next_action(f->s, &a), 1);
    assert_int_equal(a.type, SIO_ACTION_EIO_SEND);
    assert_int_equal(a.session, session);
    assert_false(a.binary);
    assert_int_equal(a.len, strlen(text));
    assert_memory_equal(a.data, text, a.len);
}

static const uint8_t *expect_send_bin(fx *f, uint32_t session, const uint8_t *data, size_t n)
{
    sio_action a;
    assert_int_equal(sio_server_next_action(f->s, &a), 1);
    assert_int_equal(a.type, SIO_ACTION_EIO_SEND);
    assert_int_equal(a.session, session);
    assert_true(a.binary);
    assert_int_equal(a.len, n);
    if (n > 0) {
        assert_memory_equal(a.data, data, n);
    }
    return a.data;
}

static void expect_close(fx *f, uint32_t session)
{
    sio_action a;
    assert_int_equal(sio_server_next_action(f->s, &a), 1);
    assert_int_equal(a.type, SIO_ACTION_EIO_CLOSE);
    assert_int_equal(a.session, session);
}

static void expect_no_action(fx *f)
{
    sio_action a;
    assert_int_equal(sio_server_next_action(f->s, &a), 0);
}

static void expect_no_event(fx *f)
{
    sio_event e;
    assert_int_equal(sio_server_next_event(f->s, &e), 0);
}

/* The next event: type, socket, session and namespace checked. */
static sio_event expect_event(fx *f, sio_event_type type, uint32_t socket, uint32_t session,
                              const char *nsp)
{
    sio_event e;
    assert_int_equal(sio_server_next_event(f->s, &e), 1);
    assert_int_equal(e.type, type);
    assert_int_equal(e.socket, socket);
    assert_int_equal(e.session, session);
    assert_int_equal(e.nsp.len, strlen(nsp));
    assert_memory_equal(e.nsp.ptr, nsp, e.nsp.len);
    return e;
}

static void assert_json(const eio_json *v, const char *want)
{
    char buf[1024];
    assert_non_null(v);
    size_t n = eio_json_write(v, buf, sizeof buf);
    assert_true(n < sizeof buf);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static eio_json *parse(fx *f, const char *json)
{
    eio_json *v = NULL;
    assert_int_equal(eio_json_parse((const uint8_t *)json, strlen(json), NULL, &f->arena, &v,
                                    NULL),
                     0);
    return v;
}

/* Opens v5 session `session` and connects `nsp` ("/" or custom) as socket `sock`. */
static void connect_v5(fx *f, uint32_t session, const char *nsp, uint32_t sock, const char *sid,
                       bool open)
{
    if (open) {
        assert_int_equal(sio_server_eio_open(f->s, session, EIO_V4, 0), 0);
    }
    char m[256], want[256];
    bool root = strcmp(nsp, "/") == 0;
    snprintf(m, sizeof m, root ? "0" : "0%s,", nsp);
    msg(f, session, m, 0);
    sio_event e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, sock, session, nsp);
    assert_null(e.data);
    assert_int_equal(sio_server_accept(f->s, sock, 0), 0);
    snprintf(want, sizeof want, root ? "0{\"sid\":\"%s\"}" : "0%s,{\"sid\":\"%s\"}",
             root ? sid : nsp, sid);
    expect_send(f, session, want);
    e = expect_event(f, SIO_EVENT_CONNECT, sock, session, nsp);
    assert_string_equal(e.sid, sid);
    expect_no_action(f);
    expect_no_event(f);
}

/* ------------------------------------------------------------------------ */

/* An echo: the tree of the server's own EVENT goes straight back into
   sio_server_emit and sio_server_ack (nothing is released before it is
   encoded). The event is large so that its tree spans several arena blocks. */
static void test_emit_own_event_data(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    size_t n = 3000, cap = n * 8 + 32;
    char *in = malloc(cap);
    char *want = malloc(cap);
    assert_non_null(in);
    assert_non_null(want);
    size_t k = (size_t)snprintf(in, cap, "21[\"echo\"");
    for (size_t i = 0; i < n; i++) {
        k += (size_t)snprintf(in + k, cap - k, ",[%zu]", i % 10);
    }
    snprintf(in + k, cap - k, "]");
    msg(f, 1, in, 0);
    sio_event e = expect_event(f, SIO_EVENT_EVENT, 1, 1, "/");
    assert_true(e.has_id);
    assert_int_equal(sio_server_emit(f->s, 1, e.data, 0, 0, 1), 0);
    assert_int_equal(sio_server_ack(f->s, 1, e.id, e.data, 1), 0);
    snprintf(want, cap, "2%s", in + 2);
    expect_send(f, 1, want);
    snprintf(want, cap, "31%s", in + 2);
    expect_send(f, 1, want);
    expect_no_action(f);
    free(in);
    free(want);
    fx_free(f);
}

static void test_options_default(void **state)
{
    (void)state;
    sio_server_options o;
    memset(&o, 0xAB, sizeof o);
    sio_server_options_default(&o);
    assert_int_equal(o.parser, SIO_PARSER_JSON);
    assert_int_equal(o.connect_timeout, 45000);
    assert_false(o.auto_accept);
    assert_int_equal(o.max_sockets, 100);
    assert_int_equal(o.max_pending_acks, 10000);
    assert_int_equal(o.ack_timeout, 0);
    assert_null(o.random);
    assert_int_equal(o.limits.max_attachments, 10);

    sio_server *s = NULL;
    assert_int_equal(sio_server_new(&s, &o, NULL), EIO_ERR_INVALID_ARGUMENT); /* no random */
    assert_null(s);
    assert_int_equal(sio_server_new(NULL, &o, NULL), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_new(&s, NULL, NULL), EIO_ERR_INVALID_ARGUMENT);
    sio_server_free(NULL);
}

/* The v5 specification's sample session, byte for byte (sids are ours). */
static void test_sample_session_v5(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    assert_int_equal(sio_server_eio_open(f->s, 7, EIO_V4, 0), 0);
    expect_no_action(f);
    expect_no_event(f);

    msg(f, 7, "0", 10);
    sio_event e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 7, "/");
    assert_null(e.data);
    assert_null(sio_server_socket_id(f->s, 1));
    assert_int_equal(sio_server_accept(f->s, 1, 11), 0);
    expect_send(f, 7, "0{\"sid\":\"" SID1 "\"}");
    e = expect_event(f, SIO_EVENT_CONNECT, 1, 7, "/");
    assert_string_equal(e.sid, SID1);
    assert_string_equal(sio_server_socket_id(f->s, 1), SID1);
    assert_int_equal(sio_server_socket_session(f->s, 1), 7);
    assert_int_equal(sio_server_socket_nsp(f->s, 1).len, 1);

    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"hey\",\"Jude\"]"), 0, 0, 12), 0);
    expect_send(f, 7, "2[\"hey\",\"Jude\"]");

    msg(f, 7, "2[\"hello\"]", 13);
    msg(f, 7, "2[\"world\"]", 13);
    e = expect_event(f, SIO_EVENT_EVENT, 1, 7, "/");
    assert_false(e.has_id);
    assert_json(e.data, "[\"hello\"]");
    e = expect_event(f, SIO_EVENT_EVENT, 1, 7, "/");
    assert_json(e.data, "[\"world\"]");

    msg(f, 7, "0/admin,", 14);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 2, 7, "/admin");
    assert_int_equal(sio_server_accept(f->s, 2, 15), 0);
    expect_send(f, 7, "0/admin,{\"sid\":\"" SID2 "\"}");
    e = expect_event(f, SIO_EVENT_CONNECT, 2, 7, "/admin");
    assert_string_equal(e.sid, SID2);

    msg(f, 7, "2/admin,1[\"tellme\"]", 16);
    e = expect_event(f, SIO_EVENT_EVENT, 2, 7, "/admin");
    assert_true(e.has_id);
    assert_int_equal(e.id, 1);
    assert_json(e.data, "[\"tellme\"]");

    static const uint8_t blob[] = {1, 2, 3, 4};
    eio_json *args = eio_json_new_array(&f->arena);
    assert_int_equal(eio_json_append(args, eio_json_new_binary(&f->arena, blob, 4)), 0);
    assert_int_equal(sio_server_ack(f->s, 2, 1, args, 17), 0);
    expect_send(f, 7, "61-/admin,1[{\"_placeholder\":true,\"num\":0}]");
    expect_send_bin(f, 7, blob, 4);
    expect_no_action(f);

    assert_int_equal(sio_server_eio_close(f->s, 7, EIO_CLOSE_TRANSPORT_CLOSE, 20), 0);
    e = expect_event(f, SIO_EVENT_DISCONNECT, 1, 7, "/");
    assert_int_equal(e.reason, SIO_DISCONNECT_TRANSPORT_CLOSE);
    e = expect_event(f, SIO_EVENT_DISCONNECT, 2, 7, "/admin");
    assert_int_equal(e.reason, SIO_DISCONNECT_TRANSPORT_CLOSE);
    expect_no_event(f);
    expect_no_action(f);
    assert_null(sio_server_socket_id(f->s, 1));
    assert_int_equal(sio_server_socket_session(f->s, 2), 0);
    /* The session is gone: further Engine.IO events for it are caller errors. */
    assert_int_equal(sio_server_eio_close(f->s, 7, EIO_CLOSE_TRANSPORT_CLOSE, 21),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_eio_message(f->s, 7, (const uint8_t *)"0", 1, false, 21),
                     EIO_ERR_INVALID_ARGUMENT);
    fx_free(f);
}

/* The v4 specification's sample session: "/" is implicit, CONNECT has no payload. */
static void test_sample_session_v4(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    assert_int_equal(sio_server_eio_open(f->s, 3, EIO_V3, 0), 0);
    sio_event e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 3, "/");
    assert_null(e.data);
    expect_no_action(f);
    assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER); /* no connect timeout */
    assert_int_equal(sio_server_accept(f->s, 1, 1), 0);
    expect_send(f, 3, "0");
    e = expect_event(f, SIO_EVENT_CONNECT, 1, 3, "/");
    assert_string_equal(e.sid, SID1);

    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"hey\",\"Jude\"]"), 0, 0, 2), 0);
    expect_send(f, 3, "2[\"hey\",\"Jude\"]");
    msg(f, 3, "2[\"hello\"]", 3);
    msg(f, 3, "2[\"world\"]", 3);
    assert_json(expect_event(f, SIO_EVENT_EVENT, 1, 3, "/").data, "[\"hello\"]");
    assert_json(expect_event(f, SIO_EVENT_EVENT, 1, 3, "/").data, "[\"world\"]");

    msg(f, 3, "0/admin,", 4);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 2, 3, "/admin");
    assert_int_equal(sio_server_accept(f->s, 2, 5), 0);
    expect_send(f, 3, "0/admin,");
    expect_event(f, SIO_EVENT_CONNECT, 2, 3, "/admin");

    msg(f, 3, "2/admin,1[\"tellme\"]", 6);
    e = expect_event(f, SIO_EVENT_EVENT, 2, 3, "/admin");
    assert_true(e.has_id);
    assert_int_equal(e.id, 1);
    static const uint8_t blob[] = {1, 2, 3, 4};
    eio_json *args = eio_json_new_array(&f->arena);
    assert_int_equal(eio_json_append(args, eio_json_new_binary(&f->arena, blob, 4)), 0);
    assert_int_equal(sio_server_ack(f->s, 2, 1, args, 7), 0);
    expect_send(f, 3, "61-/admin,1[{\"_placeholder\":true,\"num\":0}]");
    expect_send_bin(f, 3, blob, 4);

    assert_int_equal(sio_server_eio_close(f->s, 3, EIO_CLOSE_PING_TIMEOUT, 8), 0);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 1, 3, "/").reason,
                     SIO_DISCONNECT_PING_TIMEOUT);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 2, 3, "/admin").reason,
                     SIO_DISCONNECT_PING_TIMEOUT);
    expect_no_event(f);
    fx_free(f);
}

static void test_auto_accept(void **state)
{
    (void)state;
    fx *f = fx_new(true);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V3, 0), 0);
    expect_send(f, 1, "0");
    assert_string_equal(expect_event(f, SIO_EVENT_CONNECT, 1, 1, "/").sid, SID1);
    msg(f, 1, "0/chat?x=1,", 1);
    expect_send(f, 1, "0/chat,");
    expect_event(f, SIO_EVENT_CONNECT, 2, 1, "/chat");

    assert_int_equal(sio_server_eio_open(f->s, 2, EIO_V4, 0), 0);
    expect_no_action(f);
    msg(f, 2, "0{\"token\":\"t\"}", 1);
    expect_send(f, 2, "0{\"sid\":\"" SID3 "\"}");
    expect_event(f, SIO_EVENT_CONNECT, 3, 2, "/");
    expect_no_event(f);
    fx_free(f);
}

static void test_auth_payloads(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V4, 0), 0);
    msg(f, 1, "0{\"token\":\"x\"}", 0);
    sio_event e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 1, "/");
    assert_json(e.data, "{\"token\":\"x\"}");
    msg(f, 1, "0/admin,{\"token\":\"y\",\"n\":[1,2]}", 0);
    e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, 2, 1, "/admin");
    assert_json(e.data, "{\"token\":\"y\",\"n\":[1,2]}");
    /* The tree stays valid after draining until the next call. */
    assert_json(e.data, "{\"token\":\"y\",\"n\":[1,2]}");

    /* v4: the namespace query becomes the auth object. */
    assert_int_equal(sio_server_eio_open(f->s, 2, EIO_V3, 0), 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 3, 2, "/");
    assert_int_equal(sio_server_accept(f->s, 3, 0), 0);
    expect_send(f, 2, "0");
    expect_event(f, SIO_EVENT_CONNECT, 3, 2, "/");
    msg(f, 2, "0/admin?token=a%20b+c&flag&&k=%zz&k=2,", 0);
    e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, 4, 2, "/admin");
    assert_int_equal(e.data->type, EIO_JSON_OBJECT);
    assert_int_equal(e.data->u.c.count, 4);
    assert_json(eio_json_get(e.data, "token", 5), "\"a b c\"");
    assert_json(eio_json_get(e.data, "flag", 4), "\"\"");
    assert_json(e.data->u.c.first->next->next, "\"%zz\""); /* kept as sent when not a %XX */
    assert_json(eio_json_get(e.data, "k", 1), "\"2\"");
    fx_free(f);
}

static void test_refuse(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V4, 0), 0);
    msg(f, 1, "0", 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 1, "/");
    assert_int_equal(sio_server_refuse(f->s, 1, "Not authorized", NULL, 0), 0);
    expect_send(f, 1, "4{\"message\":\"Not authorized\"}");
    expect_no_event(f); /* never connected: no DISCONNECT */
    assert_int_equal(sio_server_accept(f->s, 1, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_refuse(f->s, 1, "x", NULL, 0), EIO_ERR_INVALID_ARGUMENT);

    msg(f, 1, "0/admin,", 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 2, 1, "/admin");
    eio_json *data = parse(f, "{\"code\":7}");
    assert_int_equal(sio_server_refuse(f->s, 2, "no", data, 0), 0);
    expect_send(f, 1, "4/admin,{\"message\":\"no\",\"data\":{\"code\":7}}");
    assert_json(data, "{\"code\":7}"); /* the caller's tree is untouched */
    assert_null(data->key);

    /* Refused namespaces may be asked for again: a new socket. */
    msg(f, 1, "0/admin,", 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 3, 1, "/admin");
    assert_int_equal(sio_server_refuse(f->s, 3, "\xff", NULL, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_refuse(f->s, 3, NULL, NULL, 0), EIO_ERR_INVALID_ARGUMENT);
    expect_no_action(f);
    assert_int_equal(sio_server_accept(f->s, 3, 0), 0);
    expect_send(f, 1, "0/admin,{\"sid\":\"" SID1 "\"}");
    expect_event(f, SIO_EVENT_CONNECT, 3, 1, "/admin");
    assert_int_equal(sio_server_refuse(f->s, 3, "late", NULL, 0), EIO_ERR_INVALID_ARGUMENT);

    /* v4: the message string. */
    assert_int_equal(sio_server_eio_open(f->s, 2, EIO_V3, 0), 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 4, 2, "/");
    assert_int_equal(sio_server_refuse(f->s, 4, "Not authorized", data, 0), 0);
    expect_send(f, 2, "4\"Not authorized\"");
    msg(f, 2, "0/admin,", 0); /* "/" is not connected: held back */
    expect_no_action(f);
    expect_no_event(f);
    fx_free(f);
}

/* socket.io 2 connects custom namespaces only once "/" is connected. */
static void test_v4_deferred_namespace(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V3, 0), 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 1, "/");
    msg(f, 1, "0/a,", 0);
    msg(f, 1, "0/b?q=1,", 0);
    expect_no_event(f);
    expect_no_action(f);
    assert_int_equal(sio_server_accept(f->s, 2, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_socket_nsp(f->s, 2).len, 0);
    assert_int_equal(sio_server_accept(f->s, 1, 0), 0);
    expect_send(f, 1, "0");
    expect_event(f, SIO_EVENT_CONNECT, 1, 1, "/");
    assert_null(expect_event(f, SIO_EVENT_CONNECT_REQUEST, 2, 1, "/a").data);
    assert_json(expect_event(f, SIO_EVENT_CONNECT_REQUEST, 3, 1, "/b").data, "{\"q\":\"1\"}");
    /* v4 ignores what it cannot place: a second CONNECT, events for unknown namespaces,
       client ERROR packets. */
    msg(f, 1, "0", 0);
    msg(f, 1, "2/zzz,[\"x\"]", 0);
    msg(f, 1, "2/a,[\"x\"]", 0);
    msg(f, 1, "4\"oops\"", 0);
    expect_no_event(f);
    expect_no_action(f);
    fx_free(f);
}

static void test_connect_timeout(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V4, 1000), 0);
    assert_int_equal(sio_server_eio_open(f->s, 2, EIO_V4, 2000), 0);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V4, 2000), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_get_expiry(f->s), 46000);
    assert_int_equal(sio_server_handle_expiry(f->s, 45999), 0);
    expect_no_action(f);
    assert_int_equal(sio_server_handle_expiry(f->s, 46000), 0);
    expect_close(f, 1);
    expect_no_action(f);
    expect_no_event(f);
    assert_int_equal(sio_server_get_expiry(f->s), 47000);
    /* Messages in flight after our close are dropped quietly. */
    msg(f, 1, "0", 46001);
    expect_no_event(f);
    expect_no_action(f);
    assert_int_equal(sio_server_eio_close(f->s, 1, EIO_CLOSE_FORCED, 46002), 0);
    assert_int_equal(sio_server_eio_close(f->s, 1, EIO_CLOSE_FORCED, 46002),
                     EIO_ERR_INVALID_ARGUMENT);

    /* A CONNECT ends the timeout, even if it is never answered. */
    msg(f, 2, "0", 46003);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 2, "/");
    assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);
    assert_int_equal(sio_server_handle_expiry(f->s, 100000), 0);
    expect_no_action(f);

    /* Late wake-up. */
    assert_int_equal(sio_server_eio_open(f->s, 3, EIO_V4, 200000), 0);
    assert_int_equal(sio_server_handle_expiry(f->s, 300000), 0);
    expect_close(f, 3);

    /* connect_timeout 0: none. */
    sio_server_options o;
    opts(NULL, &o);
    o.connect_timeout = 0;
    fx *g = fx_new_opt(&o);
    assert_int_equal(sio_server_eio_open(g->s, 1, EIO_V4, 0), 0);
    assert_int_equal(sio_server_get_expiry(g->s), EIO_TIME_NEVER);
    fx_free(g);
    fx_free(f);
}

/* Socket.IO 3+ closes the connection on packets its state does not allow. */
static void test_invalid_state_v5(void **state)
{
    (void)state;
    static const char *bad[] = {
        "2[\"x\"]",          /* before any CONNECT */
        "1",                 /* DISCONNECT for a namespace never joined */
        "4{\"message\":\"x\"}", /* CONNECT_ERROR from a client */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx *f = fx_new(false);
        assert_int_equal(sio_server_eio_open(f->s, 9, EIO_V4, 0), 0);
        msg(f, 9, bad[i], 0);
        expect_close(f, 9);
        expect_no_action(f);
        expect_no_event(f);
        fx_free(f);
    }

    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    msg(f, 1, "0", 0); /* CONNECT again for a connected namespace */
    expect_close(f, 1);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/").reason,
                     SIO_DISCONNECT_FORCED_CLOSE);
    expect_no_event(f);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"x\"]"), 0, 0, 0),
                     EIO_ERR_INVALID_ARGUMENT);

    /* An event on a namespace whose CONNECT is still unanswered. */
    assert_int_equal(sio_server_eio_open(f->s, 2, EIO_V4, 0), 0);
    msg(f, 2, "0/a,", 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 2, 2, "/a");
    msg(f, 2, "2/a,[\"early\"]", 0);
    expect_close(f, 2);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 2, 2, "/a").reason,
                     SIO_DISCONNECT_FORCED_CLOSE);
    assert_int_equal(sio_server_accept(f->s, 2, 0), EIO_ERR_INVALID_ARGUMENT);

    /* A second CONNECT while the first is pending; an event for another namespace. */
    assert_int_equal(sio_server_eio_open(f->s, 3, EIO_V4, 0), 0);
    msg(f, 3, "0", 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 3, 3, "/");
    msg(f, 3, "0", 0);
    expect_close(f, 3);
    expect_event(f, SIO_EVENT_DISCONNECT, 3, 3, "/");
    connect_v5(f, 4, "/", 4, SID2, true);
    msg(f, 4, "2/other,[\"x\"]", 0);
    expect_close(f, 4);
    expect_event(f, SIO_EVENT_DISCONNECT, 4, 4, "/");
    expect_no_event(f);
    fx_free(f);
}

static void test_parse_error(void **state)
{
    (void)state;
    static const char *bad[] = {"2[", "9", "2", "2[\"connect\"]", "0/admin,[1]", "51-[\"a\"]x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx *f = fx_new(false);
        connect_v5(f, 1, "/", 1, SID1, true);
        connect_v5(f, 1, "/admin", 2, SID2, false);
        assert_int_equal(sio_server_emit(f->s, 2, parse(f, "[\"q\"]"), SIO_EMIT_ACK, 0, 0), 0);
        expect_send(f, 1, "2/admin,0[\"q\"]");
        msg(f, 1, bad[i], 0);
        expect_close(f, 1);
        expect_no_action(f);
        assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/").reason,
                         SIO_DISCONNECT_PARSE_ERROR);
        sio_event e = expect_event(f, SIO_EVENT_ACK_TIMEOUT, 2, 1, "/admin");
        assert_int_equal(e.id, 0);
        assert_int_equal(e.reason, SIO_DISCONNECT_PARSE_ERROR);
        assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 2, 1, "/admin").reason,
                         SIO_DISCONNECT_PARSE_ERROR);
        expect_no_event(f);
        fx_free(f);
    }
    /* A binary message nobody announced. */
    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    bin(f, 1, (const uint8_t *)"\x01", 1, 0);
    expect_close(f, 1);
    expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/");
    fx_free(f);
}

static void test_acks_out(void **state)
{
    (void)state;
    sio_server_options o;
    opts(NULL, &o);
    o.max_pending_acks = 3;
    fx *f = fx_new_opt(&o);
    connect_v5(f, 1, "/", 1, SID1, true);
    eio_json *args = parse(f, "[\"q\",1]");
    assert_int_equal(sio_server_emit(f->s, 1, args, SIO_EMIT_ACK, 1000, 100), 0);
    expect_send(f, 1, "20[\"q\",1]");
    assert_int_equal(sio_server_emit(f->s, 1, args, SIO_EMIT_ACK, 0, 100), 1);
    expect_send(f, 1, "21[\"q\",1]");
    assert_int_equal(sio_server_emit(f->s, 1, args, SIO_EMIT_ACK | SIO_EMIT_VOLATILE, 500, 150),
                     2);
    expect_send(f, 1, "22[\"q\",1]");
    assert_int_equal(sio_server_emit(f->s, 1, args, SIO_EMIT_ACK, 0, 150), EIO_ERR_LIMIT);
    assert_int_equal(sio_server_emit(f->s, 1, args, SIO_EMIT_VOLATILE, 0, 150), 0);
    expect_send(f, 1, "2[\"q\",1]");
    expect_no_action(f);
    assert_int_equal(sio_server_get_expiry(f->s), 650);

    assert_int_equal(sio_server_handle_expiry(f->s, 649), 0);
    expect_no_event(f);
    assert_int_equal(sio_server_handle_expiry(f->s, 650), 0);
    sio_event e = expect_event(f, SIO_EVENT_ACK_TIMEOUT, 1, 1, "/");
    assert_int_equal(e.id, 2);
    assert_int_equal(e.reason, SIO_DISCONNECT_NONE);
    expect_no_event(f);
    assert_int_equal(sio_server_get_expiry(f->s), 1100);

    msg(f, 1, "31[\"ok\"]", 700); /* id 1: no timeout, answered */
    e = expect_event(f, SIO_EVENT_ACK, 1, 1, "/");
    assert_true(e.has_id);
    assert_int_equal(e.id, 1);
    assert_json(e.data, "[\"ok\"]");
    msg(f, 1, "31[\"again\"]", 700); /* answered already */
    msg(f, 1, "32[]", 700);          /* timed out already */
    msg(f, 1, "37[]", 700);          /* never sent */
    expect_no_event(f);

    /* Late wake-up past the deadline. */
    assert_int_equal(sio_server_handle_expiry(f->s, 5000), 0);
    assert_int_equal(expect_event(f, SIO_EVENT_ACK_TIMEOUT, 1, 1, "/").id, 0);
    expect_no_event(f);
    assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);

    /* The ack_timeout option applies when no timeout is given. */
    o.ack_timeout = 300;
    fx *g = fx_new_opt(&o);
    connect_v5(g, 1, "/", 1, SID1, true);
    assert_int_equal(sio_server_emit(g->s, 1, args, SIO_EMIT_ACK, 0, 10), 0);
    assert_int_equal(sio_server_emit(g->s, 1, args, SIO_EMIT_ACK, 100, 10), 1);
    assert_int_equal(sio_server_get_expiry(g->s), 110);
    assert_int_equal(sio_server_handle_expiry(g->s, 1000), 0);
    /* Both due: in id order. */
    assert_int_equal(expect_event(g, SIO_EVENT_ACK_TIMEOUT, 1, 1, "/").id, 0);
    assert_int_equal(expect_event(g, SIO_EVENT_ACK_TIMEOUT, 1, 1, "/").id, 1);
    fx_free(g);

    /* Pending acks end when their socket disconnects, before its DISCONNECT. */
    assert_int_equal(sio_server_emit(f->s, 1, args, SIO_EMIT_ACK, 0, 6000), 3);
    expect_send(f, 1, "23[\"q\",1]");
    msg(f, 1, "1", 6001);
    e = expect_event(f, SIO_EVENT_ACK_TIMEOUT, 1, 1, "/");
    assert_int_equal(e.id, 3);
    assert_int_equal(e.reason, SIO_DISCONNECT_CLIENT_NAMESPACE);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/").reason,
                     SIO_DISCONNECT_CLIENT_NAMESPACE);
    expect_no_event(f);
    fx_free(f);
}

static void test_acks_in(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    msg(f, 1, "29007199254740991[\"big\"]", 0);
    sio_event e = expect_event(f, SIO_EVENT_EVENT, 1, 1, "/");
    assert_int_equal(e.id, SIO_MAX_ACK_ID);
    assert_int_equal(sio_server_ack(f->s, 1, e.id, NULL, 0), 0);
    expect_send(f, 1, "39007199254740991[]");
    assert_int_equal(sio_server_ack(f->s, 1, 5, parse(f, "[1,\"a\"]"), 0), 0);
    expect_send(f, 1, "35[1,\"a\"]");
    assert_int_equal(sio_server_ack(f->s, 1, SIO_MAX_ACK_ID + 1, NULL, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_ack(f->s, 1, 1, parse(f, "{}"), 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_ack(f->s, 2, 1, NULL, 0), EIO_ERR_INVALID_ARGUMENT);
    expect_no_action(f);
    fx_free(f);
}

static void test_binary_in(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    connect_v5(f, 1, "/admin", 2, SID2, false);
    msg(f, 1, "52-/admin,4[\"up\",{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]",
        0);
    expect_no_event(f);
    static const uint8_t a0[] = {1, 2, 3}, a1[] = {0xff};
    bin(f, 1, a0, 3, 0);
    expect_no_event(f);
    bin(f, 1, a1, 1, 0);
    sio_event e = expect_event(f, SIO_EVENT_EVENT, 2, 1, "/admin");
    assert_true(e.has_id);
    assert_int_equal(e.id, 4);
    const eio_json *x = eio_json_at(e.data, 1);
    assert_int_equal(x->type, EIO_JSON_BINARY);
    assert_int_equal(x->u.str.len, 1);
    assert_memory_equal(x->u.str.ptr, a1, 1);
    x = eio_json_at(e.data, 2);
    assert_int_equal(x->type, EIO_JSON_BINARY);
    assert_int_equal(x->u.str.len, 3);
    assert_memory_equal(x->u.str.ptr, a0, 3);

    /* A binary ack. */
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"get\"]"), SIO_EMIT_ACK, 0, 0), 0);
    expect_send(f, 1, "20[\"get\"]");
    msg(f, 1, "61-0[{\"_placeholder\":true,\"num\":0}]", 0);
    bin(f, 1, a0, 3, 0);
    e = expect_event(f, SIO_EVENT_ACK, 1, 1, "/");
    assert_int_equal(e.id, 0);
    x = eio_json_at(e.data, 0);
    assert_int_equal(x->type, EIO_JSON_BINARY);
    assert_memory_equal(x->u.str.ptr, a0, 3);

    /* Undrained events keep their trees across calls. */
    msg(f, 1, "2[\"one\"]", 0);
    msg(f, 1, "2[\"two\"]", 0);
    assert_json(expect_event(f, SIO_EVENT_EVENT, 1, 1, "/").data, "[\"one\"]");
    assert_json(expect_event(f, SIO_EVENT_EVENT, 1, 1, "/").data, "[\"two\"]");

    /* Text while attachments are pending: parse error. */
    msg(f, 1, "51-[\"a\",{\"_placeholder\":true,\"num\":0}]", 0);
    msg(f, 1, "2[\"b\"]", 0);
    expect_close(f, 1);
    fx_free(f);
}

static void test_binary_out(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    uint8_t data[3] = {1, 2, 3};
    eio_json *args = eio_json_new_array(&f->arena);
    eio_json_append(args, eio_json_new_string(&f->arena, "file", 4));
    eio_json_append(args, eio_json_new_binary(&f->arena, data, 3));
    eio_json_append(args, eio_json_new_binary(&f->arena, data, 0));
    assert_int_equal(sio_server_emit(f->s, 1, args, 0, 0, 0), 0);
    data[0] = 9; /* the machine copied the attachment */
    expect_send(f, 1,
                "52-[\"file\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
    expect_send_bin(f, 1, (const uint8_t *)"\x01\x02\x03", 3);
    expect_send_bin(f, 1, NULL, 0);
    expect_no_action(f);
    /* Invalid arguments send nothing. */
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[]"), 0, 0, 0), SIO_ERR_EVENT_EMPTY);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"connect\"]"), 0, 0, 0),
                     SIO_ERR_EVENT_RESERVED);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "{}"), 0, 0, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_emit(f->s, 1, NULL, 0, 0, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_emit(f->s, 1, args, 0x80, 0, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_emit(f->s, 99, args, 0, 0, 0), EIO_ERR_INVALID_ARGUMENT);
    expect_no_action(f);
    fx_free(f);
}

static void test_broadcast(void **state)
{
    (void)state;
    fx *f = fx_new(true);
    for (uint32_t i = 1; i <= 3; i++) {
        assert_int_equal(sio_server_eio_open(f->s, i, EIO_V4, 0), 0);
        msg(f, i, "0", 0);
    }
    msg(f, 1, "0/admin,", 0);                                /* socket 4 */
    assert_int_equal(sio_server_eio_open(f->s, 4, EIO_V3, 0), 0); /* socket 5, v4 "/" */
    while (sio_server_next_action(f->s, &(sio_action){0})) {
    }
    while (sio_server_next_event(f->s, &(sio_event){0})) {
    }
    assert_int_equal(sio_server_disconnect(f->s, 3, false, 0), 0);
    expect_send(f, 3, "1");
    expect_event(f, SIO_EVENT_DISCONNECT, 3, 3, "/");

    static const uint8_t b[] = {7, 7};
    eio_json *args = eio_json_new_array(&f->arena);
    eio_json_append(args, eio_json_new_string(&f->arena, "news", 4));
    eio_json_append(args, eio_json_new_binary(&f->arena, b, 2));
    uint32_t to[] = {1, 2, 3, 4, 5, 99};
    assert_int_equal(sio_server_broadcast(f->s, to, 6, args, 0), 4);
    const char *text = "51-[\"news\",{\"_placeholder\":true,\"num\":0}]";
    sio_action a1, a2;
    assert_int_equal(sio_server_next_action(f->s, &a1), 1);
    assert_int_equal(a1.session, 1);
    assert_memory_equal(a1.data, text, strlen(text));
    const uint8_t *att = expect_send_bin(f, 1, b, 2);
    assert_int_equal(sio_server_next_action(f->s, &a2), 1);
    assert_int_equal(a2.session, 2);
    assert_ptr_equal(a2.data, a1.data); /* encoded once */
    assert_ptr_equal(expect_send_bin(f, 2, b, 2), att);
    expect_send(f, 1, "51-/admin,[\"news\",{\"_placeholder\":true,\"num\":0}]");
    expect_send_bin(f, 1, b, 2);
    expect_send(f, 4, text);
    expect_send_bin(f, 4, b, 2);
    expect_no_action(f);

    assert_int_equal(sio_server_broadcast(f->s, NULL, 0, args, 0), 0);
    assert_int_equal(sio_server_broadcast(f->s, to, 6, parse(f, "[]"), 0), SIO_ERR_EVENT_EMPTY);
    assert_int_equal(sio_server_broadcast(f->s, NULL, 1, args, 0), EIO_ERR_INVALID_ARGUMENT);
    expect_no_action(f);
    fx_free(f);
}

static void test_server_disconnect(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    connect_v5(f, 1, "/admin", 2, SID2, false);
    assert_int_equal(sio_server_emit(f->s, 2, parse(f, "[\"q\"]"), SIO_EMIT_ACK, 0, 0), 0);
    expect_send(f, 1, "2/admin,0[\"q\"]");
    assert_int_equal(sio_server_disconnect(f->s, 2, false, 0), 0);
    expect_send(f, 1, "1/admin,");
    sio_event e = expect_event(f, SIO_EVENT_ACK_TIMEOUT, 2, 1, "/admin");
    assert_int_equal(e.reason, SIO_DISCONNECT_SERVER);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 2, 1, "/admin").reason,
                     SIO_DISCONNECT_SERVER);
    assert_int_equal(sio_server_disconnect(f->s, 2, false, 0), EIO_ERR_INVALID_ARGUMENT);
    /* The ack arrives after the disconnect: the namespace is gone (v5 closes). */
    msg(f, 1, "3/admin,0[]", 0);
    expect_close(f, 1);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/").reason,
                     SIO_DISCONNECT_FORCED_CLOSE);
    expect_no_event(f);

    /* With close_session: DISCONNECT on every namespace, then the Engine.IO close. */
    connect_v5(f, 2, "/", 3, SID3, true);
    msg(f, 2, "0/b,", 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 4, 2, "/b");
    msg(f, 2, "0/c,", 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 5, 2, "/c");
    assert_int_equal(sio_server_accept(f->s, 5, 0), 0);
    expect_send(f, 2, "0/c,{\"sid\":\"LS4vMDEyMzQ1Njc4OTo7\"}");
    expect_event(f, SIO_EVENT_CONNECT, 5, 2, "/c");
    assert_int_equal(sio_server_disconnect(f->s, 5, true, 0), 0);
    expect_send(f, 2, "1");
    expect_send(f, 2, "1/c,");
    expect_close(f, 2);
    expect_no_action(f);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 3, 2, "/").reason,
                     SIO_DISCONNECT_SERVER);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 4, 2, "/b").reason,
                     SIO_DISCONNECT_SERVER); /* the pending one ends too */
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 5, 2, "/c").reason,
                     SIO_DISCONNECT_SERVER);
    expect_no_event(f);
    assert_int_equal(sio_server_disconnect(f->s, 5, true, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_eio_close(f->s, 2, EIO_CLOSE_FORCED, 0), 0);
    expect_no_event(f);
    fx_free(f);
}

static void test_client_disconnect_and_handles(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    msg(f, 1, "1", 0);
    assert_int_equal(expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/").reason,
                     SIO_DISCONNECT_CLIENT_NAMESPACE);
    expect_no_action(f);
    /* The namespace may be joined again: a new handle, never a reused one. */
    connect_v5(f, 1, "/", 2, SID2, false);
    assert_null(sio_server_socket_id(f->s, 1));
    assert_string_equal(sio_server_socket_id(f->s, 2), SID2);
    fx_free(f);
}

static void test_eio_close_reasons(void **state)
{
    (void)state;
    static const struct {
        eio_close_reason in;
        sio_disconnect_reason out;
    } map[] = {
        {EIO_CLOSE_FORCED, SIO_DISCONNECT_FORCED_CLOSE},
        {EIO_CLOSE_TRANSPORT_CLOSE, SIO_DISCONNECT_TRANSPORT_CLOSE},
        {EIO_CLOSE_TRANSPORT_ERROR, SIO_DISCONNECT_TRANSPORT_ERROR},
        {EIO_CLOSE_PING_TIMEOUT, SIO_DISCONNECT_PING_TIMEOUT},
        {EIO_CLOSE_PARSE_ERROR, SIO_DISCONNECT_PARSE_ERROR},
        {EIO_CLOSE_SERVER_SHUTDOWN, SIO_DISCONNECT_SERVER_SHUTDOWN},
        {EIO_CLOSE_NONE, SIO_DISCONNECT_TRANSPORT_CLOSE},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        fx *f = fx_new(false);
        connect_v5(f, 1, "/", 1, SID1, true);
        assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"q\"]"), SIO_EMIT_ACK, 10, 0), 0);
        expect_send(f, 1, "20[\"q\"]");
        assert_int_equal(sio_server_eio_close(f->s, 1, map[i].in, 0), 0);
        sio_event e = expect_event(f, SIO_EVENT_ACK_TIMEOUT, 1, 1, "/");
        assert_int_equal(e.reason, map[i].out);
        e = expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/");
        assert_int_equal(e.reason, map[i].out);
        expect_no_event(f);
        expect_no_action(f);
        assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);
        fx_free(f);
    }
}

static void test_max_sockets(void **state)
{
    (void)state;
    sio_server_options o;
    opts(NULL, &o);
    o.max_sockets = 1;
    fx *f = fx_new_opt(&o);
    connect_v5(f, 1, "/", 1, SID1, true);
    msg(f, 1, "0/admin,", 0);
    expect_send(f, 1, "4/admin,{\"message\":\"too many namespaces\"}");
    expect_no_event(f);
    assert_int_equal(sio_server_eio_open(f->s, 2, EIO_V3, 0), 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 2, 2, "/");
    msg(f, 2, "0/admin,", 0);
    expect_send(f, 2, "4/admin,\"too many namespaces\"");
    fx_free(f);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    assert_int_equal(sio_server_eio_open(f->s, 1, (eio_version)5, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_eio_open(NULL, 1, EIO_V4, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_eio_message(f->s, 1, NULL, 1, false, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_eio_message(f->s, 1, NULL, 0, false, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_accept(f->s, 1, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_handle_expiry(NULL, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_get_expiry(NULL), EIO_TIME_NEVER);
    assert_int_equal(sio_server_next_action(NULL, NULL), 0);
    assert_null(sio_server_socket_id(NULL, 1));
    /* An empty message is a parse error, not a crash. */
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V4, 0), 0);
    assert_int_equal(sio_server_eio_message(f->s, 1, NULL, 0, false, 0), 0);
    expect_close(f, 1);
    /* A failing random source: accept reports it and leaves the socket pending. */
    sio_server_options o;
    opts(NULL, &o);
    fx *g = fx_new_opt(&o);
    sio_server_free(g->s);
    o.random = failing_random;
    assert_int_equal(sio_server_new(&g->s, &o, &g->fm.mem), 0);
    assert_int_equal(sio_server_eio_open(g->s, 1, EIO_V4, 0), 0);
    msg(g, 1, "0", 0);
    expect_event(g, SIO_EVENT_CONNECT_REQUEST, 1, 1, "/");
    assert_int_equal(sio_server_accept(g->s, 1, 0), EIO_ERR_INVALID_ARGUMENT);
    expect_no_action(g);
    assert_int_equal(sio_server_refuse(g->s, 1, "no", NULL, 0), 0);
    expect_send(g, 1, "4{\"message\":\"no\"}");
    fx_free(g);
    fx_free(f);
}

static void test_clock_backwards(void **state)
{
    (void)state;
    fx *f = fx_new(false);
    connect_v5(f, 1, "/", 1, SID1, true);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"q\"]"), SIO_EMIT_ACK, 100, 1000), 0);
    expect_send(f, 1, "20[\"q\"]");
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"q\"]"), SIO_EMIT_ACK, 100, 500), 1);
    expect_send(f, 1, "21[\"q\"]");
    assert_int_equal(sio_server_get_expiry(f->s), 1100); /* not 600: time never goes back */
    fx_free(f);
}

static void test_msgpack(void **state)
{
    (void)state;
    if (!sio_msgpack_available()) {
        sio_server_options o;
        sio_server *s = NULL;
        sio_server_options_default(&o);
        o.random = fake_random;
        o.parser = SIO_PARSER_MSGPACK;
        assert_int_equal(sio_server_new(&s, &o, NULL), EIO_ERR_UNSUPPORTED);
        skip();
    }
    sio_server_options o;
    opts(NULL, &o);
    o.parser = SIO_PARSER_MSGPACK;
    fx *f = fx_new_opt(&o);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V4, 0), 0);
    /* The reference client's CONNECT without auth (data undefined). */
    static const uint8_t connect[] = {0x83, 0xa4, 't', 'y', 'p', 'e', 0x00, 0xa4, 'd', 'a',
                                      't',  'a',  0xd4, 0x00, 0x00, 0xa3, 'n', 's', 'p', 0xa1,
                                      '/'};
    bin(f, 1, connect, sizeof connect, 0);
    sio_event e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 1, "/");
    assert_null(e.data);
    assert_int_equal(sio_server_accept(f->s, 1, 0), 0);
    /* {sid, pid: undefined}, in the reference's key order. */
    static const uint8_t answer[] = {
        0x83, 0xa4, 't', 'y', 'p', 'e', 0x00, 0xa4, 'd', 'a', 't', 'a', 0x82, 0xa3, 's', 'i',
        'd', 0xb4, 'A', 'A', 'E', 'C', 'A', 'w', 'Q', 'F', 'B', 'g', 'c', 'I', 'C', 'Q', 'o',
        'L', 'D', 'A', '0', 'O', 0xa3, 'p', 'i', 'd', 0xd4, 0x00, 0x00, 0xa3, 'n', 's', 'p',
        0xa1, '/'};
    expect_send_bin(f, 1, answer, sizeof answer);
    expect_event(f, SIO_EVENT_CONNECT, 1, 1, "/");
    /* EVENT with ack from the server, ["welcome","hi"], id 0. */
    assert_int_equal(
        sio_server_emit(f->s, 1, parse(f, "[\"welcome\",\"hi\"]"), SIO_EMIT_ACK, 0, 0), 0);
    static const uint8_t ev[] = {0x84, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa4, 'd', 'a', 't',
                                 'a',  0x92, 0xa7, 'w', 'e', 'l', 'c', 'o', 'm', 'e', 0xa2,
                                 'h',  'i',  0xa2, 'i', 'd', 0x00, 0xa3, 'n', 's', 'p', 0xa1,
                                 '/'};
    expect_send_bin(f, 1, ev, sizeof ev);
    /* ACK from the client, [{ok:true}, null]. */
    static const uint8_t ack[] = {0x84, 0xa4, 't', 'y', 'p', 'e', 0x03, 0xa2, 'i', 'd', 0x00,
                                  0xa4, 'd', 'a', 't', 'a', 0x92, 0x81, 0xa2, 'o', 'k', 0xc3,
                                  0xc0, 0xa3, 'n', 's', 'p', 0xa1, '/'};
    bin(f, 1, ack, sizeof ack, 0);
    e = expect_event(f, SIO_EVENT_ACK, 1, 1, "/");
    assert_json(e.data, "[{\"ok\":true},null]");
    /* Text is not msgpack: parse error. */
    msg(f, 1, "2[\"x\"]", 0);
    expect_close(f, 1);
    expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/");
    fx_free(f);
}

/* One scripted run touching every allocation site; returns the first error met. */
static int scripted_run(sio_server *s)
{
    int rc = 0;
#define STEP(x)                                                                              \
    do {                                                                                     \
        int64_t r_ = (x);                                                                     \
        if (r_ < 0 && rc == 0) {                                                             \
            rc = (int)r_;                                                                    \
        }                                                                                    \
    } while (0)
    sio_action a;
    sio_event e;
    eio_arena ar;
    eio_arena_init(&ar, NULL, 0, 0);
    static const uint8_t b[] = {1, 2};
    eio_json *args = eio_json_new_array(&ar);
    eio_json_append(args, eio_json_new_string(&ar, "ev", 2));
    eio_json_append(args, eio_json_new_binary(&ar, b, 2));
    STEP(sio_server_eio_open(s, 1, EIO_V4, 0));
    STEP(sio_server_eio_open(s, 2, EIO_V3, 0));
    STEP(sio_server_eio_message(s, 1, (const uint8_t *)"0{\"a\":1}", 8, false, 0));
    STEP(sio_server_eio_message(s, 1, (const uint8_t *)"0/x,", 4, false, 0));
    STEP(sio_server_eio_message(s, 2, (const uint8_t *)"0/y?k=v,", 8, false, 0));
    for (uint32_t k = 1; k <= 3; k++) {
        STEP(sio_server_accept(s, k, 0));
    }
    STEP(sio_server_refuse(s, 4, "no", NULL, 0));
    STEP(sio_server_emit(s, 1, args, SIO_EMIT_ACK, 50, 1));
    STEP(sio_server_emit(s, 2, args, SIO_EMIT_ACK, 0, 1));
    uint32_t to[] = {1, 2, 3};
    STEP(sio_server_broadcast(s, to, 3, args, 1));
    static const char bev[] = "51-3[\"u\",{\"_placeholder\":true,\"num\":0}]";
    STEP(sio_server_eio_message(s, 1, (const uint8_t *)bev, sizeof bev - 1, false, 2));
    STEP(sio_server_eio_message(s, 1, b, 2, true, 2));
    STEP(sio_server_ack(s, 1, 3, args, 2));
    STEP(sio_server_eio_message(s, 1, (const uint8_t *)"3/x,0[]", 7, false, 3));
    STEP(sio_server_handle_expiry(s, 100));
    while (sio_server_next_event(s, &e)) {
    }
    STEP(sio_server_disconnect(s, 3, true, 101));
    STEP(sio_server_eio_message(s, 1, (const uint8_t *)"2[", 2, false, 102));
    while (sio_server_next_action(s, &a)) {
    }
    eio_arena_destroy(&ar);
#undef STEP
    return rc;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    bool completed = false;
    for (long fail_at = 0; fail_at < 2000 && !completed; fail_at++) {
        tu_failmem fm;
        tu_failmem_init(&fm, fail_at);
        sio_server_options o;
        sio_server_options_default(&o);
        fx dummy = {0};
        o.random = fake_random;
        o.random_user_data = &dummy;
        sio_server *s = NULL;
        int rc = sio_server_new(&s, &o, &fm.mem);
        if (rc == 0) {
            rc = scripted_run(s);
            sio_server_free(s);
        }
        assert_true(rc == 0 || rc == EIO_ERR_NOMEM);
        assert_int_equal(fm.outstanding, 0);
        completed = rc == 0 && fm.calls <= fail_at;
    }
    assert_true(completed);
}

/* ------------------------------------------------------------------------ */
/* Connection state recovery                                                */
/* ------------------------------------------------------------------------ */

/* With recovery the first socket's pid is the second 15 random bytes: SID2. */
static fx *fx_recovery(uint32_t duration, size_t max_missed)
{
    sio_server_options o;
    opts(NULL, &o);
    o.recovery = true;
    o.max_disconnection_duration = duration;
    o.max_missed_packets = max_missed;
    return fx_new_opt(&o);
}

/* Session `session` opens at `now`; "/" connects as socket `sock` with sid `sid` and pid `pid`. */
static void connect_rec(fx *f, uint32_t session, uint32_t sock, const char *sid, const char *pid,
                        eio_time now)
{
    assert_int_equal(sio_server_eio_open(f->s, session, EIO_V4, now), 0);
    msg(f, session, "0", now);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, sock, session, "/");
    assert_int_equal(sio_server_accept(f->s, sock, now), 0);
    char want[128];
    snprintf(want, sizeof want, "0{\"sid\":\"%s\",\"pid\":\"%s\"}", sid, pid);
    expect_send(f, session, want);
    sio_event e = expect_event(f, SIO_EVENT_CONNECT, sock, session, "/");
    assert_string_equal(e.sid, sid);
    expect_no_action(f);
    expect_no_event(f);
}

static void drop(fx *f, uint32_t session, uint32_t sock, eio_close_reason why,
                 sio_disconnect_reason want, eio_time now)
{
    assert_int_equal(sio_server_eio_close(f->s, session, why, now), 0);
    sio_event e = expect_event(f, SIO_EVENT_DISCONNECT, sock, session, "/");
    assert_int_equal(e.reason, want);
    expect_no_event(f);
    expect_no_action(f);
}

/* A CONNECT with `text` on a new session that must be a recovery of `sock`. */
static void expect_recovered(fx *f, uint32_t session, const char *text, uint32_t sock,
                             const char *sid, const char *pid, eio_time now)
{
    assert_int_equal(sio_server_eio_open(f->s, session, EIO_V4, now), 0);
    msg(f, session, text, now);
    char want[128];
    snprintf(want, sizeof want, "0{\"sid\":\"%s\",\"pid\":\"%s\"}", sid, pid);
    expect_send(f, session, want);
    sio_event e = expect_event(f, SIO_EVENT_RECOVERED, sock, session, "/");
    assert_string_equal(e.sid, sid);
    e = expect_event(f, SIO_EVENT_CONNECT, sock, session, "/");
    assert_string_equal(e.sid, sid);
    expect_no_event(f);
    assert_string_equal(sio_server_socket_id(f->s, sock), sid);
    assert_int_equal(sio_server_socket_session(f->s, sock), session);
}

/* A CONNECT with `text` on a new session that must be a normal one (auth as sent). */
static void expect_fresh(fx *f, uint32_t session, const char *text, uint32_t sock,
                         const char *auth, eio_time now)
{
    assert_int_equal(sio_server_eio_open(f->s, session, EIO_V4, now), 0);
    msg(f, session, text, now);
    sio_event e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, sock, session, "/");
    assert_json(e.data, auth);
    expect_no_event(f);
    expect_no_action(f);
}

static void test_recovery_round_trip(void **state)
{
    (void)state;
    fx *f = fx_recovery(0, 0);
    connect_rec(f, 1, 1, SID1, SID2, 0);
    /* Offsets: plain emits and broadcasts only, one per call, counting from "1". */
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"a\",1]"), 0, 0, 0), 0);
    expect_send(f, 1, "2[\"a\",1,\"1\"]");
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"b\"]"), SIO_EMIT_ACK, 0, 0), 0);
    expect_send(f, 1, "20[\"b\"]");
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"v\"]"), SIO_EMIT_VOLATILE, 0, 0), 0);
    expect_send(f, 1, "2[\"v\"]");
    uint32_t to[] = {1};
    assert_int_equal(sio_server_broadcast(f->s, to, 1, parse(f, "[\"c\",{\"x\":[]}]"), 0), 1);
    expect_send(f, 1, "2[\"c\",{\"x\":[]},\"2\"]");
    /* the caller's tree is untouched */
    eio_json *args = parse(f, "[\"z\"]");
    assert_int_equal(sio_server_emit(f->s, 1, args, 0, 0, 0), 0);
    expect_send(f, 1, "2[\"z\",\"3\"]");
    assert_json(args, "[\"z\"]");
    expect_no_action(f);

    /* The transport drops: acks time out, DISCONNECT, and the socket is kept. */
    assert_int_equal(sio_server_eio_close(f->s, 1, EIO_CLOSE_TRANSPORT_CLOSE, 100), 0);
    sio_event e = expect_event(f, SIO_EVENT_ACK_TIMEOUT, 1, 1, "/");
    assert_int_equal(e.reason, SIO_DISCONNECT_TRANSPORT_CLOSE);
    e = expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/");
    assert_int_equal(e.reason, SIO_DISCONNECT_TRANSPORT_CLOSE);
    expect_no_event(f);
    assert_null(sio_server_socket_id(f->s, 1));
    assert_int_equal(sio_server_socket_session(f->s, 1), 0);
    assert_int_equal(sio_server_get_expiry(f->s), 100 + 120000);

    /* Events for it are recorded, not sent; acks are refused, volatile ones dropped. */
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"d\"]"), 0, 0, 200), 0);
    assert_int_equal(sio_server_broadcast(f->s, to, 1, parse(f, "[\"e\"]"), 200), 0);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"n\"]"), SIO_EMIT_ACK, 0, 200),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"n\"]"), SIO_EMIT_VOLATILE, 0, 200),
                     0);
    static const uint8_t b[] = {1, 2, 3};
    eio_json *bargs = eio_json_new_array(&f->arena);
    eio_json_append(bargs, eio_json_new_string(&f->arena, "bin", 3));
    eio_json_append(bargs, eio_json_new_binary(&f->arena, b, 3));
    assert_int_equal(sio_server_emit(f->s, 1, bargs, 0, 0, 200), 0);
    expect_no_action(f);
    expect_no_event(f);

    /* Back with the last offset it got ("2"): "z" (sent before the drop) is not
       replayed, the rest is, in order, once. Auth members besides pid/offset are
       ignored. */
    expect_recovered(f, 2, "0{\"pid\":\"" SID2 "\",\"offset\":\"3\",\"token\":1}", 1, SID1, SID2,
                     300);
    expect_send(f, 2, "2[\"d\",\"4\"]");
    expect_send(f, 2, "2[\"e\",\"5\"]");
    expect_send(f, 2, "51-[\"bin\",{\"_placeholder\":true,\"num\":0},\"6\"]");
    expect_send_bin(f, 2, b, 3);
    expect_no_action(f);
    assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);

    /* A live socket again: offsets go on, the ack counter too. */
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"f\"]"), 0, 0, 300), 0);
    expect_send(f, 2, "2[\"f\",\"7\"]");
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"g\"]"), SIO_EMIT_ACK, 0, 300), 1);
    expect_send(f, 2, "21[\"g\"]");
    /* The pid is spent: another connection with it is a new one. */
    expect_fresh(f, 3, "0{\"pid\":\"" SID2 "\",\"offset\":\"7\"}", 2,
                 "{\"pid\":\"" SID2 "\",\"offset\":\"7\"}", 300);

    /* Dropped again (ping timeout): kept again with the same ids. */
    assert_int_equal(sio_server_eio_close(f->s, 2, EIO_CLOSE_PING_TIMEOUT, 400), 0);
    expect_event(f, SIO_EVENT_ACK_TIMEOUT, 1, 2, "/");
    e = expect_event(f, SIO_EVENT_DISCONNECT, 1, 2, "/");
    assert_int_equal(e.reason, SIO_DISCONNECT_PING_TIMEOUT);
    expect_recovered(f, 4, "0{\"pid\":\"" SID2 "\",\"offset\":\"7\"}", 1, SID1, SID2, 500);
    expect_no_action(f);
    fx_free(f);
}

/* Offsets older than the drop replay everything recorded; custom namespaces; forgetting. */
static void test_recovery_offsets(void **state)
{
    (void)state;
    fx *f = fx_recovery(0, 0);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V4, 0), 0);
    msg(f, 1, "0/admin,", 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 1, "/admin");
    assert_int_equal(sio_server_accept(f->s, 1, 0), 0);
    expect_send(f, 1, "0/admin,{\"sid\":\"" SID1 "\",\"pid\":\"" SID2 "\"}");
    expect_event(f, SIO_EVENT_CONNECT, 1, 1, "/admin");
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"a\"]"), 0, 0, 0), 0);
    expect_send(f, 1, "2/admin,[\"a\",\"1\"]");
    assert_int_equal(sio_server_eio_close(f->s, 1, EIO_CLOSE_TRANSPORT_ERROR, 0), 0);
    sio_event e = expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/admin");
    assert_int_equal(e.reason, SIO_DISCONNECT_TRANSPORT_ERROR);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"b\"]"), 0, 0, 0), 0);

    /* Not recovered: pid in another namespace, unknown pid, offsets this server did
       not issue, no offset, a non-string pid. Each is a normal connection whose auth
       is what the client sent. */
    static const char *const bad[] = {
        "0{\"pid\":\"" SID2 "\",\"offset\":\"1\"}",
        "0/admin,{\"pid\":\"nope\",\"offset\":\"1\"}",
        "0/admin,{\"pid\":\"" SID2 "\",\"offset\":\"3\"}",
        "0/admin,{\"pid\":\"" SID2 "\",\"offset\":\"01\"}",
        "0/admin,{\"pid\":\"" SID2 "\",\"offset\":\"\"}",
        "0/admin,{\"pid\":\"" SID2 "\",\"offset\":\"1x\"}",
        "0/admin,{\"pid\":\"" SID2 "\",\"offset\":\"99999999999999999999999\"}",
        "0/admin,{\"pid\":\"" SID2 "\",\"offset\":1}",
        "0/admin,{\"pid\":\"" SID2 "\"}",
        "0/admin,{\"pid\":7,\"offset\":\"1\"}",
    };
    uint32_t sock = 2;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++, sock++) {
        uint32_t session = (uint32_t)(10 + i);
        assert_int_equal(sio_server_eio_open(f->s, session, EIO_V4, 0), 0);
        msg(f, session, bad[i], 0);
        e = expect_event(f, SIO_EVENT_CONNECT_REQUEST, sock, session, i == 0 ? "/" : "/admin");
        const char *auth = strchr(bad[i], '{');
        assert_json(e.data, auth);
        expect_no_event(f);
        expect_no_action(f);
        assert_int_equal(sio_server_eio_close(f->s, session, EIO_CLOSE_FORCED, 0), 0);
        expect_event(f, SIO_EVENT_DISCONNECT, sock, session, i == 0 ? "/" : "/admin");
        expect_no_event(f);
    }

    /* Offset "0" (never issued by an emit, but below the counter) replays everything. */
    assert_int_equal(sio_server_eio_open(f->s, 2, EIO_V4, 0), 0);
    msg(f, 2, "0/admin,{\"pid\":\"" SID2 "\",\"offset\":\"0\"}", 0);
    expect_send(f, 2, "0/admin,{\"sid\":\"" SID1 "\",\"pid\":\"" SID2 "\"}");
    expect_event(f, SIO_EVENT_RECOVERED, 1, 2, "/admin");
    expect_event(f, SIO_EVENT_CONNECT, 1, 2, "/admin");
    expect_send(f, 2, "2/admin,[\"b\",\"2\"]");
    expect_no_action(f);

    /* A kept socket the application disconnects is forgotten, without an event. */
    assert_int_equal(sio_server_eio_close(f->s, 2, EIO_CLOSE_TRANSPORT_CLOSE, 0), 0);
    expect_event(f, SIO_EVENT_DISCONNECT, 1, 2, "/admin");
    assert_int_equal(sio_server_disconnect(f->s, 1, false, 0), 0);
    expect_no_event(f);
    expect_no_action(f);
    assert_int_equal(sio_server_disconnect(f->s, 1, false, 0), EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"c\"]"), 0, 0, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);
    fx_free(f);
}

/* Kept for max_disconnection_duration: recovered at deadline - 1, not at the deadline. */
static void test_recovery_expiry(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        fx *f = fx_recovery(5000, 0);
        connect_rec(f, 1, 1, SID1, SID2, 0);
        assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"a\"]"), 0, 0, 0), 0);
        expect_send(f, 1, "2[\"a\",\"1\"]");
        drop(f, 1, 1, EIO_CLOSE_TRANSPORT_CLOSE, SIO_DISCONNECT_TRANSPORT_CLOSE, 1000);
        assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"b\"]"), 0, 0, 1000), 0);
        assert_int_equal(sio_server_get_expiry(f->s), 6000);
        assert_int_equal(sio_server_handle_expiry(f->s, 5999), 0);
        assert_int_equal(sio_server_get_expiry(f->s), 6000);
        const char *hello = "0{\"pid\":\"" SID2 "\",\"offset\":\"1\"}";
        if (variant == 0) {
            expect_recovered(f, 2, hello, 1, SID1, SID2, 5999);
            expect_send(f, 2, "2[\"b\",\"2\"]");
        } else {
            if (variant == 1) {
                assert_int_equal(sio_server_handle_expiry(f->s, 6000), 0);
                assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);
                assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"c\"]"), 0, 0, 6000),
                                 EIO_ERR_INVALID_ARGUMENT);
            }
            /* variant 2: no handle_expiry call; the deadline still holds */
            expect_fresh(f, 2, hello, 2, "{\"pid\":\"" SID2 "\",\"offset\":\"1\"}", 6000);
            assert_int_equal(sio_server_accept(f->s, 2, 6000), 0);
            expect_send(f, 2, "0{\"sid\":\"" SID3 "\",\"pid\":\"" SID4 "\"}");
            expect_event(f, SIO_EVENT_CONNECT, 2, 2, "/");
            assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);
        }
        expect_no_action(f);
        expect_no_event(f);
        fx_free(f);
    }
}

/* Past max_missed_packets the kept socket is dropped: its client starts anew. */
static void test_recovery_overflow(void **state)
{
    (void)state;
    fx *f = fx_recovery(0, 2);
    connect_rec(f, 1, 1, SID1, SID2, 0);
    connect_rec(f, 2, 2, SID3, SID4, 0);
    drop(f, 1, 1, EIO_CLOSE_TRANSPORT_CLOSE, SIO_DISCONNECT_TRANSPORT_CLOSE, 0);
    uint32_t to[] = {1, 2};
    assert_int_equal(sio_server_broadcast(f->s, to, 2, parse(f, "[\"a\"]"), 0), 1);
    expect_send(f, 2, "2[\"a\",\"1\"]");
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"b\"]"), 0, 0, 0), 0);
    /* the third one does not fit */
    assert_int_equal(sio_server_broadcast(f->s, to, 2, parse(f, "[\"c\"]"), 0), 1);
    expect_send(f, 2, "2[\"c\",\"3\"]");
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"d\"]"), 0, 0, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);
    expect_fresh(f, 3, "0{\"pid\":\"" SID2 "\",\"offset\":\"1\"}", 3,
                 "{\"pid\":\"" SID2 "\",\"offset\":\"1\"}", 0);
    fx_free(f);
}

/* Only lost connections are kept: not client or server disconnects, not parse errors,
   not connections the server closed, not v4 sessions. */
static void test_recovery_not_kept(void **state)
{
    (void)state;
    for (int variant = 0; variant < 6; variant++) {
        fx *f = fx_recovery(0, 0);
        connect_rec(f, 1, 1, SID1, SID2, 0);
        switch (variant) {
        case 0:
            msg(f, 1, "1", 0);
            expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/");
            break;
        case 1:
            assert_int_equal(sio_server_disconnect(f->s, 1, false, 0), 0);
            expect_send(f, 1, "1");
            expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/");
            break;
        case 2:
            assert_int_equal(sio_server_disconnect(f->s, 1, true, 0), 0);
            expect_send(f, 1, "1");
            expect_close(f, 1);
            expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/");
            break;
        case 3:
            assert_int_equal(sio_server_eio_message(f->s, 1, (const uint8_t *)"9", 1, false, 0),
                             0);
            expect_close(f, 1);
            expect_event(f, SIO_EVENT_DISCONNECT, 1, 1, "/");
            break;
        case 4:
            drop(f, 1, 1, EIO_CLOSE_FORCED, SIO_DISCONNECT_FORCED_CLOSE, 0);
            break;
        default:
            drop(f, 1, 1, EIO_CLOSE_SERVER_SHUTDOWN, SIO_DISCONNECT_SERVER_SHUTDOWN, 0);
            break;
        }
        expect_no_event(f);
        expect_no_action(f);
        assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"x\"]"), 0, 0, 0),
                         EIO_ERR_INVALID_ARGUMENT);
        assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);
        expect_fresh(f, 9, "0{\"pid\":\"" SID2 "\",\"offset\":\"1\"}", 2,
                     "{\"pid\":\"" SID2 "\",\"offset\":\"1\"}", 0);
        fx_free(f);
    }

    /* v4: CONNECT without payload, no offsets, nothing kept. */
    fx *f = fx_recovery(0, 0);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V3, 0), 0);
    expect_event(f, SIO_EVENT_CONNECT_REQUEST, 1, 1, "/");
    assert_int_equal(sio_server_accept(f->s, 1, 0), 0);
    expect_send(f, 1, "0");
    expect_event(f, SIO_EVENT_CONNECT, 1, 1, "/");
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"a\"]"), 0, 0, 0), 0);
    expect_send(f, 1, "2[\"a\"]");
    uint32_t to[] = {1};
    assert_int_equal(sio_server_broadcast(f->s, to, 1, parse(f, "[\"b\"]"), 0), 1);
    expect_send(f, 1, "2[\"b\"]");
    drop(f, 1, 1, EIO_CLOSE_TRANSPORT_CLOSE, SIO_DISCONNECT_TRANSPORT_CLOSE, 0);
    assert_int_equal(sio_server_emit(f->s, 1, parse(f, "[\"x\"]"), 0, 0, 0),
                     EIO_ERR_INVALID_ARGUMENT);
    assert_int_equal(sio_server_get_expiry(f->s), EIO_TIME_NEVER);
    fx_free(f);
}

/* msgpack: the pid is a string in the CONNECT answer (no longer undefined). */
static void test_recovery_msgpack(void **state)
{
    (void)state;
    if (!sio_msgpack_available()) {
        skip();
    }
    sio_server_options o;
    opts(NULL, &o);
    o.recovery = true;
    o.auto_accept = true;
    o.parser = SIO_PARSER_MSGPACK;
    fx *f = fx_new_opt(&o);
    assert_int_equal(sio_server_eio_open(f->s, 1, EIO_V4, 0), 0);
    /* {"type":0,"nsp":"/"} */
    static const uint8_t hello[] = {0x82, 0xa4, 't', 'y', 'p', 'e', 0x00, 0xa3, 'n', 's', 'p', 0xa1, '/'};
    bin(f, 1, hello, sizeof hello, 0);
    sio_action a;
    assert_int_equal(sio_server_next_action(f->s, &a), 1);
    assert_true(a.binary);
    sio_packet p;
    eio_arena ar;
    eio_arena_init(&ar, NULL, 0, 0);
    assert_int_equal(sio_msgpack_decode(a.data, a.len, NULL, &ar, &p, NULL), 0);
    assert_json(p.data, "{\"sid\":\"" SID1 "\",\"pid\":\"" SID2 "\"}");
    eio_arena_destroy(&ar);
    fx_free(f);
}

/* A recovery scenario under allocation failures: no leak, and errors only as NOMEM. */
static int recovery_run(sio_server *s)
{
    int rc = 0;
#define STEP(x)                                                                              \
    do {                                                                                     \
        int64_t r_ = (x);                                                                     \
        if (r_ < 0 && rc == 0) {                                                             \
            rc = (int)r_;                                                                    \
        }                                                                                    \
    } while (0)
    sio_action a;
    sio_event e;
    eio_arena ar;
    eio_arena_init(&ar, NULL, 0, 0);
    static const uint8_t b[] = {1, 2};
    eio_json *args = eio_json_new_array(&ar);
    eio_json_append(args, eio_json_new_string(&ar, "ev", 2));
    eio_json_append(args, eio_json_new_binary(&ar, b, 2));
    const char *back = "0{\"pid\":\"" SID2 "\",\"offset\":\"1\"}";
    uint32_t to[] = {1, 2};
    STEP(sio_server_eio_open(s, 1, EIO_V4, 0));
    STEP(sio_server_eio_message(s, 1, (const uint8_t *)"0", 1, false, 0));
    STEP(sio_server_eio_open(s, 2, EIO_V4, 0));
    STEP(sio_server_eio_message(s, 2, (const uint8_t *)"0", 1, false, 0));
    STEP(sio_server_emit(s, 1, args, 0, 0, 0));
    STEP(sio_server_eio_close(s, 1, EIO_CLOSE_TRANSPORT_CLOSE, 0));
    STEP(sio_server_emit(s, 1, args, 0, 0, 0));
    STEP(sio_server_broadcast(s, to, 2, args, 0));
    STEP(sio_server_eio_close(s, 2, EIO_CLOSE_PING_TIMEOUT, 0));
    STEP(sio_server_broadcast(s, to, 2, args, 0));
    STEP(sio_server_eio_open(s, 3, EIO_V4, 10));
    STEP(sio_server_eio_message(s, 3, (const uint8_t *)back, strlen(back), false, 10));
    while (sio_server_next_action(s, &a)) {
    }
    while (sio_server_next_event(s, &e)) {
    }
    STEP(sio_server_emit(s, 1, args, 0, 0, 20));
    STEP(sio_server_handle_expiry(s, 200000));
    eio_arena_destroy(&ar);
    return rc;
}

static void test_recovery_allocation_failures(void **state)
{
    (void)state;
    bool completed = false;
    for (long fail_at = 0; fail_at < 2000 && !completed; fail_at++) {
        tu_failmem fm;
        tu_failmem_init(&fm, fail_at);
        sio_server_options o;
        sio_server_options_default(&o);
        fx dummy = {0};
        o.random = fake_random;
        o.random_user_data = &dummy;
        o.recovery = true;
        o.auto_accept = true;
        sio_server *s = NULL;
        int rc = sio_server_new(&s, &o, &fm.mem);
        if (rc == 0) {
            rc = recovery_run(s);
            sio_server_free(s);
        }
        assert_true(rc == 0 || rc == EIO_ERR_NOMEM);
        assert_int_equal(fm.outstanding, 0);
        completed = rc == 0 && fm.calls <= fail_at;
    }
    assert_true(completed);
}
#undef STEP

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_default),
        cmocka_unit_test(test_emit_own_event_data),
        cmocka_unit_test(test_sample_session_v5),
        cmocka_unit_test(test_sample_session_v4),
        cmocka_unit_test(test_auto_accept),
        cmocka_unit_test(test_auth_payloads),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test(test_v4_deferred_namespace),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_invalid_state_v5),
        cmocka_unit_test(test_parse_error),
        cmocka_unit_test(test_acks_out),
        cmocka_unit_test(test_acks_in),
        cmocka_unit_test(test_binary_in),
        cmocka_unit_test(test_binary_out),
        cmocka_unit_test(test_broadcast),
        cmocka_unit_test(test_server_disconnect),
        cmocka_unit_test(test_client_disconnect_and_handles),
        cmocka_unit_test(test_eio_close_reasons),
        cmocka_unit_test(test_max_sockets),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_clock_backwards),
        cmocka_unit_test(test_msgpack),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_recovery_round_trip),
        cmocka_unit_test(test_recovery_offsets),
        cmocka_unit_test(test_recovery_expiry),
        cmocka_unit_test(test_recovery_overflow),
        cmocka_unit_test(test_recovery_not_kept),
        cmocka_unit_test(test_recovery_msgpack),
        cmocka_unit_test(test_recovery_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
