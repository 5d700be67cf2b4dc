/* h1_answer: an HTTP/1.1 answer read as it comes; see h1_answer.h. */
#include "lib/h1_answer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEAD_BYTES_MAX (64 << 10) /* an answer's head */
#define HEAD_LINE_MAX  8192       /* one header line of it (as with libcurl) */
#define LINE_MAX_BYTES 4096       /* a chunk's size line, extensions included */
#define TRAILERS_MAX   (16 << 10) /* a chunked answer's trailer lines */
#define INTERIM_MAX    8          /* 1xx answers before the real one */

void h1_answer_init(struct h1_answer *a, bool head_only)
{
    *a = (struct h1_answer){.head_only = head_only};
    buf_init(&a->head, HEAD_BYTES_MAX);
    buf_init(&a->line, LINE_MAX_BYTES);
}

void h1_answer_reset(struct h1_answer *a)
{
    buf_reset(&a->head);
    buf_reset(&a->line);
}

bool h1_answer_ends_at_close(const struct h1_answer *a)
{
    return a->head_done && a->framing == H1_BODY_CLOSE;
}

static enum h1_fed fail(struct h1_answer *a, int error, const char *why)
{
    a->error = error;
    a->why = why;
    return H1_FAILED;
}

/* Whether line starts with a field name (a token, RFC 9110 5.6.2) and a colon right after. */
static bool named(const char *line)
{
    size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                            "!#$%&'*+-.^_`|~");
    return n > 0 && line[n] == ':';
}

bool h1_line_names(const char *line, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* The head's lines in place, NUL-terminated; status or -errno. */
static int parse_head(struct h1_answer *a, char **lines, size_t *n_lines, int *minor)
{
    char *p = a->head.p, *end = a->head.p + a->head.n;
    if (memchr(p, '\0', a->head.n)) return -EIO; /* it would cut a line short */
    char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) return -EIO;
    *eol = '\0';
    if (eol > p && eol[-1] == '\r') eol[-1] = '\0';
    if (strncmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
        p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
        (p[12] != ' ' && p[12] != '\0'))
        return -EIO;
    *minor = p[7] - '0';
    int status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    size_t count = 0;
    for (p = eol + 1; p < end;) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) break;
        *eol = '\0';
        if (eol > p && eol[-1] == '\r') eol[-1] = '\0';
        if (*p == '\0') break;            /* the blank line */
        if (!named(p)) return -EIO;       /* folded, no name, or not a name */
        if (strchr(p, '\r')) return -EIO; /* a bare CR: some read it as a line's end */
        if (strlen(p) > HEAD_LINE_MAX || count == UPSTREAM_HEAD_MAX) return -EMSGSIZE;
        lines[count++] = p;
        p = eol + 1;
    }
    *n_lines = count;
    return status;
}

static const char *value_of(const char *line)
{
    const char *v = strchr(line, ':') + 1;
    while (*v == ' ' || *v == '\t') v++;
    return v;
}

/* Whether a comma-separated header value has token (case-insensitive), or ends with it. */
static bool has_token(const char *value, const char *token, bool last_only)
{
    size_t n = strlen(token);
    bool found = false;
    for (const char *p = value; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t')) trimmed--;
        size_t word = strcspn(p, ";, \t");
        if (word > trimmed) word = trimmed;
        bool match = word == n && strncasecmp(p, token, n) == 0;
        found = last_only ? match : found || match;
        p += len;
    }
    return found;
}

/* How the body of an answer with these lines ends; -EIO for a Content-Length that is not a
 * number or disagrees with another. */
