/*
 * upstream, streamed calls on a driven engine, byte by byte: what a caller of upstream_stream
 * sees (status, head lines, body bytes, how the call ends) and what the server receives, for
 * every way an HTTP/1.1 answer may be framed, and for the faults of framing and timing.
 *
 * Why a scripted peer: these are faults a real server does not produce on demand (an answer cut
 * short, a head of a hundred lines, a server that answers before the body is in, or a byte at a
 * time, or never). The peer here is a thread that accepts on loopback and writes exactly the bytes
 * a test scripts, and records what it received. Real servers (Jupyter, MLflow, nginx) go through
 * the same code in the stack suite.
 *
 * The tests describe behaviour, not how the engine gets it: any HTTP/1.1 client behind
 * lib/upstream.h must pass them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/upstream.h"
#include "unit.h"

#define MIB       (1u << 20)
#define BYTES_MAX (64u * MIB) /* of any buffer here */

/* The bytes of a body at offset i: a shift by any amount shows. */
static char pattern(size_t i)
{
    return (char)((i * 2654435761u) >> 13);
}

static bool is_pattern(const char *p, size_t n, size_t from)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(from + i)) return false;
    return true;
}

/* ---------------------------------------------------------------- the scripted peer */

enum op {
    OP_END,          /* the script is over: keep the connection, read until the client closes */
    OP_SEND,         /* write bytes (n of them, or up to their NUL when n is 0) */
    OP_SEND_PATTERN, /* write n bytes of pattern() */
    OP_READ_HEAD,    /* read a request's head only */
    OP_READ_REQUEST, /* read a request's head and its body (Content-Length or chunked) */
    OP_WAIT,         /* sleep n ms */
    OP_CLOSE,        /* close at once */
    OP_LINGER,  /* as a server closes with a request body unread: stop writing, read to the end */
    OP_TRICKLE, /* write a byte of pattern() every 100 ms until the client goes */
};

struct step {
    enum op op;
    const char *bytes; /* SEND */
    size_t n;          /* SEND: bytes (0: up to the NUL); SEND_PATTERN: bytes; WAIT: ms */
};

/* Steps, as a script writes them (one line each). */
/* clang-format off */
#define SEND(s_)          {.op = OP_SEND, .bytes = (s_)}
#define SEND_PATTERN(n_)  {.op = OP_SEND_PATTERN, .n = (n_)}
#define READ_HEAD         {.op = OP_READ_HEAD}
#define READ_REQUEST      {.op = OP_READ_REQUEST}
#define WAIT(ms_)         {.op = OP_WAIT, .n = (ms_)}
#define CLOSE             {.op = OP_CLOSE}
#define LINGER            {.op = OP_LINGER}
#define TRICKLE           {.op = OP_TRICKLE}
#define END               {.op = OP_END}
/* clang-format on */

#define CONNS_MAX 8
#define REQS_MAX  16

/* A request as the peer read it. */
struct req {
    int conn;        /* which connection (in the order accepted) */
    char *head;      /* request line and header lines, up to the blank line */
    bool chunked;    /* its body came chunked */
    struct buf body; /* the body, decoded */
};

struct conn {
    struct peer *peer;
    int index;
    int fd; /* -1 once closed */
    pthread_t thread;
    const struct step *script;
    struct buf in;   /* received, not yet taken by a step */
    size_t trailing; /* bytes received after the script's reads (nothing, when all was read) */
};

struct peer {
    int listen_fd;
    int port;
    pthread_t thread;
    const struct step *const *scripts; /* connection i plays scripts[i]; past them: CLOSE */
    size_t n_scripts;
    pthread_mutex_t lock; /* guards what follows: the test reads it after peer_stop */
    bool stopping;
    int accepted;
    struct conn conns[CONNS_MAX];
    struct req reqs[REQS_MAX];
    int n_reqs;
};

static bool stopping(struct peer *p)
{
    pthread_mutex_lock(&p->lock);
    bool s = p->stopping;
    pthread_mutex_unlock(&p->lock);
    return s;
}

static void nap(struct peer *p, size_t ms)
{
    for (size_t t = 0; t < ms && !stopping(p); t += 10) usleep(10000);
}

/* Reads what comes into c->in; false at the end (the client closed, or the peer stops). */
static bool fill(struct conn *c)
{
    char tmp[65536];
    ssize_t n = read(c->fd, tmp, sizeof(tmp));
    if (n <= 0) return false;
    buf_add(&c->in, tmp, (size_t)n);
    return true;
}

static bool send_all(struct conn *c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The value of the last header line of head named name (case aside), copied to value; how many
 * lines have that name. */
static int header(const char *head, const char *name, char *value, size_t max)
{
    int count = 0;
    size_t len = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l && l[2] != '\r' && l[2];
         l = strstr(l + 2, "\r\n")) {
        if (strncasecmp(l + 2, name, len) != 0 || l[2 + len] != ':') continue;
        count++;
        const char *v = l + 3 + len;
        while (*v == ' ') v++;
        if (value) snprintf(value, max, "%.*s", (int)strcspn(v, "\r"), v);
    }
    return count;
}

/* Decodes the chunked body at p into out: the bytes it took, 0 while it is incomplete, or
 * SIZE_MAX when it is not chunked as it should be. */
static size_t dechunk(const char *p, size_t n, struct buf *out)
{
    size_t i = 0;
    buf_reset(out);
    for (;;) {
        const char *eol = memmem(p + i, n - i, "\r\n", 2);
        if (!eol) return 0;
        char *digits_end;
        size_t size = strtoul(p + i, &digits_end, 16);
        if (digits_end == p + i) return SIZE_MAX;
        i = (size_t)(eol - p) + 2;
        if (size == 0) break;
        if (n - i < size + 2) return 0;
        if (memcmp(p + i + size, "\r\n", 2) != 0) return SIZE_MAX;
        buf_add(out, p + i, size);
        i += size + 2;
    }
    for (;;) { /* trailer lines, then the blank line */
        const char *eol = memmem(p + i, n - i, "\r\n", 2);
        if (!eol) return 0;
        size_t len = (size_t)(eol - (p + i));
        i += len + 2;
        if (len == 0) return i;
    }
}

