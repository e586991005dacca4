/*
 * The codec verbs: `sioc decode` (transport units to Engine.IO packets) and
 * `sioc encode` (packets to transport units), both JSON lines in and out;
 * with --sio the data of Engine.IO messages is Socket.IO packets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sioc/eio.h"
#include "sioc/json.h"
#include "sioc/sio.h"
#include "sioc/sio_msgpack.h"
#include "sioc_cli.h"
#include "sioc_jsonl.h"
#include "sioc_sio.h"

/* Escaping can turn one byte of a unit into six (\u001f) and base64 turns
 * three into four; the slack covers the member names around it. */
#define LINE_PER_PAYLOAD_BYTE 6u
#define LINE_SLACK 4096u
#define MAX_PAYLOAD_LIMIT ((size_t)1 << 30)
#define MIN_LINE_LIMIT 64u

static const char decode_help[] =
    "NAME\n"
    "    sioc decode - decode Engine.IO transport units into packets\n"
    "\n"
    "SYNOPSIS\n"
    "    sioc decode [--eio 3|4] [--transport websocket|polling] [--input FILE]\n"
    "                [--sio 4|5 [--parser json|msgpack]] [--max-payload N]\n"
    "                [--max-line N]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads transport units, one JSON object per line, and prints the Engine.IO\n"
    "    packets they carry, one JSON object per line, in order.\n"
    "\n"
    "    A unit is {\"text\":\"...\"} (a text frame or body, the string holding its\n"
    "    UTF-8 text) or {\"binary\":\"<base64>\"} (a binary frame or body).\n"
    "    {\"text_base64\":\"<base64>\"} is a text frame or body given by its bytes,\n"
    "    for text that is not valid UTF-8 and so cannot be a JSON string.\n"
    "    websocket: each unit is one frame holding one packet.\n"
    "    polling: each unit is one HTTP body holding one or more packets. v4 bodies\n"
    "    are text; in v3 a text unit is the len:packet format and a binary unit the\n"
    "    application/octet-stream format.\n"
    "    A unit may carry \"transport\":\"websocket\" or \"transport\":\"polling\" to\n"
    "    override --transport for that line (a capture spanning an upgrade mixes\n"
    "    both). Other members are ignored; blank lines are skipped.\n"
    "\n"
    "    A packet prints as {\"type\":\"message\",\"data\":\"hello\"} (text data),\n"
    "    {\"type\":\"message\",\"binary\":\"AQID\"} (binary data, also when it arrived\n"
    "    as base64 text) or {\"type\":\"noop\"} (no data). Types: open close ping\n"
    "    pong message upgrade noop.\n"
    "\n"
    "    With --sio, the data of every Engine.IO message goes through one\n"
    "    Socket.IO decoder, which puts binary attachments arriving in later\n"
    "    messages back in place, and each whole Socket.IO packet prints as\n"
    "      {\"type\":\"EVENT\",\"nsp\":\"/admin\",\"id\":12,\"data\":[\"msg\",{\"$binary\":\"AQID\"}]}\n"
    "    (type as on the wire, nsp always, query (v4) only when present, id and\n"
    "    data only when present, binary values as {\"$binary\":\"<base64>\"},\n"
    "    undefined as {\"$undefined\":true}). Other Engine.IO packets still print\n"
    "    as Engine.IO packets.\n"
    "\n"
    "OPTIONS\n"
    "    --eio 3|4          Engine.IO protocol version (default: 4; 3 with --sio 4)\n"
    "    --transport T      websocket or polling (default: websocket)\n"
    "    --input FILE       read units from FILE; - is standard input (default: -)\n"
    "    --sio 4|5          decode Socket.IO packets of protocol 4 (socket.io 2) or\n"
    "                       5 (socket.io 3 and later) (default: none, Engine.IO only)\n"
    "    --parser P         with --sio: json (socket.io-parser) or msgpack\n"
    "                       (socket.io-msgpack-parser, --sio 5 only)\n"
    "                       (default: json)\n"
    "    --max-payload N    largest polling body, and largest packet, in bytes\n"
    "                       (default: 1000000)\n"
    "    --max-line N       longest input line in bytes\n"
    "                       (default: 6 * max-payload + 4096)\n"
    "    -h, --help         print this help and exit\n"
    "\n"
    "ERRORS\n"
    "    At the first bad unit, after the packets decoded before it, prints one line\n"
    "      {\"error\":\"EIO_ERR_...\",\"offset\":N,\"message\":\"...\",\"line\":L}\n"
    "    and exits with status 1. L is the 1-based input line. For errors of the\n"
    "    Engine.IO decoder N is the byte offset inside the unit's bytes (after\n"
    "    base64 decoding of a binary or text_base64 unit); for bad JSON or a\n"
    "    malformed unit object (EIO_ERR_INVALID_ARGUMENT, EIO_ERR_INVALID_BASE64\n"
    "    in \"binary\" or \"text_base64\") N is the byte offset inside the input\n"
    "    line. For errors of the Socket.IO decoder (SIO_ERR_..., and the JSON\n"
    "    reader's codes for a payload) N is the byte offset inside the Socket.IO\n"
    "    packet, the Engine.IO message's data.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success, 1 bad input (error line on stdout), 2 bad command line or I/O\n"
    "    failure (message on stderr).\n"
    "\n"
    "EXAMPLE\n"
    "    $ printf '%s\\n' '{\"text\":\"4hello\\u001e2probe\"}' |\n"
    "          sioc decode --eio 4 --transport polling\n"
    "    {\"type\":\"message\",\"data\":\"hello\"}\n"
    "    {\"type\":\"ping\",\"data\":\"probe\"}\n";

