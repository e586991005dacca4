/*
 * sioc_jsonl.h - JSON lines for the sioc command line: reading one JSON
 * object per line from a FILE (lines of any length up to a limit), and
 * writing lines of JSON as JSON.stringify would.
 */
#ifndef SIOC_JSONL_H
#define SIOC_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sioc/base.h"
#include "sioc/json.h"

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * A JSON-lines reader. Caller storage; fields are private except where
 * noted. Holds one read buffer (at most max_line plus one read chunk) and
 * one arena for the current line's tree, both reused from line to line.
 */
typedef struct sioc_jsonl_in {
    FILE *f;
    uint8_t *buf;
    size_t cap;
    size_t start;       /* first byte of the unread lines */
    size_t end;         /* bytes in buf */
    size_t scan;        /* bytes after start known to hold no newline */
    size_t max_line;
    FILE *flush_before_read; /**< public: flushed before each blocking read (or NULL) */
    bool eof;
    bool io_error;      /**< public: reading the FILE failed (sioc_jsonl_next returned 0) */
    int io_errno;       /**< public: errno of that failure */
    unsigned long line_no; /**< public: 1-based number of the line last returned */
    const uint8_t *line;   /**< public: bytes of the line last returned (no newline) */
    size_t line_len;       /**< public */
    eio_arena arena;
    eio_json_options opt;
} sioc_jsonl_in;

/**
 * Prepares `in` to read `f`, accepting lines of at most `max_line` bytes
 * (not counting the newline). Allocates nothing yet.
 */
void sioc_jsonl_in_init(sioc_jsonl_in *in, FILE *f, size_t max_line);

/** Frees the buffer and the arena (does not close the FILE). */
void sioc_jsonl_in_free(sioc_jsonl_in *in);

/**
 * Reads the next non-blank line and parses it. Returns 1 with `*root` set
 * to a JSON object (valid until the next call), 0 at the end of the input
 * (check io_error), or a negative eio_error with `err` filled: the offset
 * counts from the start of the line, `line_no` says which line.
 *
 * Errors: EIO_ERR_LIMIT (the line is longer than max_line), EIO_ERR_NOMEM,
 * the JSON reader's codes, EIO_ERR_INVALID_ARGUMENT (not an object).
 */
int sioc_jsonl_next(sioc_jsonl_in *in, const eio_json **root, eio_errinfo *err);

/**
 * Byte offset in the current line of the value (or, if `want_key`, of the
 * opening quote of the key) of the last top-level member named `key`; the
 * offset of the object itself when there is none or `key` is NULL. Keys
 * written with escapes are not recognized.
 */
size_t sioc_jsonl_member_offset(const sioc_jsonl_in *in, const char *key, bool want_key);

/**
 * Byte offset in the current line of the first character inside string
 * `v`, the value of member `key`; when the string was unescaped into the
 * arena, the offset of its opening quote.
 */
size_t sioc_jsonl_string_offset(const sioc_jsonl_in *in, const eio_json *v, const char *key);

/*
 * Cursor helpers over JSON text the reader already accepted (they find
 * boundaries, they do not validate; every step is bounds-checked). Each
 * returns the offset just past what it skipped, at most `n`.
 */
size_t sioc_json_skip_ws(const uint8_t *s, size_t n, size_t i);
/** `s[i]` is the opening quote. */
size_t sioc_json_skip_string(const uint8_t *s, size_t n, size_t i);
/** `s[i]` is the first byte of a value. */
size_t sioc_json_skip_value(const uint8_t *s, size_t n, size_t i);

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */
/* ------------------------------------------------------------------------ */

/** A growing output line. Zero-initialize; free with sioc_jbuf_free. */
typedef struct sioc_jbuf {
    char *ptr;
    size_t len;
    size_t cap;
    bool nomem; /**< an append failed; the line is incomplete */
} sioc_jbuf;

void sioc_jbuf_free(sioc_jbuf *b);

/** Appends raw bytes (already JSON). */
void sioc_jbuf_raw(sioc_jbuf *b, const char *s, size_t n);

/** Appends a NUL-terminated raw string (already JSON). */
void sioc_jbuf_lit(sioc_jbuf *b, const char *s);

/** Appends `s` (valid UTF-8) as a JSON string literal, escaped as JSON.stringify does. */
void sioc_jbuf_string(sioc_jbuf *b, const uint8_t *s, size_t n);

/**
 * Appends the scalar `v` (null, boolean, number or string) as
 * JSON.stringify writes it; containers must be walked by the caller.
 */
void sioc_jbuf_json(sioc_jbuf *b, const eio_json *v);

/**
 * If `v` is a value JSON has no form for, appends the object that stands
 * for it and returns true: binary as `{"$binary":"<base64>"}`, undefined
 * as `{"$undefined":true}`. Returns false (appending nothing) otherwise.
 */
bool sioc_jbuf_marker(sioc_jbuf *b, const eio_json *v);

/**
 * Appends the whole tree `v`: members and elements in document order,
 * scalars as sioc_jbuf_json, binary and undefined as sioc_jbuf_marker.
 */
void sioc_jbuf_tree(sioc_jbuf *b, const eio_json *v);

/** Appends `bytes` as a JSON string holding their base64. */
void sioc_jbuf_base64(sioc_jbuf *b, const uint8_t *bytes, size_t n);

/** Appends an unsigned decimal number. */
void sioc_jbuf_uint(sioc_jbuf *b, uint64_t v);

/**
 * Writes the line and a newline to `f` and empties `b`. Returns 0,
 * EIO_ERR_NOMEM if an append failed (nothing is written), or -1 when
 * writing failed.
 */
int sioc_jbuf_emit(sioc_jbuf *b, FILE *f);

/**
 * Prints `{"error":"<name>","offset":N,"message":"...","line":L}` on `f`.
 * `msg` NULL uses eio_strerror(code). Returns as sioc_jbuf_emit.
 */
int sioc_jsonl_print_error(FILE *f, int code, size_t offset, const char *msg,
                           unsigned long line);

#endif /* SIOC_JSONL_H */