static bool read_request(struct conn *c, bool with_body)
{
    const char *end;
    while (!(end = memmem(c->in.p ? c->in.p : "", c->in.n, "\r\n\r\n", 4)))
        if (!fill(c)) return false;
    struct peer *p = c->peer;
    pthread_mutex_lock(&p->lock);
    struct req *r = p->n_reqs < REQS_MAX ? &p->reqs[p->n_reqs++] : NULL;
    pthread_mutex_unlock(&p->lock);
    if (!r) return false;
    r->conn = c->index;
    r->head = strndup(c->in.p, (size_t)(end + 2 - c->in.p));
    buf_init(&r->body, BYTES_MAX);
    buf_drop_front(&c->in, (size_t)(end + 4 - c->in.p));
    if (!with_body) return true;
    char value[64];
    r->chunked = header(r->head, "Transfer-Encoding", value, sizeof(value)) > 0 &&
                 strcasecmp(value, "chunked") == 0;
    if (r->chunked) {
        size_t took;
        while (!(took = dechunk(c->in.p ? c->in.p : "", c->in.n, &r->body)))
            if (!fill(c)) return false;
        if (took == SIZE_MAX) return false; /* the test sees a body cut short */
        buf_drop_front(&c->in, took);
    } else if (header(r->head, "Content-Length", value, sizeof(value)) > 0) {
        size_t len = strtoul(value, NULL, 10);
        while (c->in.n < len)
            if (!fill(c)) return false;
        buf_add(&r->body, c->in.p, len);
        buf_drop_front(&c->in, len);
    }
    return true;
}

/* Reads to the end, counting what came. */
static void drain(struct conn *c)
{
    while (fill(c)) {
    }
    c->trailing += c->in.n;
    buf_reset(&c->in);
}

static void conn_close(struct conn *c)
{
    pthread_mutex_lock(&c->peer->lock);
    close(c->fd);
    c->fd = -1;
    pthread_mutex_unlock(&c->peer->lock);
}

static void *play(void *arg)
{
    struct conn *c = arg;
    for (const struct step *s = c->script; s && s->op != OP_END; s++) {
        bool ok = true;
        switch (s->op) {
        case OP_SEND:
            ok = send_all(c, s->bytes, s->n ? s->n : strlen(s->bytes));
            break;
        case OP_SEND_PATTERN: {
            char piece[65536];
            for (size_t at = 0; ok && at < s->n; at += sizeof(piece)) {
                size_t n = s->n - at < sizeof(piece) ? s->n - at : sizeof(piece);
                for (size_t i = 0; i < n; i++) piece[i] = pattern(at + i);
                ok = send_all(c, piece, n);
            }
            break;
        }
        case OP_READ_HEAD:
        case OP_READ_REQUEST:
            ok = read_request(c, s->op == OP_READ_REQUEST);
            break;
        case OP_WAIT:
            nap(c->peer, s->n);
            break;
        case OP_CLOSE:
            conn_close(c);
            return NULL;
        case OP_LINGER:
            shutdown(c->fd, SHUT_WR);
            drain(c);
            conn_close(c);
            return NULL;
        case OP_TRICKLE:
            for (size_t i = 0; ok && !stopping(c->peer); i++) {
                char b = pattern(i);
                ok = send_all(c, &b, 1);
                nap(c->peer, 100);
            }
            break;
        case OP_END:
            break;
        }
        if (!ok) break;
    }
    drain(c);
    conn_close(c);
    return NULL;
}

/* A connection no script was written for: a call that should not have made it fails fast. */
static const struct step unscripted[] = {CLOSE};

static void *accept_loop(void *arg)
{
    struct peer *p = arg;
    for (;;) {
        int fd = accept(p->listen_fd, NULL, NULL);
        if (fd < 0) return NULL; /* the listening socket was shut down */
        pthread_mutex_lock(&p->lock);
        if (p->stopping || p->accepted == CONNS_MAX) {
            pthread_mutex_unlock(&p->lock);
            close(fd);
            continue;
        }
        struct conn *c = &p->conns[p->accepted];
        *c = (struct conn){.peer = p, .index = p->accepted, .fd = fd};
        c->script = (size_t)p->accepted < p->n_scripts ? p->scripts[p->accepted] : unscripted;
        buf_init(&c->in, BYTES_MAX);
        pthread_create(&c->thread, NULL, play, c);
        p->accepted++;
        pthread_mutex_unlock(&p->lock);
    }
}

/* scripts: NULL-terminated, one per connection in the order they come. */
static void peer_start(struct peer *p, const struct step *const *scripts)
{
    *p = (struct peer){.scripts = scripts};
    while (scripts[p->n_scripts]) p->n_scripts++;
    pthread_mutex_init(&p->lock, NULL);
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(p->listen_fd, CONNS_MAX), 0);
    socklen_t len = sizeof(a);
    getsockname(p->listen_fd, (struct sockaddr *)&a, &len);
    p->port = ntohs(a.sin_port);
    pthread_create(&p->thread, NULL, accept_loop, p);
}

/* Ends every connection and waits for the threads: then the test may read the records. */
static void peer_stop(struct peer *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    shutdown(p->listen_fd, SHUT_RDWR);
    for (int i = 0; i < p->accepted; i++)
        if (p->conns[i].fd >= 0) shutdown(p->conns[i].fd, SHUT_RDWR);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    for (int i = 0; i < p->accepted; i++) pthread_join(p->conns[i].thread, NULL);
    close(p->listen_fd);
}

/* Connections accepted so far. */
static int peer_accepted(struct peer *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->accepted;
    pthread_mutex_unlock(&p->lock);
    return n;
}

static void peer_free(struct peer *p)
{
    for (int i = 0; i < p->accepted; i++) buf_reset(&p->conns[i].in);
    for (int i = 0; i < p->n_reqs; i++) {
        free(p->reqs[i].head);
        buf_reset(&p->reqs[i].body);
    }
    pthread_mutex_destroy(&p->lock);
}

/* ---------------------------------------------------------------- what the caller sees */