static const char encode_help[] =
    "NAME\n"
    "    sioc encode - encode Engine.IO packets into transport units\n"
    "\n"
    "SYNOPSIS\n"
    "    sioc encode [--eio 3|4] [--transport websocket|polling] [--no-binary]\n"
    "                [--sio 4|5 [--parser json|msgpack]] [--input FILE]\n"
    "                [--max-payload N] [--max-line N]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads Engine.IO packets, one JSON object per line, and prints transport\n"
    "    units, one JSON object per line.\n"
    "\n"
    "    A packet is {\"type\":\"message\",\"data\":\"hello\"} (text data),\n"
    "    {\"type\":\"message\",\"binary\":\"AQID\"} (binary data in base64) or\n"
    "    {\"type\":\"noop\"} (no data). Types: open close ping pong message upgrade\n"
    "    noop. Other members are ignored; blank lines are skipped.\n"
    "\n"
    "    websocket: one unit per packet, {\"text\":\"...\"} for a text frame and\n"
    "    {\"binary\":\"<base64>\"} for a binary frame.\n"
    "    polling: all packets of the input go into one body, printed as one unit\n"
    "    once the input ends. v4 bodies are text; v3 bodies use the binary\n"
    "    (application/octet-stream) format when a packet has binary data, else\n"
    "    the len:packet text format. An input without packets still gives one\n"
    "    body: {\"text\":\"0:\"} in v3, {\"text\":\"\"} in v4.\n"
    "\n"
    "    With --sio, a line whose type is upper case is a Socket.IO packet,\n"
    "      {\"type\":\"EVENT\",\"nsp\":\"/admin\",\"id\":12,\"data\":[\"msg\",{\"$binary\":\"AQID\"}]}\n"
    "    (nsp defaults to \"/\"), and becomes Engine.IO messages: the text packet\n"
    "    then one binary message per attachment (msgpack: one binary message).\n"
    "    Engine.IO lines (lower-case types) may come in between.\n"
    "\n"
    "OPTIONS\n"
    "    --eio 3|4          Engine.IO protocol version (default: 4; 3 with --sio 4)\n"
    "    --transport T      websocket or polling (default: websocket)\n"
    "    --sio 4|5          also take Socket.IO packets of protocol 4 or 5\n"
    "                       (default: none, Engine.IO only)\n"
    "    --parser P         with --sio: json or msgpack (--sio 5 only)\n"
    "                       (default: json)\n"
    "    --no-binary        the peer cannot take binary: send binary data as base64\n"
    "                       text (websocket: text frames; v3 polling: text body)\n"
    "                       (default: binary allowed)\n"
    "    --input FILE       read packets from FILE; - is standard input (default: -)\n"
    "    --max-payload N    most bytes of packet data in one polling body\n"
    "                       (default: 1000000)\n"
    "    --max-line N       longest input line in bytes\n"
    "                       (default: 6 * max-payload + 4096)\n"
    "    -h, --help         print this help and exit\n"
    "\n"
    "ERRORS\n"
    "    At the first bad packet prints one line\n"
    "      {\"error\":\"EIO_ERR_...\",\"offset\":N,\"message\":\"...\",\"line\":L}\n"
    "    and exits with status 1; N is the byte offset inside input line L\n"
    "    (1-based), at the member the error is about. A polling body is printed\n"
    "    only when every packet is good.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success, 1 bad input (error line on stdout), 2 bad command line or I/O\n"
    "    failure (message on stderr).\n"
    "\n"
    "EXAMPLE\n"
    "    $ printf '%s\\n' '{\"type\":\"message\",\"data\":\"a\"}' \\\n"
    "          '{\"type\":\"message\",\"binary\":\"AQID\"}' |\n"
    "          sioc encode --eio 4 --transport polling\n"
    "    {\"text\":\"4a\\u001ebAQID\"}\n";

typedef struct codec_opts {
    eio_version version;
    int sio;            /* 0: Engine.IO only; else 4 or 5 */
    sio_parser parser;
    bool websocket;
    bool no_binary;
    const char *input;
    size_t max_payload;
    size_t max_line;
} codec_opts;

