/* buf: bounded growable buffer; see buf.h. */
#include "lib/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    *b = (struct buf){.max = max};
}

void buf_reset(struct buf *b)
{
    free(b->p);
    buf_init(b, b->max);
}

static int buf_fail(struct buf *b, int err)
{
    if (!b->err) b->err = err;
    return b->err;
}

static int buf_reserve(struct buf *b, size_t more)
{
    if (b->err) return b->err;
    if (more > b->max || b->n > b->max - more) return buf_fail(b, -E2BIG);
    size_t need = b->n + more + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1) cap = b->max + 1;
    char *p = realloc(b->p, cap);
    if (!p) return buf_fail(b, -ENOMEM);
    b->p = p;
    b->cap = cap;
    return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
    int r = buf_reserve(b, n);
    if (r < 0) return r;
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int len = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (len < 0) return buf_fail(b, -EINVAL);
    int r = buf_reserve(b, (size_t)len);
    if (r < 0) return r;
    vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
    b->n += (size_t)len;
    return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return r;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = *s >= 0xf0 && *s <= 0xf4 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc2 && *s < 0xe0 ? 2 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    return n;
}

int buf_add_url_escaped(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            buf_add(b, s, 1);
        else
            buf_addf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
    return b->err;
}

int buf_add_html_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            buf_adds(b, "&lt;");
            break;
        case '>':
            buf_adds(b, "&gt;");
            break;
        case '&':
            buf_adds(b, "&amp;");
            break;
        case '"':
            buf_adds(b, "&quot;");
            break;
        case '\'':
            buf_adds(b, "&#39;");
            break;
        default:
            buf_add(b, s, 1);
        }
    }
    return b->err;
}

int buf_add_json_string(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_add(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c >= 0x80) {
            /* Keep the line valid JSON whatever bytes a client sent. */
            size_t n = utf8_len(c);
            if (n) {
                buf_add(b, c, n);
                c += n - 1;
            } else {
                buf_adds(b, "\\ufffd");
            }
            continue;
        }
        const char *esc = NULL;
        switch (*c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        }
        if (esc) {
            buf_adds(b, esc);
        } else if (*c < 0x20 || *c == 0x7f) {
            char u[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15]};
            buf_add(b, u, sizeof(u));
        } else {
            buf_add(b, c, 1);
        }
    }
    return buf_add(b, "\"", 1);
}

int buf_read_file(struct buf *b, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) return -errno;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_add(b, chunk, n) < 0) break;
    int read_err = ferror(f) ? -EIO : 0;
    fclose(f);
    return buf_error(b) ? buf_error(b) : read_err;
}

const char *buf_str(const struct buf *b)
{
    return b->p ? b->p : "";
}

int buf_error(const struct buf *b)
{
    return b->err;
}

char *buf_take(struct buf *b, size_t *ret_len)
{
    if (b->err) return NULL;
    if (!b->p && buf_reserve(b, 0) < 0) return NULL;
    char *p = b->p;
    if (ret_len) *ret_len = b->n;
    buf_init(b, b->max);
    return p;
}

void buf_drop_front(struct buf *b, size_t n)
{
    if (!b->p) return;
    if (n > b->n) n = b->n;
    memmove(b->p, b->p + n, b->n - n);
    b->n -= n;
    b->p[b->n] = '\0';
}