struct seen {
    struct upstream *u;
    uint64_t id;
    int64_t t0;                     /* when the call was made */
    int heads;                      /* times head was called */
    bool head_seen;                 /* heads > 0 */
    long status;                    /* from the first head */
    char *lines[UPSTREAM_HEAD_MAX]; /* its lines, copied */
    size_t n_lines;
    struct buf body;  /* the data taken */
    bool some_data;   /* data was offered */
    int offers;       /* times data was called */
    bool done;        /* done was called */
    int error;        /* its error */
    int64_t done_ms;  /* when, after the call was made */
    int out_of_order; /* callbacks that should not have come: data before head,
                         while paused or after done; a second done */
    bool unpause;     /* the loop is to call upstream_unpause */
    /* data: UPSTREAM_PAUSE on the first offer and every pause_every-th after (0: never) */
    int pause_every;
    bool paused;
    char *held; /* the offer paused: it must come again */
    size_t held_len;
    int repeats;        /* offers after a pause that began with the paused bytes */
    int repeats_differ; /* ... that did not */
    /* read: the request body, supply bytes of pattern(), at most read_max a time */
    size_t supply;
    size_t supplied;
    size_t read_max;
    int reads;
    int pause_read_at; /* that read answers UPSTREAM_PAUSE and the loop unpauses (0: none) */
    size_t stall_at;   /* past so many bytes read answers UPSTREAM_PAUSE until the test unpauses
                          (0: never) */
};

static void on_head(void *ctx, long status, const char *const *lines, size_t n)
{
    struct seen *s = ctx;
    if (s->done) s->out_of_order++;
    s->head_seen = true;
    if (s->heads++) return;
    s->status = status;
    for (size_t i = 0; i < n && i < UPSTREAM_HEAD_MAX; i++)
        s->lines[s->n_lines++] = strdup(lines[i]);
}

static size_t on_data(void *ctx, const char *p, size_t len)
{
    struct seen *s = ctx;
    if (!s->heads || s->done || s->paused) s->out_of_order++;
    s->some_data = true;
    s->offers++;
    if (s->held) {
        size_t n = len < s->held_len ? len : s->held_len;
        if (memcmp(p, s->held, n) == 0)
            s->repeats++;
        else
            s->repeats_differ++;
        free(s->held);
        s->held = NULL;
    }
    if (s->pause_every && (s->offers == 1 || s->offers % s->pause_every == 0)) {
        s->held = malloc(len);
        memcpy(s->held, p, len);
        s->held_len = len;
        s->paused = s->unpause = true;
        return UPSTREAM_PAUSE;
    }
    buf_add(&s->body, p, len);
    return len;
}

static void on_done(void *ctx, int error, const char *detail)
{
    struct seen *s = ctx;
    if (s->done) s->out_of_order++;
    s->done = true;
    s->error = error;
    s->done_ms = clock_ms() - s->t0;
}

static size_t on_read(void *ctx, char *out, size_t max)
{
    struct seen *s = ctx;
    if (s->done) s->out_of_order++;
    if (++s->reads == s->pause_read_at) {
        s->unpause = true;
        return UPSTREAM_PAUSE;
    }
    if (s->stall_at && s->supplied >= s->stall_at) return UPSTREAM_PAUSE;
    size_t n = s->supply - s->supplied;
    if (n > max) n = max;
    if (s->read_max && n > s->read_max) n = s->read_max;
    for (size_t i = 0; i < n; i++) out[i] = pattern(s->supplied + i);
    s->supplied += n;
    return n;
}

static const struct upstream_stream_ops ops = {on_head, on_data, on_done, on_read};

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n_lines; i++) free(s->lines[i]);
    buf_reset(&s->body);
    free(s->held);
}

/* Drives the engine as an HTTP worker's loop does (drives it; unpauses what the callbacks asked
 * for; waits on its descriptor, until its due time and 50 ms at most, unless what the loop did
 * itself waits for a round) until *until or ms pass. */
static bool drive_until(struct seen *s, const bool *until, int ms)
{
    int64_t end = clock_ms() + ms;
    while (clock_ms() < end) {
        upstream_drive(s->u);
        if (*until) return true;
        if (s->unpause) {
            s->unpause = s->paused = false;
            upstream_unpause(s->u, s->id);
        }
        long due = upstream_pending(s->u) ? 0 : upstream_due_ms(s->u);
        struct pollfd p = {.fd = upstream_fd(s->u), .events = POLLIN};
        poll(&p, 1, due < 0 || due > 50 ? 50 : (int)due);
    }
    return *until;
}

/* A peer, a driven engine made on this thread, and a call to the peer. */
struct bench {
    struct peer p;
    struct upstream *u;
    char url[256];
    struct upstream_call call;
};

static void bench_start(struct bench *b, const struct step *const *scripts)
{
    peer_start(&b->p, scripts);
    ck_assert_int_eq(upstream_new_driven(NULL, 0, &b->u), 0);
    snprintf(b->url, sizeof(b->url), "http://127.0.0.1:%d/stream", b->p.port);
    b->call = (struct upstream_call){.method = "GET", .url = b->url, .timeout_ms = 10000};
}

/* Makes the call (b->call) as s sees it. */
static void start(struct bench *b, struct seen *s)
{
    s->u = b->u;
    buf_init(&s->body, BYTES_MAX);
    s->t0 = clock_ms();
    ck_assert_int_eq(upstream_stream(b->u, &b->call, &ops, s, &s->id), 0);
}

/* ... and drives it to its end (3 s at most). */
static void call(struct bench *b, struct seen *s)
{
    start(b, s);
    drive_until(s, &s->done, 3000);
}

/* Frees the engine, then stops the peer: its records are the test's to read. */
static void bench_stop(struct bench *b)
{
    upstream_free(b->u);
    peer_stop(&b->p);
}

static bool has_line(const struct seen *s, const char *line)
{
    for (size_t i = 0; i < s->n_lines; i++)
        if (strcmp(s->lines[i], line) == 0) return true;
    return false;
}

/* The request line of a request the peer read. */
static void request_line(const struct req *r, char *out, size_t max)
{
    snprintf(out, max, "%.*s", (int)strcspn(r->head, "\r"), r->head);
}

/* ---------------------------------------------------------------- framing of the answer */