/* Returns -1 to go on, or the exit status when the verb is done. */
static int parse_opts(const char *verb, bool encode, int argc, char **argv, codec_opts *o)
{
    bool max_line_set = false;
    bool eio_set = false;
    bool parser_set = false;
    o->version = EIO_V4;
    o->sio = 0;
    o->parser = SIO_PARSER_JSON;
    o->websocket = true;
    o->no_binary = false;
    o->input = "-";
    o->max_payload = EIO_DEFAULT_MAX_PAYLOAD;
    o->max_line = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        int m;
        int which = 0;
        if (sioc_opt_flag(arg, "--help") || sioc_opt_flag(arg, "-h")) {
            fputs(encode ? encode_help : decode_help, stdout);
            return SIOC_EXIT_OK;
        }
        if (encode && sioc_opt_flag(arg, "--no-binary")) {
            o->no_binary = true;
            continue;
        }
        if ((m = sioc_opt_choice(verb, argc, argv, &i, "--eio", "3", "4", &which)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->version = which == 0 ? EIO_V3 : EIO_V4;
            eio_set = true;
            continue;
        }
        if ((m = sioc_opt_choice(verb, argc, argv, &i, "--sio", "4", "5", &which)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->sio = which == 0 ? 4 : 5;
            continue;
        }
        if ((m = sioc_opt_choice(verb, argc, argv, &i, "--parser", "json", "msgpack", &which)) !=
            0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->parser = which == 0 ? SIO_PARSER_JSON : SIO_PARSER_MSGPACK;
            parser_set = true;
            continue;
        }
        if ((m = sioc_opt_choice(verb, argc, argv, &i, "--transport", "websocket", "polling",
                                 &which)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->websocket = which == 0;
            continue;
        }
        if ((m = sioc_opt_value(verb, argc, argv, &i, "--input", &val)) != 0) {
            if (m < 0) {
                return SIOC_EXIT_USAGE;
            }
            o->input = val;
            continue;
        }
        if ((m = sioc_opt_value(verb, argc, argv, &i, "--max-payload", &val)) != 0) {
            if (m < 0 || sioc_parse_size(verb, "--max-payload", val, 1, MAX_PAYLOAD_LIMIT,
                                         &o->max_payload) < 0) {
                return SIOC_EXIT_USAGE;
            }
            continue;
        }
        if ((m = sioc_opt_value(verb, argc, argv, &i, "--max-line", &val)) != 0) {
            if (m < 0 || sioc_parse_size(verb, "--max-line", val, MIN_LINE_LIMIT,
                                         MAX_PAYLOAD_LIMIT * LINE_PER_PAYLOAD_BYTE + LINE_SLACK,
                                         &o->max_line) < 0) {
                return SIOC_EXIT_USAGE;
            }
            max_line_set = true;
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            return sioc_usage_error(verb, "unknown option '%s'", arg);
        }
        return sioc_usage_error(verb, "unexpected argument '%s'", arg);
    }
    if (!max_line_set) {
        o->max_line = o->max_payload * LINE_PER_PAYLOAD_BYTE + LINE_SLACK;
    }
    if (parser_set && o->sio == 0) {
        return sioc_usage_error(verb, "--parser needs --sio 4 or --sio 5");
    }
    if (o->parser == SIO_PARSER_MSGPACK) {
        if (o->sio != 5) {
            return sioc_usage_error(verb, "--parser msgpack is for --sio 5 only");
        }
        if (!sio_msgpack_available()) {
            return sioc_usage_error(verb, "--parser msgpack: this build of sioc lacks msgpack "
                                          "(it was built without msgpack-c)");
        }
    }
    /* Socket.IO 2 (protocol 4) runs over Engine.IO 3. */
    if (o->sio == 4 && !eio_set) {
        o->version = EIO_V3;
    }
    return -1;
}

/* What both verbs hold while they run. */
typedef struct codec_run {
    const char *verb;
    codec_opts o;
    eio_limits lim;
    FILE *in_file;
    sioc_jsonl_in in;
    sioc_jbuf out;
    uint8_t *unit;       /* a binary unit's bytes, or an encoder's output */
    size_t unit_cap;
    uint8_t *data;       /* decode: a base64 packet's bytes; encode: binary data */
    size_t data_cap;
    /* --sio */
    sio_decoder sd;
    eio_arena sio_arena; /* decode: the messages of the packet being decoded and its tree;
                            encode: the tree of the current line */
    uint8_t *sio_text;   /* encode: the Socket.IO packet's text (or msgpack) */
    size_t sio_text_cap;
} codec_run;

static int run_open(codec_run *r, const char *verb, bool encode, int argc, char **argv)
{
    memset(r, 0, sizeof *r);
    r->verb = verb;
    int rc = parse_opts(verb, encode, argc, argv, &r->o);
    if (rc >= 0) {
        return rc;
    }
    eio_limits_default(&r->lim);
    r->lim.max_payload = r->o.max_payload;
    r->lim.max_packet = r->o.max_payload;
    if (strcmp(r->o.input, "-") == 0) {
        r->in_file = stdin;
    } else {
        r->in_file = fopen(r->o.input, "rb");
        if (r->in_file == NULL) {
            fprintf(stderr, SIOC_PROG " %s: cannot open '%s': %s\n", verb, r->o.input,
                    strerror(errno));
            return SIOC_EXIT_USAGE;
        }
    }
    sioc_jsonl_in_init(&r->in, r->in_file, r->o.max_line);
    r->in.flush_before_read = stdout;
    eio_arena_init(&r->sio_arena, NULL, 65536, 0);
    if (r->o.sio != 0 && !encode) {
        rc = sio_decoder_init(&r->sd, r->o.sio == 4 ? SIO_V4 : SIO_V5, r->o.parser, NULL,
                              &r->sio_arena, 0);
        if (rc < 0) {
            fprintf(stderr, SIOC_PROG " %s: cannot start the Socket.IO decoder: %s\n", verb,
                    eio_strerror(rc));
            return SIOC_EXIT_USAGE;
        }
    }
    return -1;
}

static void run_close(codec_run *r)
{
    sioc_jsonl_in_free(&r->in);
    sioc_jbuf_free(&r->out);
    free(r->unit);
    free(r->data);
    free(r->sio_text);
    eio_arena_destroy(&r->sio_arena);
    if (r->in_file != NULL && r->in_file != stdin) {
        fclose(r->in_file);
    }
}

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (*cap >= need) {
        return true;
    }
    size_t ncap = need < 256 ? 256 : need;
    uint8_t *nb = realloc(*buf, ncap);
    if (nb == NULL) {
        return false;
    }
    *buf = nb;
    *cap = ncap;
    return true;
}

/* Prints the error line for the current input line; returns the exit status. */
static int fail(codec_run *r, int code, size_t offset, const char *msg)
{
    if (sioc_jsonl_print_error(stdout, code, offset, msg, r->in.line_no) != 0) {
        fprintf(stderr, SIOC_PROG " %s: cannot write to stdout\n", r->verb);
        return SIOC_EXIT_USAGE;
    }
    return SIOC_EXIT_INPUT;
}

static int fail_info(codec_run *r, const eio_errinfo *err)
{
    return fail(r, err->code, err->offset, err->msg);
}

static int emit(codec_run *r)
{
    int rc = sioc_jbuf_emit(&r->out, stdout);
    if (rc == EIO_ERR_NOMEM) {
        return fail(r, EIO_ERR_NOMEM, 0, "out of memory writing a line");
    }
    if (rc != 0) {
        fprintf(stderr, SIOC_PROG " %s: cannot write to stdout\n", r->verb);
        return SIOC_EXIT_USAGE;
    }
    return -1;
}

static int end_of_input(codec_run *r)
{
    if (r->in.io_error) {
        bool std_in = strcmp(r->o.input, "-") == 0;
        fprintf(stderr, SIOC_PROG " %s: cannot read %s%s%s: %s\n", r->verb, std_in ? "" : "'",
                std_in ? "standard input" : r->o.input, std_in ? "" : "'",
                strerror(r->in.io_errno));
        return SIOC_EXIT_USAGE;
    }
    return SIOC_EXIT_OK;
}

/* Returns the member `key` of `root` if it is a string, NULL if absent;
 * sets *rc to an exit status when it exists with another type. */
static const eio_json *string_member(codec_run *r, const eio_json *root, const char *key,
                                     const char *msg, int *rc)
{
    const eio_json *v = eio_json_get(root, key, strlen(key));
    if (v != NULL && v->type != EIO_JSON_STRING) {
        *rc = fail(r, EIO_ERR_INVALID_ARGUMENT, sioc_jsonl_member_offset(&r->in, key, false),
                   msg);
        return NULL;
    }
    return v;
}

/* Decodes member `key` (a base64 string) into *buf; returns -1 on
 * success or the exit status. */
static int decode_base64_member(codec_run *r, const eio_json *v, const char *key,
                                 uint8_t **buf, size_t *cap, size_t *out_len)
{
    const char *msg = strcmp(key, "binary") == 0 ? "\"binary\" is not valid base64"
                                                 : "\"text_base64\" is not valid base64";
    if (!grow(buf, cap, eio_base64_decoded_max(v->u.str.len))) {
        return fail(r, EIO_ERR_NOMEM, 0, "out of memory decoding base64");
    }
    eio_errinfo err = {0};
    int rc = eio_base64_decode((const uint8_t *)v->u.str.ptr, v->u.str.len, *buf, *cap,
                               out_len, &err);
    if (rc < 0) {
        size_t off = sioc_jsonl_string_offset(&r->in, v, key);
        if ((v->flags & EIO_JSON_F_STR_COPIED) == 0) {
            off += err.offset;
        }
        return fail(r, rc == EIO_ERR_INVALID_BASE64 ? rc : EIO_ERR_INVALID_ARGUMENT, off, msg);
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* decode                                                                    */
/* ------------------------------------------------------------------------ */

/* Feeds the data of one Engine.IO message to the Socket.IO decoder and
 * prints the packet it completes, if any. */
static int feed_sio(codec_run *r, const uint8_t *data, size_t len, bool binary)
{
    /* The decoder's packet points into the messages fed to it, and a
     * BINARY_* packet spans several input lines, whose buffers are reused:
     * each message is copied into the arena that holds the packet's tree. */
    uint8_t *copy = eio_arena_alloc(&r->sio_arena, len > 0 ? len : 1);
    if (copy == NULL) {
        return fail(r, EIO_ERR_NOMEM, 0, "out of memory holding a Socket.IO message");
    }
    if (len > 0) {
        memcpy(copy, data, len);
    }
    sio_packet sp;
    eio_errinfo err = {0};
    int rc = sio_decoder_feed(&r->sd, copy, len, binary, &sp, &err);
    if (rc < 0) {
        return fail_info(r, &err);
    }
    if (rc == SIO_DECODER_NEED_MORE) {
        return -1;
    }
    sioc_sio_print_packet(&r->out, r->o.sio == 4 ? SIO_V4 : SIO_V5, &sp);
    rc = emit(r);
    if (!sio_decoder_pending(&r->sd)) {
        eio_arena_reset(&r->sio_arena);
    }
    return rc;
}

/* `unit` is the start of the decoded unit, for offsets of late errors. */
static int print_packet(codec_run *r, const eio_packet *p, const uint8_t *unit)
{
    if (r->o.sio != 0 && p->type == EIO_PACKET_MESSAGE) {
        if (p->kind != EIO_DATA_BASE64) {
            return feed_sio(r, p->data, p->len, p->kind == EIO_DATA_BINARY);
        }
        size_t n = 0;
        eio_errinfo err = {0};
        if (!grow(&r->data, &r->data_cap, eio_base64_decoded_max(p->len))) {
            return fail(r, EIO_ERR_NOMEM, 0, "out of memory decoding base64");
        }
        int rc = eio_base64_decode(p->data, p->len, r->data, r->data_cap, &n, &err);
        if (rc < 0) {
            return fail(r, rc, (size_t)(p->data - unit) + err.offset, err.msg);
        }
        return feed_sio(r, r->data, n, true);
    }
    const char *name = eio_packet_type_name((int)p->type);
    sioc_jbuf *b = &r->out;
    sioc_jbuf_lit(b, "{\"type\":\"");
    sioc_jbuf_lit(b, name != NULL ? name : "unknown");
    sioc_jbuf_lit(b, "\"");
    switch (p->kind) {
    case EIO_DATA_NONE:
        break;
    case EIO_DATA_TEXT:
        sioc_jbuf_lit(b, ",\"data\":");
        sioc_jbuf_string(b, p->data, p->len);
        break;
    case EIO_DATA_BINARY:
        sioc_jbuf_lit(b, ",\"binary\":");
        sioc_jbuf_base64(b, p->data, p->len);
        break;
    case EIO_DATA_BASE64: {
        /* Decoded and encoded again, so that equal bytes always print the
         * same however the peer wrote them. */
        size_t n = 0;
        eio_errinfo err = {0};
        if (!grow(&r->data, &r->data_cap, eio_base64_decoded_max(p->len))) {
            return fail(r, EIO_ERR_NOMEM, 0, "out of memory decoding base64");
        }
        int rc = eio_base64_decode(p->data, p->len, r->data, r->data_cap, &n, &err);
        if (rc < 0) {
            return fail(r, rc, (size_t)(p->data - unit) + err.offset, err.msg);
        }
        sioc_jbuf_lit(b, ",\"binary\":");
        sioc_jbuf_base64(b, r->data, n);
        break;
    }
    }
    sioc_jbuf_lit(b, "}");
    return emit(r);
}

static int decode_unit(codec_run *r, const eio_json *root)
{
    int rc = -1;
    const eio_json *text = string_member(r, root, "text", "\"text\" must be a string", &rc);
    if (rc >= 0) {
        return rc;
    }
    const eio_json *bin = string_member(r, root, "binary",
                                        "\"binary\" must be a string of base64", &rc);
    if (rc >= 0) {
        return rc;
    }
    const eio_json *tb64 = string_member(r, root, "text_base64",
                                         "\"text_base64\" must be a string of base64", &rc);
    if (rc >= 0) {
        return rc;
    }
    const eio_json *tr = string_member(
        r, root, "transport", "\"transport\" must be \"websocket\" or \"polling\"", &rc);
    if (rc >= 0) {
        return rc;
    }
    bool websocket = r->o.websocket;
    if (tr != NULL) {
        if (tr->u.str.len == 9 && memcmp(tr->u.str.ptr, "websocket", 9) == 0) {
            websocket = true;
        } else if (tr->u.str.len == 7 && memcmp(tr->u.str.ptr, "polling", 7) == 0) {
            websocket = false;
        } else {
            return fail(r, EIO_ERR_INVALID_ARGUMENT,
                        sioc_jsonl_member_offset(&r->in, "transport", false),
                        "\"transport\" must be \"websocket\" or \"polling\"");
        }
    }
    if ((text != NULL) + (bin != NULL) + (tb64 != NULL) > 1) {
        /* Point at the second of them. */
        size_t o[3] = {sioc_jsonl_member_offset(&r->in, "text", true),
                       sioc_jsonl_member_offset(&r->in, "binary", true),
                       sioc_jsonl_member_offset(&r->in, "text_base64", true)};
        const eio_json *given[3] = {text, bin, tb64};
        size_t first = SIZE_MAX, second = SIZE_MAX;
        for (int k = 0; k < 3; k++) {
            if (given[k] == NULL) {
                continue;
            }
            if (o[k] < first) {
                second = first;
                first = o[k];
            } else if (o[k] < second) {
                second = o[k];
            }
        }
        return fail(r, EIO_ERR_INVALID_ARGUMENT, second,
                    "a unit has one of \"text\", \"binary\" and \"text_base64\"");
    }
    if (text == NULL && bin == NULL && tb64 == NULL) {
        return fail(r, EIO_ERR_INVALID_ARGUMENT, sioc_jsonl_member_offset(&r->in, NULL, false),
                    "a unit needs \"text\" or \"binary\"");
    }

    const uint8_t *bytes;
    size_t len;
    if (bin != NULL || tb64 != NULL) {
        rc = decode_base64_member(r, bin != NULL ? bin : tb64,
                                  bin != NULL ? "binary" : "text_base64", &r->unit,
                                  &r->unit_cap, &len);
        if (rc >= 0) {
            return rc;
        }
        bytes = r->unit;
    } else {
        bytes = (const uint8_t *)text->u.str.ptr;
        len = text->u.str.len;
    }

    eio_errinfo err = {0};
    eio_packet p;
    if (websocket) {
        rc = eio_packet_decode(r->o.version, bytes, len, bin != NULL, &r->lim, &p, &err);
        if (rc < 0) {
            return fail_info(r, &err);
        }
        return print_packet(r, &p, bytes);
    }

    if (bin != NULL && r->o.version == EIO_V4) {
        return fail(r, EIO_ERR_NOT_BINARY, 0, "Engine.IO v4 polling bodies are text");
    }
    eio_payload_decoder d;
    rc = eio_payload_decoder_init(&d, r->o.version,
                                  bin != NULL ? EIO_PAYLOAD_BINARY : EIO_PAYLOAD_TEXT, &r->lim);
    if (rc < 0) {
        return fail(r, rc, 0, NULL);
    }
    for (;;) {
        rc = eio_payload_decoder_next(&d, bytes, len, true, &p, &err);
        if (rc < 0) {
            return fail_info(r, &err);
        }
        if (rc == EIO_PAYLOAD_END) {
            return -1;
        }
        if (rc != EIO_PAYLOAD_PACKET) {
            /* final=true never asks for more; treat it as a cut body. */
            return fail(r, EIO_ERR_LENGTH_PAST_END, len, "the body ends inside a packet");
        }
        rc = print_packet(r, &p, bytes);
        if (rc >= 0) {
            return rc;
        }
    }
}

static int run_decode(int argc, char **argv)
{
    codec_run r;
    int rc = run_open(&r, "decode", false, argc, argv);
    if (rc >= 0) {
        run_close(&r);
        return rc;
    }
    for (;;) {
        const eio_json *root = NULL;
        eio_errinfo err = {0};
        int n = sioc_jsonl_next(&r.in, &root, &err);
        if (n < 0) {
            rc = fail_info(&r, &err);
            break;
        }
        if (n == 0) {
            rc = end_of_input(&r);
            break;
        }
        rc = decode_unit(&r, root);
        if (rc >= 0) {
            break;
        }
    }
    if (rc == SIOC_EXIT_OK && r.o.sio != 0 && sio_decoder_pending(&r.sd)) {
        /* As when a connection closes: the packet is dropped. */
        fprintf(stderr,
                SIOC_PROG " decode: the input ended while a binary Socket.IO packet was "
                          "waiting for attachments; it was dropped\n");
    }
    run_close(&r);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* encode                                                                    */
/* ------------------------------------------------------------------------ */

/* Packets of a polling body, kept until the input ends. Data lives in one
 * growing store and is addressed by offset, since the store moves. */
typedef struct held_packet {
    eio_packet_type type;
    eio_data_kind kind;
    size_t off;
    size_t len;
} held_packet;

typedef struct body {
    held_packet *pk;
    size_t n;
    size_t cap;
    uint8_t *store;
    size_t store_len;
    size_t store_cap;
} body;

static void body_free(body *b)
{
    free(b->pk);
    free(b->store);
}

static int packet_type_from_name(const char *s, size_t n)
{
    for (int t = EIO_PACKET_OPEN; t <= EIO_PACKET_NOOP; t++) {
        const char *name = eio_packet_type_name(t);
        if (name != NULL && strlen(name) == n && memcmp(name, s, n) == 0) {
            return t;
        }
    }
    return -1;
}

/* Reads one packet line into *p (data in r->data or the line's arena);
 * returns -1 on success or the exit status. `data_off` gets the offset of
 * the member that gave the data, for later errors. */
static int read_packet(codec_run *r, const eio_json *root, eio_packet *p, size_t *data_off)
{
    int rc = -1;
    const eio_json *type = string_member(
        r, root, "type", "\"type\" must be a string naming the packet type", &rc);
    if (rc >= 0) {
        return rc;
    }
    if (type != NULL && r->o.sio == 0 &&
        sioc_sio_type_from_name(SIO_V4, type->u.str.ptr, type->u.str.len) >= 0) {
        return fail(r, EIO_ERR_INVALID_ARGUMENT, sioc_jsonl_member_offset(&r->in, "type", false),
                    "a Socket.IO packet type: Socket.IO packets need --sio 4 or --sio 5");
    }
    const eio_json *data = string_member(r, root, "data", "\"data\" must be a string", &rc);
    if (rc >= 0) {
        return rc;
    }
    const eio_json *bin = string_member(r, root, "binary",
                                        "\"binary\" must be a string of base64", &rc);
    if (rc >= 0) {
        return rc;
    }
    if (type == NULL) {
        return fail(r, EIO_ERR_INVALID_ARGUMENT, sioc_jsonl_member_offset(&r->in, NULL, false),
                    "a packet needs \"type\"");
    }
    int t = packet_type_from_name(type->u.str.ptr, type->u.str.len);
    if (t < 0) {
        return fail(r, EIO_ERR_INVALID_ARGUMENT, sioc_jsonl_member_offset(&r->in, "type", false),
                    "unknown packet type: expected open, close, ping, pong, message, upgrade "
                    "or noop");
    }
    if (data != NULL && bin != NULL) {
        size_t od = sioc_jsonl_member_offset(&r->in, "data", true);
        size_t ob = sioc_jsonl_member_offset(&r->in, "binary", true);
        return fail(r, EIO_ERR_INVALID_ARGUMENT, od > ob ? od : ob,
                    "a packet has \"data\" or \"binary\", not both");
    }
    memset(p, 0, sizeof *p);
    p->type = (eio_packet_type)t;
    p->kind = EIO_DATA_NONE;
    *data_off = sioc_jsonl_member_offset(&r->in, "type", false);
    if (data != NULL) {
        p->kind = EIO_DATA_TEXT;
        p->data = (const uint8_t *)data->u.str.ptr;
        p->len = data->u.str.len;
        *data_off = sioc_jsonl_member_offset(&r->in, "data", false);
    } else if (bin != NULL) {
        size_t n = 0;
        rc = decode_base64_member(r, bin, "binary", &r->data, &r->data_cap, &n);
        if (rc >= 0) {
            return rc;
        }
        p->kind = EIO_DATA_BINARY;
        p->data = r->data;
        p->len = n;
        *data_off = sioc_jsonl_member_offset(&r->in, "binary", false);
    }
    return -1;
}

static int hold_packet(codec_run *r, body *b, const eio_packet *p, size_t data_off)
{
    if (b->n >= r->lim.max_packets) {
        return fail(r, EIO_ERR_TOO_MANY_PACKETS, sioc_jsonl_member_offset(&r->in, NULL, false),
                    "more packets than one polling body may hold");
    }
    if (p->len > r->o.max_payload - b->store_len) {
        return fail(r, EIO_ERR_PAYLOAD_TOO_LARGE, data_off,
                    "the packets' data passes --max-payload");
    }
    if (b->n == b->cap) {
        size_t ncap = b->cap == 0 ? 16 : b->cap * 2;
        held_packet *np = realloc(b->pk, ncap * sizeof *np);
        if (np == NULL) {
            return fail(r, EIO_ERR_NOMEM, 0, "out of memory holding packets");
        }
        b->pk = np;
        b->cap = ncap;
    }
    if (b->store_cap - b->store_len < p->len) {
        size_t ncap = b->store_cap < 4096 ? 4096 : b->store_cap;
        while (ncap - b->store_len < p->len) {
            ncap *= 2;
        }
        uint8_t *ns = realloc(b->store, ncap);
        if (ns == NULL) {
            return fail(r, EIO_ERR_NOMEM, 0, "out of memory holding packets");
        }
        b->store = ns;
        b->store_cap = ncap;
    }
    held_packet *h = &b->pk[b->n++];
    h->type = p->type;
    h->kind = p->kind;
    h->off = b->store_len;
    h->len = p->len;
    if (p->len > 0) {
        memcpy(b->store + b->store_len, p->data, p->len);
        b->store_len += p->len;
    }
    return -1;
}

/* Prints the encoded bytes in r->unit as a text or binary unit. */
static int print_unit(codec_run *r, size_t len, bool binary)
{
    if (binary) {
        sioc_jbuf_lit(&r->out, "{\"binary\":");
        sioc_jbuf_base64(&r->out, r->unit, len);
    } else {
        sioc_jbuf_lit(&r->out, "{\"text\":");
        sioc_jbuf_string(&r->out, r->unit, len);
    }
    sioc_jbuf_lit(&r->out, "}");
    return emit(r);
}

static int encode_frame(codec_run *r, const eio_packet *p, size_t data_off)
{
    unsigned flags = r->o.no_binary ? EIO_ENCODE_BASE64 : 0u;
    size_t len = 0;
    bool binary = false;
    int rc;
    for (;;) {
        rc = eio_packet_encode(r->o.version, p, flags, r->unit, r->unit_cap, &len, &binary);
        if (rc != EIO_ERR_BUFFER_TOO_SMALL || len <= r->unit_cap) {
            break;
        }
        if (!grow(&r->unit, &r->unit_cap, len)) {
            return fail(r, EIO_ERR_NOMEM, 0, "out of memory encoding a frame");
        }
    }
    if (rc < 0) {
        return fail(r, rc, data_off, NULL);
    }
    return print_unit(r, len, binary);
}

static int encode_body(codec_run *r, body *b)
{
    /* Even no packets make a body: the library writes the reference's
     * empty payload for them (v3 "0:"). */
    eio_packet *pk = calloc(b->n > 0 ? b->n : 1, sizeof *pk);
    if (pk == NULL) {
        return fail(r, EIO_ERR_NOMEM, 0, "out of memory encoding the body");
    }
    for (size_t i = 0; i < b->n; i++) {
        pk[i].type = b->pk[i].type;
        pk[i].kind = b->pk[i].kind;
        pk[i].data = b->pk[i].len > 0 ? b->store + b->pk[i].off : NULL;
        pk[i].len = b->pk[i].len;
    }
    eio_payload_format fmt = eio_payload_format_for(r->o.version, pk, b->n, !r->o.no_binary);
    size_t len = 0;
    int rc;
    for (;;) {
        rc = eio_payload_encode(r->o.version, fmt, pk, b->n, r->unit, r->unit_cap, &len);
        if (rc != EIO_ERR_BUFFER_TOO_SMALL || len <= r->unit_cap) {
            break;
        }
        if (!grow(&r->unit, &r->unit_cap, len)) {
            free(pk);
            return fail(r, EIO_ERR_NOMEM, 0, "out of memory encoding the body");
        }
    }
    free(pk);
    if (rc < 0) {
        return fail(r, rc, 0, NULL);
    }
    rc = print_unit(r, len, fmt == EIO_PAYLOAD_BINARY);
    return rc >= 0 ? rc : SIOC_EXIT_OK;
}

/* A packet to send as it is, or to hold for the polling body. */
static int send_packet(codec_run *r, body *b, const eio_packet *p, size_t data_off)
{
    return r->o.websocket ? encode_frame(r, p, data_off) : hold_packet(r, b, p, data_off);
}

/* A Socket.IO line: its packet becomes one or more Engine.IO messages. */
static int encode_sio(codec_run *r, body *b, const eio_json *root)
{
    sio_version v = r->o.sio == 4 ? SIO_V4 : SIO_V5;
    eio_arena_reset(&r->sio_arena);
    sio_packet sp;
    eio_errinfo err = {0};
    int rc = sioc_sio_read_packet(&r->in, root, v, &r->sio_arena, &sp, &err);
    if (rc < 0) {
        return fail_info(r, &err);
    }
    bool msgpack = r->o.parser == SIO_PARSER_MSGPACK;
    size_t len = 0;
    for (;;) {
        rc = msgpack ? sio_msgpack_encode(&sp, r->sio_text, r->sio_text_cap, &len)
                     : sio_packet_encode(v, &sp, r->sio_text, r->sio_text_cap, &len);
        if (rc != EIO_ERR_BUFFER_TOO_SMALL || len <= r->sio_text_cap) {
            break;
        }
        if (!grow(&r->sio_text, &r->sio_text_cap, len)) {
            return fail(r, EIO_ERR_NOMEM, 0, "out of memory encoding a Socket.IO packet");
        }
    }
    if (rc < 0) {
        return fail(r, rc, sioc_sio_encode_error_offset(&r->in, rc), NULL);
    }
    size_t data_off = sioc_jsonl_member_offset(&r->in, "data", false);
    eio_packet p;
    memset(&p, 0, sizeof p);
    p.type = EIO_PACKET_MESSAGE;
    p.kind = msgpack ? EIO_DATA_BINARY : EIO_DATA_TEXT;
    p.data = r->sio_text;
    p.len = len;
    rc = send_packet(r, b, &p, data_off);
    if (rc >= 0 || msgpack) {
        return rc;
    }
    const eio_json *few[16];
    const eio_json **att = few;
    size_t n = sio_packet_attachments(&sp, few, 16);
    if (n > 16) {
        att = malloc(n * sizeof *att);
        if (att == NULL) {
            return fail(r, EIO_ERR_NOMEM, 0, "out of memory listing attachments");
        }
        n = sio_packet_attachments(&sp, att, n);
    }
    for (size_t i = 0; i < n && rc < 0; i++) {
        p.kind = EIO_DATA_BINARY;
        p.data = (const uint8_t *)att[i]->u.str.ptr;
        p.len = att[i]->u.str.len;
        rc = send_packet(r, b, &p, data_off);
    }
    if (att != few) {
        free(att);
    }
    return rc;
}

static int run_encode(int argc, char **argv)
{
    codec_run r;
    body b;
    memset(&b, 0, sizeof b);
    int rc = run_open(&r, "encode", true, argc, argv);
    if (rc >= 0) {
        run_close(&r);
        return rc;
    }
    for (;;) {
        const eio_json *root = NULL;
        eio_errinfo err = {0};
        int n = sioc_jsonl_next(&r.in, &root, &err);
        if (n < 0) {
            rc = fail_info(&r, &err);
            break;
        }
        if (n == 0) {
            rc = end_of_input(&r);
            if (rc == SIOC_EXIT_OK && !r.o.websocket) {
                rc = encode_body(&r, &b);
            }
            break;
        }
        const eio_json *type = eio_json_get(root, "type", 4);
        if (r.o.sio != 0 && type != NULL && type->type == EIO_JSON_STRING &&
            sioc_sio_type_like(type->u.str.ptr, type->u.str.len)) {
            rc = encode_sio(&r, &b, root);
            if (rc >= 0) {
                break;
            }
            continue;
        }
        eio_packet p;
        size_t data_off = 0;
        rc = read_packet(&r, root, &p, &data_off);
        if (rc >= 0) {
            break;
        }
        rc = send_packet(&r, &b, &p, data_off);
        if (rc >= 0) {
            break;
        }
    }
    body_free(&b);
    run_close(&r);
    return rc;
}

const sioc_verb sioc_verb_decode = {
    "decode",
    "decode transport units (frames, polling bodies) into Engine.IO or Socket.IO packets",
    run_decode,
};

const sioc_verb sioc_verb_encode = {
    "encode",
    "encode Engine.IO or Socket.IO packets into transport units",
    run_encode,
};
