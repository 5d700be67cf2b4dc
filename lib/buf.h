/*
 * buf: a growable byte buffer with a hard maximum.
 *
 * Owns its memory; knows nothing of HTTP. An append past the maximum or a failed allocation
 * makes the buffer fail: the error sticks, later appends do nothing, and buf_error() reports it
 * once the caller is done building. Not thread-safe: one owner at a time.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *p;    /* bytes, always NUL-terminated when non-NULL */
    size_t n;   /* bytes in use, not counting the terminator */
    size_t cap; /* bytes allocated */
    size_t max; /* most bytes the buffer may ever hold */
    int err;    /* first error hit (-E2BIG or -ENOMEM), 0 while healthy */
};

void buf_init(struct buf *b, size_t max);
void buf_reset(struct buf *b);

int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s percent-encoded for a query string or form (only unreserved characters kept). */
int buf_add_url_escaped(struct buf *b, const char *s);
/* Appends s with <, >, &, " and ' as HTML entities. */
int buf_add_html_escaped(struct buf *b, const char *s);
/* Appends s as a JSON string literal, quotes included. */
int buf_add_json_string(struct buf *b, const char *s);

/* Appends the whole file at path (bounded by the buffer's maximum). 0 or -errno (-E2BIG when
 * too large). */
int buf_read_file(struct buf *b, const char *path);

/* Drops the first n bytes (all when n is larger), keeping the rest and any error. */
void buf_drop_front(struct buf *b, size_t n);

/* "" when empty; borrowed until the next append or reset. */
const char *buf_str(const struct buf *b);
int buf_error(const struct buf *b);
/* Hands the bytes to the caller (free() them) and leaves the buffer empty; NULL on error. */
char *buf_take(struct buf *b, size_t *ret_len);