START_TEST(an_answer_with_content_length_arrives_whole_after_one_head)
{
    static const struct step s0[] = {
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n"
             "X-Multi: a, b\r\n\r\nhello world"),
        END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.heads, 1);
    ck_assert_int_eq(s.status, 200);
    ck_assert_uint_eq(s.n_lines, 3);
    ck_assert_str_eq(s.lines[0], "Content-Length: 11");
    ck_assert_str_eq(s.lines[1], "Content-Type: text/plain");
    ck_assert_str_eq(s.lines[2], "X-Multi: a, b");
    ck_assert_uint_eq(s.body.n, 11);
    ck_assert_mem_eq(s.body.p, "hello world", 11);
    ck_assert_int_eq(s.out_of_order, 0);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_chunked_answer_is_handed_over_decoded_without_extensions_or_trailers)
{
    static const struct step s0[] = {
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nX-Before: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5;x=y\r\nhello\r\n"
             "A\r\n, chunked \r\n"
             "1a\r\nworld, and twenty-six byte\r\n"
             "1\r\ns\r\n"
             "0\r\nX-Trailer: t\r\n\r\n"),
        END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.heads, 1);
    ck_assert_int_eq(s.status, 200);
    ck_assert(has_line(&s, "X-Before: 1"));
    ck_assert(!has_line(&s, "X-Trailer: t")); /* the head was handed over before the trailer */
    const char *want = "hello, chunked world, and twenty-six bytes";
    ck_assert_uint_eq(s.body.n, strlen(want));
    ck_assert_mem_eq(s.body.p, want, strlen(want));
    ck_assert_int_eq(s.out_of_order, 0);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(an_answer_that_ends_when_the_server_closes_arrives_whole)
{
    static const struct step s0[] = {
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"),
        SEND_PATTERN(200000), CLOSE, END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.status, 200);
    ck_assert_uint_eq(s.body.n, 200000);
    ck_assert(is_pattern(s.body.p, s.body.n, 0));
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(an_interim_100_continue_is_not_the_answer_s_head)
{
    static const struct step s0[] = {
        READ_REQUEST, SEND("HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"), WAIT(50),
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok"), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.heads, 1);
    ck_assert_int_eq(s.status, 200);
    ck_assert_uint_eq(s.n_lines, 2);
    ck_assert_str_eq(s.lines[0], "Content-Length: 2");
    ck_assert_str_eq(s.lines[1], "X-Final: yes");
    ck_assert_uint_eq(s.body.n, 2);
    ck_assert_mem_eq(s.body.p, "ok", 2);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_head_request_ends_at_the_answer_s_head_and_keeps_the_connection)
{
    static const struct step s0[] = {
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n"),
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    b.call.method = "HEAD";
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_lt(s.done_ms, 1000); /* not waiting for the 1000 bytes that never come */
    ck_assert_int_eq(s.heads, 1);
    ck_assert_int_eq(s.status, 200);
    ck_assert(has_line(&s, "Content-Length: 1000")); /* the size of what a GET would get */
    ck_assert_int_eq(s.offers, 0);
    /* the connection is in step: the next call's answer is read from it as it is */
    b.call.method = "GET";
    struct seen s2 = {0};
    call(&b, &s2);
    ck_assert_msg(s2.done && s2.error == 0, "second call: done %d, error %d, connections %d",
                  s2.done, s2.error, peer_accepted(&b.p));
    ck_assert_uint_eq(s2.body.n, 2);
    ck_assert_mem_eq(s2.body.p, "ok", 2);
    bench_stop(&b);
    ck_assert_int_eq(b.p.accepted, 1);
    ck_assert_int_eq(b.p.n_reqs, 2);
    ck_assert(strncmp(b.p.reqs[0].head, "HEAD /stream ", 13) == 0);
    ck_assert(strncmp(b.p.reqs[1].head, "GET /stream ", 12) == 0);
    seen_free(&s);
    seen_free(&s2);
    peer_free(&b.p);
}
END_TEST

START_TEST(answers_204_and_304_end_at_their_head_while_the_server_keeps_the_connection)
{
    static const struct step s0[] = {
        READ_REQUEST, SEND("HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"), READ_REQUEST,
        /* a 304 may name the length of what it stands for; no body follows */
        SEND("HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\nETag: \"x\"\r\n\r\n"), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {0}, s2 = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_lt(s.done_ms, 1000);
    ck_assert_int_eq(s.status, 204);
    ck_assert_int_eq(s.offers, 0);
    call(&b, &s2);
    ck_assert_msg(s2.done && s2.error == 0, "second call: done %d, error %d, connections %d",
                  s2.done, s2.error, peer_accepted(&b.p));
    ck_assert_int_lt(s2.done_ms, 1000);
    ck_assert_int_eq(s2.status, 304);
    ck_assert(has_line(&s2, "ETag: \"x\""));
    ck_assert_int_eq(s2.offers, 0);
    bench_stop(&b);
    ck_assert_int_eq(b.p.accepted, 1);
    seen_free(&s);
    seen_free(&s2);
    peer_free(&b.p);
}
END_TEST

/* ---------------------------------------------------------------- connections */

START_TEST(calls_one_after_another_reach_the_server_over_one_connection)
{
    /* every framing in turn: the connection stays in step after each */
    static const struct step s0[] = {
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"),
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n"),
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfive"),
        END};
    static const char *const bodies[] = {"one", "two", "", "", "five"};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    for (int i = 0; i < 5; i++) {
        snprintf(b.url, sizeof(b.url), "http://127.0.0.1:%d/%d", b.p.port, i + 1);
        struct seen s = {0};
        call(&b, &s);
        ck_assert_msg(s.done && s.error == 0, "call %d: done %d, error %d, connections %d", i + 1,
                      s.done, s.error, peer_accepted(&b.p));
        ck_assert_int_eq(s.status, 200);
        ck_assert_uint_eq(s.body.n, strlen(bodies[i]));
        ck_assert_mem_eq(s.body.p ? s.body.p : "", bodies[i], s.body.n);
        seen_free(&s);
    }
    bench_stop(&b);
    ck_assert_int_eq(b.p.accepted, 1);
    ck_assert_int_eq(b.p.n_reqs, 5);
    for (int i = 0; i < 5; i++) {
        char line[64], want[64];
        request_line(&b.p.reqs[i], line, sizeof(line));
        snprintf(want, sizeof(want), "GET /%d HTTP/1.1", i + 1);
        ck_assert_str_eq(line, want);
    }
    peer_free(&b.p);
}
END_TEST

START_TEST(a_kept_connection_the_server_closed_is_not_the_caller_s_problem)
{
    static const struct step s0[] = {
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"), CLOSE, END};
    static const struct step s1[] = {
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, s1, NULL});
    struct seen s = {0}, s2 = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_mem_eq(s.body.p, "first", 5);
    usleep(100000); /* the server's close is in before the next call */
    call(&b, &s2);
    ck_assert(s2.done);
    ck_assert_int_eq(s2.error, 0);
    ck_assert_int_eq(s2.status, 200);
    ck_assert_uint_eq(s2.body.n, 6);
    ck_assert_mem_eq(s2.body.p, "second", 6);
    bench_stop(&b);
    ck_assert_int_eq(b.p.accepted, 2);
    ck_assert_int_eq(b.p.n_reqs, 2);
    ck_assert_int_eq(b.p.reqs[1].conn, 1);
    seen_free(&s);
    seen_free(&s2);
    peer_free(&b.p);
}
END_TEST

/* ---------------------------------------------------------------- flow control */

START_TEST(a_paused_piece_is_offered_again_and_a_large_body_arrives_whole_and_in_order)
{
    static const struct step s0[] = {READ_REQUEST,
                                     SEND("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"),
                                     SEND_PATTERN(MIB), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {.pause_every = 5};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_uint_eq(s.body.n, MIB);
    ck_assert(is_pattern(s.body.p, s.body.n, 0));
    ck_assert_int_ge(s.repeats, 2); /* the first offer and at least one later one */
    ck_assert_int_eq(s.repeats_differ, 0);
    ck_assert_int_eq(s.out_of_order, 0); /* nothing was offered while paused */
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

static const struct step read_and_answer[] = {
    READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), END};

START_TEST(a_streamed_body_of_known_size_goes_with_its_content_length)
{
    struct bench b;
    bench_start(&b, (const struct step *const[]){read_and_answer, NULL});
    b.call.method = "PUT";
    b.call.body_streams = true;
    b.call.streamed_body_size = 300000;
    struct seen s = {.supply = 300000, .read_max = 7000, .pause_read_at = 3};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.status, 200);
    ck_assert_uint_eq(s.supplied, 300000);
    bench_stop(&b);
    ck_assert_int_eq(b.p.n_reqs, 1);
    const struct req *r = &b.p.reqs[0];
    char value[64];
    ck_assert(strncmp(r->head, "PUT /stream ", 12) == 0);
    ck_assert_int_eq(header(r->head, "Content-Length", value, sizeof(value)), 1);
    ck_assert_str_eq(value, "300000");
    ck_assert_int_eq(header(r->head, "Transfer-Encoding", NULL, 0), 0);
    ck_assert_uint_eq(r->body.n, 300000);
    ck_assert(is_pattern(r->body.p, r->body.n, 0));
    ck_assert_uint_eq(b.p.conns[0].trailing, 0); /* exactly the body, nothing after */
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_streamed_body_of_unknown_size_goes_chunked)
{
    struct bench b;
    bench_start(&b, (const struct step *const[]){read_and_answer, NULL});
    b.call.method = "POST";
    b.call.body_streams = true;
    b.call.streamed_body_size = -1;
    struct seen s = {.supply = 300000, .read_max = 7000, .pause_read_at = 3};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.status, 200);
    ck_assert_uint_eq(s.supplied, 300000);
    bench_stop(&b);
    ck_assert_int_eq(b.p.n_reqs, 1);
    const struct req *r = &b.p.reqs[0];
    ck_assert(strncmp(r->head, "POST /stream ", 13) == 0);
    ck_assert(r->chunked);
    ck_assert_int_eq(header(r->head, "Content-Length", NULL, 0), 0);
    ck_assert_uint_eq(r->body.n, 300000);
    ck_assert(is_pattern(r->body.p, r->body.n, 0));
    ck_assert_uint_eq(b.p.conns[0].trailing, 0);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_fixed_body_reaches_the_server_whole_with_its_content_length)
{
    struct bench b;
    bench_start(&b, (const struct step *const[]){read_and_answer, NULL});
    static char body[100000]; /* NULs among its bytes: its length is body_len, not strlen */
    for (size_t i = 0; i < sizeof(body); i++) body[i] = pattern(i);
    b.call.method = "POST";
    b.call.body = body;
    b.call.body_len = sizeof(body);
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    bench_stop(&b);
    ck_assert_int_eq(b.p.n_reqs, 1);
    const struct req *r = &b.p.reqs[0];
    char value[64];
    ck_assert(strncmp(r->head, "POST /stream ", 13) == 0);
    ck_assert_int_eq(header(r->head, "Content-Length", value, sizeof(value)), 1);
    ck_assert_str_eq(value, "100000");
    ck_assert_int_eq(header(r->head, "Transfer-Encoding", NULL, 0), 0);
    ck_assert_uint_eq(r->body.n, sizeof(body));
    ck_assert_mem_eq(r->body.p, body, sizeof(body));
    ck_assert_uint_eq(b.p.conns[0].trailing, 0);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(the_request_head_carries_the_url_and_the_caller_s_lines_as_given)
{
    static const struct step s0[] = {
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), END};
    struct bench b;
    /* the second call may come on the first's connection or on one of its own */
    bench_start(&b, (const struct step *const[]){s0, read_and_answer, NULL});
    snprintf(b.url, sizeof(b.url), "http://127.0.0.1:%d/a/b%%20c?x=1&y=a%%2Fb", b.p.port);
    const char *const lines[] = {"X-One: 1", "X-Dup: a", "Accept: text/plain", "X-Dup: b", NULL};
    b.call.headers = lines;
    struct seen s = {0}, s2 = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    const char *const with_host[] = {"X-One: 1", "Host: x", NULL};
    b.call.headers = with_host;
    call(&b, &s2);
    ck_assert(s2.done);
    ck_assert_int_eq(s2.error, 0);
    bench_stop(&b);
    ck_assert_int_eq(b.p.n_reqs, 2);
    const char *head = b.p.reqs[0].head;
    char line[128], value[64], authority[64];
    request_line(&b.p.reqs[0], line, sizeof(line));
    ck_assert_str_eq(line, "GET /a/b%20c?x=1&y=a%2Fb HTTP/1.1");
    snprintf(authority, sizeof(authority), "127.0.0.1:%d", b.p.port);
    ck_assert_int_eq(header(head, "Host", value, sizeof(value)), 1);
    ck_assert_str_eq(value, authority);
    ck_assert_ptr_nonnull(strstr(head, "\r\nX-One: 1\r\n"));
    /* lines of one name keep their order: it is their meaning */
    const char *a = strstr(head, "\r\nX-Dup: a\r\n"), *bb = strstr(head, "\r\nX-Dup: b\r\n");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(bb);
    ck_assert(a < bb);
    ck_assert_int_eq(header(head, "X-Dup", NULL, 0), 2);
    /* the caller's line stands instead of any the engine would add */
    ck_assert_int_eq(header(head, "Accept", value, sizeof(value)), 1);
    ck_assert_str_eq(value, "text/plain");
    /* the caller's Host line stands instead of the URL's */
    ck_assert_int_eq(header(b.p.reqs[1].head, "Host", value, sizeof(value)), 1);
    ck_assert_str_eq(value, "x");
    seen_free(&s);
    seen_free(&s2);
    peer_free(&b.p);
}
END_TEST

/* ---------------------------------------------------------------- failures */

/* A port on loopback that nothing listens on. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

START_TEST(a_refused_connection_ends_the_call_as_refused_without_a_head)
{
    struct bench b;
    bench_start(&b, (const struct step *const[]){NULL});
    snprintf(b.url, sizeof(b.url), "http://127.0.0.1:%d/", closed_port());
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, -ECONNREFUSED);
    ck_assert_int_eq(s.heads, 0);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_server_that_never_answers_times_out_after_the_idle_timeout)
{
    static const struct step s0[] = {READ_REQUEST, END}; /* and then nothing */
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    b.call.timeout_ms = 0; /* streams may last: only the stall ends it */
    b.call.idle_timeout_s = 1;
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, -ETIMEDOUT);
    ck_assert_int_ge(s.done_ms, 900);
    ck_assert_int_lt(s.done_ms, 3000);
    ck_assert_int_eq(s.heads, 0);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

/* The call to a peer that reads the request and sends head, then ends. */
static void answer_with(const char *head, struct seen *s)
{
    const struct step s0[] = {READ_REQUEST, SEND(head), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    call(&b, s);
    bench_stop(&b);
    peer_free(&b.p);
}

START_TEST(a_head_of_more_than_a_hundred_lines_or_with_a_line_over_8_kib_fails_the_call)
{
    struct buf h;
    buf_init(&h, BYTES_MAX);
    /* a hundred lines, Content-Length among them, pass */
    buf_adds(&h, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
    for (int i = 1; i < UPSTREAM_HEAD_MAX; i++) buf_addf(&h, "X-Line-%d: %d\r\n", i, i);
    buf_adds(&h, "\r\nok");
    struct seen s = {0};
    answer_with(buf_str(&h), &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.heads, 1);
    ck_assert_uint_eq(s.n_lines, UPSTREAM_HEAD_MAX);
    seen_free(&s);
    /* one more does not: the caller never sees a head cut short */
    buf_reset(&h);
    buf_adds(&h, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
    for (int i = 1; i <= UPSTREAM_HEAD_MAX; i++) buf_addf(&h, "X-Line-%d: %d\r\n", i, i);
    buf_adds(&h, "\r\nok");
    s = (struct seen){0};
    answer_with(buf_str(&h), &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, -EMSGSIZE);
    ck_assert_int_eq(s.heads, 0);
    seen_free(&s);
    /* a line of 8000 bytes passes */
    buf_reset(&h);
    buf_adds(&h, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Long: ");
    for (int i = 0; i < 8000 - 8; i++) buf_adds(&h, "a");
    buf_adds(&h, "\r\n\r\nok");
    s = (struct seen){0};
    answer_with(buf_str(&h), &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.heads, 1);
    ck_assert(s.n_lines == 2 && strlen(s.lines[1]) == 8000);
    seen_free(&s);
    /* one of 9000 does not */
    buf_reset(&h);
    buf_adds(&h, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Long: ");
    for (int i = 0; i < 9000 - 8; i++) buf_adds(&h, "a");
    buf_adds(&h, "\r\n\r\nok");
    s = (struct seen){0};
    answer_with(buf_str(&h), &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, -EMSGSIZE);
    ck_assert_int_eq(s.heads, 0);
    seen_free(&s);
    buf_reset(&h);
}
END_TEST

START_TEST(an_answer_cut_short_fails_after_its_head)
{
    static const struct step s0[] = {READ_REQUEST,
                                     SEND("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
                                     SEND_PATTERN(500), CLOSE, END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_lt(s.error, 0);
    ck_assert_int_eq(s.heads, 1);
    ck_assert_int_eq(s.status, 200);
    ck_assert_uint_le(s.body.n, 500);
    ck_assert(is_pattern(s.body.p ? s.body.p : "", s.body.n, 0));
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_call_cancelled_in_the_middle_of_its_answer_ends_as_cancelled)
{
    static const struct step s0[] = {
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"), TRICKLE, END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {0};
    start(&b, &s);
    ck_assert(drive_until(&s, &s.some_data, 3000));
    ck_assert(!s.done);
    int64_t cancelled = clock_ms();
    upstream_cancel(b.u, s.id);
    ck_assert(drive_until(&s, &s.done, 3000));
    ck_assert_int_eq(s.error, -ECANCELED);
    ck_assert_int_lt(clock_ms() - cancelled, 1000);
    upstream_cancel(b.u, s.id); /* harmless once it ended */
    upstream_unpause(b.u, s.id);
    upstream_drive(b.u);
    ck_assert_int_eq(s.out_of_order, 0);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(an_answer_before_the_streamed_body_is_in_reaches_the_caller)
{
    static const struct step s0[] = {
        READ_HEAD,
        SEND("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
             "too large"),
        LINGER, END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    b.call.method = "POST";
    b.call.body_streams = true;
    b.call.streamed_body_size = 4 * MIB;
    /* the caller's own client is slow: the body stops coming after 32 KiB */
    struct seen s = {.supply = 4 * MIB, .read_max = 16384, .stall_at = 32768};
    start(&b, &s);
    bool head = drive_until(&s, &s.head_seen, 3000);
    ck_assert_msg(head, "no head while the body waits (%zu bytes read)", s.supplied);
    ck_assert_int_eq(s.status, 413);
    ck_assert_uint_lt(s.supplied, 4 * MIB);
    /* the body goes on (or is given up): the call ends with the server's answer */
    s.stall_at = 0;
    upstream_unpause(b.u, s.id);
    ck_assert(drive_until(&s, &s.done, 3000));
    ck_assert_int_eq(s.error, 0);
    ck_assert_uint_eq(s.body.n, 9);
    ck_assert_mem_eq(s.body.p, "too large", 9);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_malformed_status_line_fails_the_call_without_a_head)
{
    struct seen s = {0};
    answer_with("HTPT/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", &s);
    ck_assert(s.done);
    ck_assert_int_lt(s.error, 0);
    ck_assert_int_eq(s.heads, 0);
    ck_assert_int_eq(s.offers, 0);
    seen_free(&s);
}
END_TEST

START_TEST(a_call_s_timeout_ends_an_answer_that_keeps_trickling)
{
    static const struct step s0[] = {
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"), TRICKLE, END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    b.call.timeout_ms = 500;
    b.call.idle_timeout_s = 1; /* bytes keep coming: the stall never comes */
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, -ETIMEDOUT);
    ck_assert_int_ge(s.done_ms, 450);
    ck_assert_int_lt(s.done_ms, 2000);
    ck_assert_int_eq(s.heads, 1);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

/* ---------------------------------------------------------------- a hostile upstream, a hostile
 * caller: what the proxy's own client refuses (an application is user code) */

START_TEST(a_header_line_with_a_line_break_is_refused_before_anything_is_sent)
{
    struct bench b;
    bench_start(&b, (const struct step *const[]){read_and_answer, NULL});
    const char *const lines[] = {"X-User: alice\r\nImpersonate-Group: system:masters", NULL};
    b.call.headers = lines;
    struct seen s = {.u = b.u};
    ck_assert_int_eq(upstream_stream(b.u, &b.call, &ops, &s, &s.id), -EINVAL);
    const char *const bare_lf[] = {"X-User: alice\nX-Other: 1", NULL};
    b.call.headers = bare_lf;
    ck_assert_int_eq(upstream_stream(b.u, &b.call, &ops, &s, &s.id), -EINVAL);
    bench_stop(&b);
    ck_assert_int_eq(b.p.accepted, 0);
    ck_assert(!s.done);
    peer_free(&b.p);
}
END_TEST

START_TEST(an_answer_framed_twice_loses_its_content_length_and_its_connection)
{
    /* Transfer-Encoding and Content-Length: the length does not describe the body that comes,
     * and a proxy passing it on would let its client misread the stream (RFC 9112 6.3) */
    static const struct step s0[] = {
        READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
             "6\r\nlonger\r\n0\r\n\r\n"),
        END};
    static const struct step s1[] = {READ_REQUEST,
                                     SEND("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, s1, NULL});
    struct seen s = {0}, s2 = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_int_eq(s.status, 200);
    for (size_t i = 0; i < s.n_lines; i++)
        ck_assert_msg(strncasecmp(s.lines[i], "Content-Length:", 15) != 0, "%s", s.lines[i]);
    ck_assert_uint_eq(s.body.n, 6);
    ck_assert_mem_eq(s.body.p, "longer", 6);
    call(&b, &s2);
    ck_assert(s2.done);
    ck_assert_int_eq(s2.error, 0);
    ck_assert_mem_eq(s2.body.p, "next", 4);
    bench_stop(&b);
    ck_assert_int_eq(b.p.accepted, 2);
    seen_free(&s);
    seen_free(&s2);
    peer_free(&b.p);
}
END_TEST

START_TEST(bytes_past_an_answer_s_end_never_become_the_next_answer)
{
    static const struct step s0[] = {READ_REQUEST,
                                     SEND("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                                          "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged"),
                                     END};
    static const struct step s1[] = {READ_REQUEST,
                                     SEND("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal"), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, s1, NULL});
    struct seen s = {0}, s2 = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_mem_eq(s.body.p, "ok", 2);
    call(&b, &s2);
    ck_assert(s2.done);
    ck_assert_int_eq(s2.error, 0);
    ck_assert_uint_eq(s2.body.n, 4);
    ck_assert_mem_eq(s2.body.p, "real", 4);
    bench_stop(&b);
    ck_assert_int_eq(b.p.accepted, 2);
    seen_free(&s);
    seen_free(&s2);
    peer_free(&b.p);
}
END_TEST

START_TEST(endless_interim_answers_fail_the_call)
{
    struct buf h;
    buf_init(&h, BYTES_MAX);
    for (int i = 0; i < 20; i++) buf_adds(&h, "HTTP/1.1 100 Continue\r\n\r\n");
    buf_adds(&h, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    struct seen s = {0};
    answer_with(buf_str(&h), &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, -EIO);
    ck_assert_int_eq(s.heads, 0);
    seen_free(&s);
    buf_reset(&h);
}
END_TEST

START_TEST(a_nul_byte_in_an_answer_s_head_fails_the_call)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nX-Cut: a\0b\r\nContent-Length: 2\r\n\r\nok";
    const struct step s0[] = {
        READ_REQUEST, {.op = OP_SEND, .bytes = head, .n = sizeof(head) - 1}, END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, -EIO);
    ck_assert_int_eq(s.heads, 0);
    bench_stop(&b);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_caller_s_framing_lines_never_reach_the_server)
{
    /* the body's length is the client's to say: a second one, or chunked beside it, would let
     * the server read the body's end as a request of its own */
    struct bench b;
    bench_start(&b, (const struct step *const[]){read_and_answer, NULL});
    b.call.method = "POST";
    b.call.body = "GET /smuggled HTTP/1.1\r\n\r\n";
    b.call.body_len = strlen(b.call.body);
    const char *const lines[] = {"Content-Length: 0", "Transfer-Encoding: chunked", NULL};
    b.call.headers = lines;
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    bench_stop(&b);
    ck_assert_int_eq(b.p.n_reqs, 1);
    char value[32];
    ck_assert_int_eq(header(b.p.reqs[0].head, "Content-Length", value, sizeof(value)), 1);
    ck_assert_uint_eq(strtoul(value, NULL, 10), strlen(b.call.body));
    ck_assert_int_eq(header(b.p.reqs[0].head, "Transfer-Encoding", NULL, 0), 0);
    ck_assert_uint_eq(b.p.reqs[0].body.n, strlen(b.call.body));
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_post_without_a_body_says_its_length_is_zero)
{
    struct bench b;
    bench_start(&b, (const struct step *const[]){read_and_answer, NULL});
    b.call.method = "POST";
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    bench_stop(&b);
    ck_assert_int_eq(b.p.n_reqs, 1);
    char value[32];
    ck_assert_int_eq(header(b.p.reqs[0].head, "Content-Length", value, sizeof(value)), 1);
    ck_assert_str_eq(value, "0");
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_request_target_never_carries_spaces_or_control_bytes)
{
    struct bench b;
    bench_start(&b, (const struct step *const[]){read_and_answer, NULL});
    snprintf(b.url, sizeof(b.url), "http://127.0.0.1:%d/a b\x01\x7f\xc3\xa9?q=1 2#fragment",
             b.p.port);
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    bench_stop(&b);
    ck_assert_int_eq(b.p.n_reqs, 1);
    char line[128];
    request_line(&b.p.reqs[0], line, sizeof(line));
    ck_assert_str_eq(line, "GET /a%20b%01%7F%C3%A9?q=1%202 HTTP/1.1");
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_name_mapped_with_connect_to_is_reached_at_the_mapped_address)
{
    /* Each call is answered by the mapped peer, with the URL's Host; the three share a
     * connection. */
    static const struct step s0[] = {
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"),
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"),
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree"),
        END};
    static const struct step s1[] = {
        READ_REQUEST, SEND("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"), READ_REQUEST,
        SEND("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree"), END};
    struct bench b;
    peer_start(&b.p, (const struct step *const[]){s0, s1, NULL});
    char map[96];
    snprintf(map, sizeof(map), "app.test:80:127.0.0.1:%d", b.p.port);
    ck_assert_int_eq(upstream_new_driven(map, 0, &b.u), 0);
    snprintf(b.url, sizeof(b.url), "http://app.test/x");
    b.call = (struct upstream_call){.method = "GET", .url = b.url, .timeout_ms = 10000};
    static const char *const bodies[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        struct seen s = {0};
        call(&b, &s);
        ck_assert_msg(s.done && s.error == 0, "call %d: error %d", i + 1, s.error);
        ck_assert_uint_eq(s.body.n, strlen(bodies[i]));
        ck_assert_mem_eq(s.body.p, bodies[i], s.body.n);
        seen_free(&s);
    }
    bench_stop(&b);
    ck_assert_int_eq(b.p.n_reqs, 3);
    ck_assert_int_eq(b.p.accepted, 1);
    for (int i = 0; i < 3; i++) {
        char value[64];
        ck_assert_int_eq(header(b.p.reqs[i].head, "Host", value, sizeof(value)), 1);
        ck_assert_str_eq(value, "app.test");
    }
    peer_free(&b.p);
}
END_TEST

START_TEST(a_name_is_resolved_without_blocking_the_loop_and_its_addresses_tried_in_turn)
{
    /* "localhost" may come as ::1 first; the peer listens on 127.0.0.1 only */
    static const struct step s0[] = {READ_REQUEST,
                                     SEND("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhere"), END};
    struct bench b;
    bench_start(&b, (const struct step *const[]){s0, NULL});
    snprintf(b.url, sizeof(b.url), "http://localhost:%d/named", b.p.port);
    struct seen s = {0};
    start(&b, &s);
    ck_assert(!s.done); /* the name is being resolved: nothing waited for it */
    drive_until(&s, &s.done, 3000);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, 0);
    ck_assert_mem_eq(s.body.p, "here", 4);
    bench_stop(&b);
    char value[64];
    ck_assert_int_eq(header(b.p.reqs[0].head, "Host", value, sizeof(value)), 1);
    snprintf(b.url, sizeof(b.url), "localhost:%d", b.p.port);
    ck_assert_str_eq(value, b.url);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

START_TEST(a_name_that_does_not_resolve_fails_as_unreachable)
{
    struct bench b;
    bench_start(&b, (const struct step *const[]){NULL});
    snprintf(b.url, sizeof(b.url), "http://a..b/x"); /* refused by the resolver at once */
    struct seen s = {0};
    call(&b, &s);
    ck_assert(s.done);
    ck_assert_int_eq(s.error, -EHOSTUNREACH);
    ck_assert_int_eq(s.heads, 0);
    bench_stop(&b);
    ck_assert_int_eq(b.p.accepted, 0);
    seen_free(&s);
    peer_free(&b.p);
}
END_TEST

RUN_SUITE("upstream_stream", an_answer_with_content_length_arrives_whole_after_one_head,
          a_chunked_answer_is_handed_over_decoded_without_extensions_or_trailers,
          an_answer_that_ends_when_the_server_closes_arrives_whole,
          an_interim_100_continue_is_not_the_answer_s_head,
          a_head_request_ends_at_the_answer_s_head_and_keeps_the_connection,
          answers_204_and_304_end_at_their_head_while_the_server_keeps_the_connection,
          calls_one_after_another_reach_the_server_over_one_connection,
          a_kept_connection_the_server_closed_is_not_the_caller_s_problem,
          a_paused_piece_is_offered_again_and_a_large_body_arrives_whole_and_in_order,
          a_streamed_body_of_known_size_goes_with_its_content_length,
          a_streamed_body_of_unknown_size_goes_chunked,
          a_fixed_body_reaches_the_server_whole_with_its_content_length,
          the_request_head_carries_the_url_and_the_caller_s_lines_as_given,
          a_refused_connection_ends_the_call_as_refused_without_a_head,
          a_server_that_never_answers_times_out_after_the_idle_timeout,
          a_head_of_more_than_a_hundred_lines_or_with_a_line_over_8_kib_fails_the_call,
          an_answer_cut_short_fails_after_its_head,
          a_call_cancelled_in_the_middle_of_its_answer_ends_as_cancelled,
          an_answer_before_the_streamed_body_is_in_reaches_the_caller,
          a_malformed_status_line_fails_the_call_without_a_head,
          a_call_s_timeout_ends_an_answer_that_keeps_trickling,
          a_header_line_with_a_line_break_is_refused_before_anything_is_sent,
          an_answer_framed_twice_loses_its_content_length_and_its_connection,
          bytes_past_an_answer_s_end_never_become_the_next_answer,
          endless_interim_answers_fail_the_call, a_nul_byte_in_an_answer_s_head_fails_the_call,
          a_caller_s_framing_lines_never_reach_the_server,
          a_post_without_a_body_says_its_length_is_zero,
          a_request_target_never_carries_spaces_or_control_bytes,
          a_name_mapped_with_connect_to_is_reached_at_the_mapped_address,
          a_name_is_resolved_without_blocking_the_loop_and_its_addresses_tried_in_turn,
          a_name_that_does_not_resolve_fails_as_unreachable)