static int frame_answer(struct h1_answer *a, int status, int minor, char **lines, size_t *n)
{
    bool chunked = false, te = false, close = minor == 0, have_length = false;
    unsigned long long length = 0;
    for (size_t i = 0; i < *n; i++) {
        const char *v = value_of(lines[i]);
        if (h1_line_names(lines[i], "Transfer-Encoding")) {
            te = true;
            chunked = has_token(v, "chunked", true);
        } else if (h1_line_names(lines[i], "Content-Length")) {
            char *end;
            if (*v < '0' || *v > '9') return -EIO;
            unsigned long long len = strtoull(v, &end, 10);
            while (*end == ' ' || *end == '\t') end++;
            if (*end || (have_length && len != length)) return -EIO;
            length = len;
            have_length = true;
        } else if (h1_line_names(lines[i], "Connection")) {
            if (has_token(v, "close", false)) close = true;
            if (minor == 0 && has_token(v, "keep-alive", false)) close = false;
        }
    }
    /* Both: the length is wrong for the body that comes (RFC 9112 6.3). A proxy would pass on a
     * length its client must not trust: drop it, and the connection after this answer. */
    if (te && have_length) {
        size_t kept = 0;
        for (size_t i = 0; i < *n; i++)
            if (!h1_line_names(lines[i], "Content-Length")) lines[kept++] = lines[i];
        *n = kept;
        close = true;
    }
    a->keep_alive = !close;
    if (a->head_only || status == 204 || status == 304) {
        a->framing = H1_BODY_NONE;
    } else if (te) {
        a->framing = chunked ? H1_BODY_CHUNKED : H1_BODY_CLOSE;
        a->chunk = H1_CHUNK_SIZE;
    } else if (have_length) {
        a->framing = length ? H1_BODY_LENGTH : H1_BODY_NONE;
        a->left = length;
    } else {
        a->framing = H1_BODY_CLOSE;
    }
    if (a->framing == H1_BODY_CLOSE) a->keep_alive = false;
    return 0;
}

/* A whole head is in a->head: hand it over (or skip an interim one). */
static enum h1_fed head_complete(struct h1_answer *a)
{
    char *lines[UPSTREAM_HEAD_MAX];
    size_t n = 0;
    int minor = 1;
    int status = parse_head(a, lines, &n, &minor);
    if (status == -EMSGSIZE) {
        return fail(a, -EMSGSIZE, "answer too large (its head)");
    }
    if (status < 0 || status == 101) {
        return fail(a, -EIO, "not an HTTP/1.1 answer");
    }
    a->head.n = 0;
    if (status < 200 && ++a->interim > INTERIM_MAX) {
        return fail(a, -EIO, "too many interim (1xx) answers");
    }
    if (status < 200) return H1_MORE; /* 100 Continue and the like: the real one follows */
    if (frame_answer(a, status, minor, lines, &n) < 0) {
        return fail(a, -EIO, "the answer's Content-Length is not valid");
    }
    a->head_done = true;
    a->ops->head(a->ctx, status, (const char *const *)lines, n);
    return a->framing == H1_BODY_NONE ? H1_COMPLETE : H1_MORE;
}

/* Hands body bytes on; H1_PAUSED when the caller wants them again later. */
static enum h1_fed hand_on(struct h1_answer *a, const char *p, size_t len)
{
    if (!len) return H1_MORE;
    size_t took = a->ops->data(a->ctx, p, len);
    if (took == UPSTREAM_PAUSE) return H1_PAUSED;
    if (took != len) {
        return fail(a, -EIO, "the caller refused the answer");
    }
    return H1_MORE;
}

/* One step of the chunked decoder over p; *used: bytes consumed. */
static enum h1_fed chunk_step(struct h1_answer *a, const char *p, size_t len, size_t *used)
{
    *used = 0;
    if (a->chunk == H1_CHUNK_DATA) {
        size_t take = len < a->left ? len : (size_t)a->left;
        enum h1_fed f = hand_on(a, p, take);
        if (f != H1_MORE) return f;
        *used = take;
        a->left -= take;
        if (!a->left) a->chunk = H1_CHUNK_DATA_END;
        return H1_MORE;
    }
    /* The other states read a line. */
    const char *eol = memchr(p, '\n', len);
    size_t take = eol ? (size_t)(eol - p) + 1 : len;
    if (a->chunk == H1_CHUNK_TRAILERS) a->trailer_bytes += take;
    if (buf_add(&a->line, p, take) < 0 || a->trailer_bytes > TRAILERS_MAX) {
        return fail(a, -EIO, "a chunk's size line or the trailers are too long");
    }
    *used = take;
    if (!eol) return H1_MORE;
    char *line = a->line.p;
    size_t n = a->line.n - 1; /* without the LF */
    if (n && line[n - 1] == '\r') n--;
    line[n] = '\0';
    a->line.n = 0;
    if (a->chunk == H1_CHUNK_DATA_END) {
        if (n) {
            return fail(a, -EIO, "a chunk is longer than its size");
        }
        a->chunk = H1_CHUNK_SIZE;
        return H1_MORE;
    }
    if (a->chunk == H1_CHUNK_TRAILERS) return n ? H1_MORE : H1_COMPLETE;
    unsigned long long size = 0;
    size_t digits = 0;
    for (; digits < n; digits++) {
        char ch = line[digits];
        int v = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (v < 0) break;
        if (digits == 15) break; /* more than 2^60 bytes: refused below */
        size = size * 16 + (unsigned)v;
    }
    char after = line[digits];
    if (!digits || (after && after != ';' && after != ' ' && after != '\t')) {
        return fail(a, -EIO, "a chunk's size is not valid");
    }
    a->left = size;
    a->chunk = size ? H1_CHUNK_DATA : H1_CHUNK_TRAILERS;
    return H1_MORE;
}

/* A byte of the head seen so far and q: `back` bytes before q[i]; -1 before the start. */
static int joined(const struct h1_answer *a, const char *q, size_t i, size_t back)
{
    if (i >= back) return (unsigned char)q[i - back];
    size_t before = back - i;
    return a->head.n >= before ? (unsigned char)a->head.p[a->head.n - before] : -1;
}

/* Bytes of q up to and including the head's blank line, or 0 when it is not in q. */
static size_t head_end(const struct h1_answer *a, const char *q, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (q[i] != '\n') continue;
        int prev = joined(a, q, i, 1);
        if (prev == '\n' || (prev == '\r' && joined(a, q, i, 2) == '\n')) return i + 1;
    }
    return 0;
}

enum h1_fed h1_answer_feed(struct h1_answer *a, const char *p, size_t len, size_t *used,
                           const struct upstream_stream_ops *ops, void *ctx)
{
    a->ops = ops;
    a->ctx = ctx;
    size_t at = 0;
    enum h1_fed f = H1_MORE;
    while (at < len && f == H1_MORE) {
        const char *q = p + at;
        size_t left = len - at;
        if (!a->head_done) {
            size_t end = head_end(a, q, left);
            size_t take = end ? end : left;
            if (a->head.n + take > HEAD_BYTES_MAX || buf_add(&a->head, q, take) < 0) {
                return fail(a, -EMSGSIZE, "answer too large (its head)");
            }
            at += take;
            if (end) f = head_complete(a);
            continue;
        }
        size_t step = 0;
        switch (a->framing) {
        case H1_BODY_NONE:
            f = H1_COMPLETE;
            break;
        case H1_BODY_LENGTH:
            step = left < a->left ? left : (size_t)a->left;
            f = hand_on(a, q, step);
            if (f != H1_MORE) break;
            a->left -= step;
            if (!a->left) f = H1_COMPLETE;
            break;
        case H1_BODY_CLOSE:
            step = left;
            f = hand_on(a, q, step);
            break;
        case H1_BODY_CHUNKED:
            f = chunk_step(a, q, left, &step);
            break;
        }
        if (f == H1_MORE || f == H1_COMPLETE) at += step;
    }
    *used = at;
    return f;
}
