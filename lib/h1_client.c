/* h1_client: HTTP/1.1 to plain-http upstreams on a driven engine's loop; see h1_client.h. */
#include "lib/h1_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/h1_answer.h"
#include "lib/h1_names.h"

#define KEY_MAX          300        /* "host:port" of a URL, as pooled */
#define IDLE_MAX         256        /* idle connections kept, all upstreams together */
#define IDLE_KEEP_MS     60000      /* an idle connection is closed after this long */
#define POOL_BUCKETS     64         /* idle connections by hash of their key */
#define REQUEST_MAX      (1 << 20)  /* a request's head and fixed body */
#define READ_BYTES       (64 << 10) /* read from a socket at once */
#define SEND_PIECE       (64 << 10) /* streamed request body asked for at once */
#define CONNECT_DEFAULT  300000     /* connecting, when the call sets no limit (as libcurl) */
#define DETAIL_URL_CHARS 120

/* ---------------------------------------------------------------- URLs */

/* The parts of a plain-http URL. */
struct target {
    char key[KEY_MAX];     /* lower-case host, ':', port */
    const char *authority; /* as in the URL, for Host */
    size_t authority_len;
    const char *path; /* from the first '/' or '?', "" when none */
    char host[KEY_MAX - 8];
    unsigned port;
};

static bool parse_url(const char *url, struct target *t)
{
    if (strncasecmp(url, "http://", 7) != 0) return false;
    const char *a = url + 7;
    size_t n = strcspn(a, "/?#");
    if (n == 0 || memchr(a, '@', n)) return false; /* credentials: libcurl's business */
    t->authority = a;
    t->authority_len = n;
    t->path = a + n;
    const char *host = a, *port = NULL;
    size_t host_len;
    if (*a == '[') {
        const char *close = memchr(a, ']', n);
        if (!close) return false;
        host = a + 1;
        host_len = (size_t)(close - host);
        if (close + 1 < a + n) {
            if (close[1] != ':') return false;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(a, ':', n);
        host_len = colon ? (size_t)(colon - a) : n;
        if (colon) port = colon + 1;
    }
    unsigned long p = 80;
    if (port) {
        size_t digits = (size_t)(a + n - port);
        char text[8];
        if (digits == 0 || digits > 5) return false;
        memcpy(text, port, digits);
        text[digits] = '\0';
        char *end;
        p = strtoul(text, &end, 10);
        if (*end || p == 0 || p > 65535) return false;
    }
    if (host_len == 0 || host_len >= sizeof(t->host)) return false;
    for (size_t i = 0; i < host_len; i++)
        t->host[i] = (char)((host[i] >= 'A' && host[i] <= 'Z') ? host[i] + 32 : host[i]);
    t->host[host_len] = '\0';
    t->port = (unsigned)p;
    /* key: host ':' port, by hand (every call comes this way) */
    memcpy(t->key, t->host, host_len);
    char *at = t->key + host_len;
    *at++ = ':';
    char digits[5];
    size_t n_digits = 0;
    do digits[n_digits++] = (char)('0' + p % 10);
    while ((p /= 10) != 0);
    while (n_digits) *at++ = digits[--n_digits];
    *at = '\0';
    return true;
}

/* ---------------------------------------------------------------- the client */

struct h1_conn;

struct h1_call {
    void *job; /* the engine's, handed back in `ended` */
    const struct upstream_stream_ops *ops;
    void *ctx;
    char key[KEY_MAX];      /* the upstream's, for the pool */
    char host[KEY_MAX - 8]; /* ... its host and port */
    unsigned port;
    bool resolving;                 /* waits for h1_names */
    struct h1_addrs addrs;          /* where it may be (none yet: ask h1_names) */
    size_t addr;                    /* the one tried now */
    char url[DETAIL_URL_CHARS + 1]; /* for details in logs */
    struct buf out;                 /* request bytes not yet written (from out_off) */
    size_t out_off;
    bool body_streams; /* more request body comes from ops->read (false once it said 0) */
    bool chunked_body; /* ... framed as chunks */
    bool send_paused;  /* ops->read said UPSTREAM_PAUSE */
    bool send_failed;  /* the upstream stopped reading our request */
    bool replayable;   /* out still holds the whole request: may go again on a new connection */
    bool recv_paused;  /* ops->data said UPSTREAM_PAUSE: held waits for unpause */
    bool got_bytes;    /* an answer byte came on this connection */
    struct h1_answer answer;  /* the answer as it comes */
    char *held;               /* answer bytes read but not yet taken (paused) */
    size_t held_len;          /* bytes in held */
    long connect_ms;          /* connecting may take this long */
    int64_t connect_deadline; /* monotonic ms, while connecting */
    int64_t call_deadline;    /* the whole call's (ms relative to its start until it starts); 0 */
    long idle_ms;             /* 0, or the answer may stall this long */
    int64_t last_ms;          /* last progress either way */
    struct h1_conn *conn;     /* while running */
    struct h1_call *prev, *next; /* in client.calls */
};

struct h1_conn {
    int fd;
    uint32_t events;      /* what epoll watches it for; 0: not in the set */
    bool connecting;      /* connect() under way */
    bool reused;          /* served a call before this one */
    struct h1_call *call; /* NULL while idle */
    char key[KEY_MAX];
    int64_t idle_since;
    struct h1_conn *next; /* in a pool bucket */
};

struct h1_client {
    int epoll_fd;
    bool enabled; /* false when libcurl would go through a proxy from the environment */
    h1_ended_fn *ended;
    void *owner;
    struct h1_names *names; /* where to connect */
    struct h1_conn **by_fd; /* every connection, by descriptor */
    size_t n_by_fd;
    struct h1_conn *pool[POOL_BUCKETS];
    size_t n_idle;
    int64_t pool_due;      /* when to look for idle connections to close; -1 none */
    struct h1_call *calls; /* running */
    int64_t calls_due;     /* no call's deadline is before this; -1 none */
    char *rbuf;            /* READ_BYTES, for every read */
};

static bool proxy_in_environment(void)
{
    static const char *const names[] = {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);
        if (v && *v) return true;
    }
    return false;
}

int h1_client_new(int epoll_fd, const char *connect_to, h1_ended_fn *ended, void *owner,
                  struct h1_client **ret)
{
    struct h1_client *c = calloc(1, sizeof(*c));
    if (!c) return -ENOMEM;
    int e = h1_names_new(connect_to, &c->names);
    c->rbuf = e ? NULL : malloc(READ_BYTES);
    struct epoll_event ev = {.events = EPOLLIN};
    if (c->rbuf) {
        ev.data.fd = h1_names_fd(c->names);
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) e = -errno;
    }
    if (e || !c->rbuf) {
        h1_names_free(c->names);
        free(c->rbuf);
        free(c);
        return e ? e : -ENOMEM;
    }
    c->epoll_fd = epoll_fd;
    c->enabled = !proxy_in_environment();
    c->ended = ended;
    c->owner = owner;
    c->pool_due = -1;
    c->calls_due = -1;
    *ret = c;
    return 0;
}

static void conn_close(struct h1_client *c, struct h1_conn *n)
{
    if ((size_t)n->fd < c->n_by_fd) c->by_fd[n->fd] = NULL;
    close(n->fd); /* leaves the epoll set with it */
    free(n);
}

void h1_client_free(struct h1_client *c)
{
    if (!c) return;
    for (size_t b = 0; b < POOL_BUCKETS; b++) {
        while (c->pool[b]) {
            struct h1_conn *n = c->pool[b];
            c->pool[b] = n->next;
            conn_close(c, n);
        }
    }
    h1_names_free(c->names); /* its descriptor leaves the epoll set as it closes */
    free(c->by_fd);
    free(c->rbuf);
    free(c);
}

/* ---------------------------------------------------------------- the request */

/* The request target: the URL's path and query, bytes a request line cannot carry encoded, no
 * fragment (as libcurl sends it). */
static void add_target(struct buf *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    if (*path != '/') buf_add(b, "/", 1);
    const unsigned char *p = (const unsigned char *)path;
    while (*p && *p != '#') {
        size_t n = 0;
        while (p[n] > 0x20 && p[n] < 0x7f && p[n] != '#') n++;
        buf_add(b, p, n);
        p += n;
        if (!*p || *p == '#') break;
        char escaped[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        buf_add(b, escaped, 3);
        p++;
    }
}

/* "Name: value" with a name and a value: as libcurl, a line with an empty value is not sent. */
static bool has_value(const char *line)
{
    const char *colon = strchr(line, ':');
    if (!colon || colon == line) return false;
    for (const char *v = colon + 1; *v; v++)
        if (*v != ' ' && *v != '\t') return true;
    return false;
}

static int write_request(struct h1_call *k, const struct upstream_call *call,
                         const struct target *t)
{
    struct buf *b = &k->out;
    bool has_host = false;
    for (size_t i = 0; call->headers && call->headers[i]; i++) {
        if (strpbrk(call->headers[i], "\r\n")) return -EINVAL;
        has_host =
            has_host || (h1_line_names(call->headers[i], "Host") && has_value(call->headers[i]));
    }
    if (strpbrk(call->method, " \r\n") || !*call->method) return -EINVAL;
    /* By hand, not printf: every proxied request comes this way. */
    buf_adds(b, call->method);
    buf_add(b, " ", 1);
    add_target(b, t->path);
    buf_adds(b, " HTTP/1.1\r\n");
    if (!has_host) {
        buf_adds(b, "Host: ");
        buf_add(b, t->authority, t->authority_len);
        buf_add(b, "\r\n", 2);
    }
    for (size_t i = 0; call->headers && call->headers[i]; i++) {
        const char *line = call->headers[i];
        /* The framing is the client's own: a second one would let the upstream read two
         * requests where one was sent. */
        if (!has_value(line) || h1_line_names(line, "Content-Length") ||
            h1_line_names(line, "Transfer-Encoding"))
            continue;
        buf_adds(b, line);
        buf_add(b, "\r\n", 2);
    }
    bool sends_length = strcasecmp(call->method, "POST") == 0 ||
                        strcasecmp(call->method, "PUT") == 0 ||
                        strcasecmp(call->method, "PATCH") == 0;
    if (call->body_streams && call->streamed_body_size < 0) {
        buf_adds(b, "Transfer-Encoding: chunked\r\n");
        k->chunked_body = true;
    } else if (call->body_streams) {
        buf_addf(b, "Content-Length: %lld\r\n", call->streamed_body_size);
    } else if (call->body || sends_length) {
        buf_addf(b, "Content-Length: %zu\r\n", call->body ? call->body_len : 0);
    }
    buf_adds(b, "\r\n");
    if (call->body && !call->body_streams) buf_add(b, call->body, call->body_len);
    return buf_error(b);
}

int h1_call_new(struct h1_client *c, const struct upstream_call *call,
                const struct upstream_stream_ops *ops, void *ctx, void *job, struct h1_call **ret)
{
    struct target t;
    *ret = NULL;
    if (!c->enabled || call->decompress || !parse_url(call->url, &t)) return 0;
    struct h1_call *k = calloc(1, sizeof(*k));
    if (!k) return -ENOMEM;
    k->job = job;
    k->ops = ops;
    k->ctx = ctx;
    memcpy(k->key, t.key, strlen(t.key) + 1); /* as long as t's: they fit */
    memcpy(k->host, t.host, strlen(t.host) + 1);
    size_t url_len = strnlen(call->url, sizeof(k->url) - 1); /* cut: it is for details */
    memcpy(k->url, call->url, url_len);
    k->port = t.port;
    k->body_streams = call->body_streams;
    k->replayable = true;
    h1_answer_init(&k->answer, strcasecmp(call->method, "HEAD") == 0);
    buf_init(&k->out, REQUEST_MAX + SEND_PIECE + 32);
    int e = write_request(k, call, &t);
    if (e < 0) {
        h1_call_free(k);
        return e == -E2BIG ? -EINVAL : e;
    }
    long connect_ms = call->connect_timeout_ms ? call->connect_timeout_ms : call->timeout_ms;
    k->connect_ms = connect_ms ? connect_ms : CONNECT_DEFAULT;
    k->call_deadline = call->timeout_ms;
    k->idle_ms = call->idle_timeout_s * 1000;
    *ret = k;
    return 0;
}

void h1_call_free(struct h1_call *k)
{
    if (!k) return;
    buf_reset(&k->out);
    h1_answer_reset(&k->answer);
    free(k->held);
    free(k);
}

/* ---------------------------------------------------------------- connections */

static struct h1_conn **slot_of(struct h1_client *c, int fd)
{
    if ((size_t)fd >= c->n_by_fd) {
        size_t n = (size_t)fd + 64;
        struct h1_conn **t = realloc(c->by_fd, n * sizeof(*t));
        if (!t) return NULL;
        memset(t + c->n_by_fd, 0, (n - c->n_by_fd) * sizeof(*t));
        c->by_fd = t;
        c->n_by_fd = n;
    }
    return &c->by_fd[fd];
}

/* Watches n for events (0: takes it out of the set: a closed peer would be reported forever). */
static void watch(struct h1_client *c, struct h1_conn *n, uint32_t events)
{
    if (n->events == events) return;
    struct epoll_event ev = {.events = events, .data.fd = n->fd};
    if (!events)
        epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, n->fd, NULL);
    else if (epoll_ctl(c->epoll_fd, n->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, n->fd, &ev) < 0)
        epoll_ctl(c->epoll_fd, n->events ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, n->fd, &ev);
    n->events = events;
}

static unsigned bucket_of(const char *key)
{
    unsigned h = 5381;
    for (const char *p = key; *p; p++) h = h * 33 + (unsigned char)*p;
    return h % POOL_BUCKETS;
}

static struct h1_conn *pool_take(struct h1_client *c, const char *key)
{
    for (struct h1_conn **p = &c->pool[bucket_of(key)]; *p; p = &(*p)->next) {
        if (strcmp((*p)->key, key) != 0) continue;
        struct h1_conn *n = *p;
        *p = n->next;
        n->next = NULL;
        c->n_idle--;
        return n;
    }
    return NULL;
}

/* A connection whose answer ended cleanly waits for the next call, if there is room. */
static void pool_put(struct h1_client *c, struct h1_conn *n)
{
    if (c->n_idle >= IDLE_MAX) {
        conn_close(c, n);
        return;
    }
    n->call = NULL;
    n->reused = true;
    n->idle_since = clock_ms();
    watch(c, n, EPOLLIN); /* anything now is the server closing or misbehaving */
    unsigned b = bucket_of(n->key);
    n->next = c->pool[b];
    c->pool[b] = n;
    c->n_idle++;
    if (c->pool_due < 0) c->pool_due = n->idle_since + IDLE_KEEP_MS;
}

static void pool_drop(struct h1_client *c, struct h1_conn *n)
{
    for (struct h1_conn **p = &c->pool[bucket_of(n->key)]; *p; p = &(*p)->next) {
        if (*p == n) {
            *p = n->next;
            c->n_idle--;
            break;
        }
    }
    conn_close(c, n);
}

/* ---------------------------------------------------------------- ending a call */

static void unlink_call(struct h1_client *c, struct h1_call *k)
{
    if (k->prev)
        k->prev->next = k->next;
    else if (c->calls == k)
        c->calls = k->next;
    if (k->next) k->next->prev = k->prev;
    k->prev = k->next = NULL;
}

/* The call is over: its connection goes back to the pool (a clean end) or closes, and the
 * engine hears. k is not touched after. */
static void end_call(struct h1_client *c, struct h1_call *k, int error, const char *what)
{
    struct h1_conn *n = k->conn;
    k->conn = NULL;
    if (n) {
        bool clean = !error && k->answer.keep_alive && !k->send_failed && !k->body_streams &&
                     k->out_off == k->out.n;
        if (clean) {
            pool_put(c, n);
        } else {
            conn_close(c, n);
        }
    }
    unlink_call(c, k);
    char detail[UPSTREAM_DETAIL_MAX] = "";
    if (error) snprintf(detail, sizeof(detail), "%s: %s", k->url, what);
    c->ended(c->owner, k->job, error, detail);
}

/* ---------------------------------------------------------------- sending */

static void update_watch(struct h1_client *c, struct h1_call *k);

/* More body from the caller into out (after what is still to be written). */
static void fill_body(struct h1_call *k)
{
    if (!k->body_streams || k->send_paused) return;
    if (k->out_off == k->out.n) { /* all written: start over */
        k->out.n = 0;
        k->out_off = 0;
        k->replayable = false;
    }
    if (k->out.n - k->out_off >= SEND_PIECE) return;
    char piece[16 << 10];
    size_t got = k->ops->read(k->ctx, piece, sizeof(piece));
    if (got == UPSTREAM_PAUSE) {
        k->send_paused = true;
    } else if (got == 0) {
        k->body_streams = false;
        if (k->chunked_body) buf_adds(&k->out, "0\r\n\r\n");
    } else if (k->chunked_body) {
        buf_addf(&k->out, "%zx\r\n", got);
        buf_add(&k->out, piece, got);
        buf_adds(&k->out, "\r\n");
    } else {
        buf_add(&k->out, piece, got);
    }
}

/* Writes what there is; false when the call ended (or went to another connection). */
static bool send_some(struct h1_client *c, struct h1_call *k);

static bool retry_or_fail(struct h1_client *c, struct h1_call *k, int error, const char *what);

static bool send_some(struct h1_client *c, struct h1_call *k)
{
    struct h1_conn *n = k->conn;
    for (int rounds = 0; rounds < 64 && !k->send_failed; rounds++) {
        fill_body(k);
        if (buf_error(&k->out)) {
            end_call(c, k, -ENOMEM, "out of memory for the request");
            return false;
        }
        size_t left = k->out.n - k->out_off;
        if (!left) break;
        ssize_t w = send(n->fd, k->out.p + k->out_off, left, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        if (w < 0) {
            if (!k->got_bytes && n->reused && k->replayable)
                return retry_or_fail(c, k, -EIO, "the kept-alive connection was closed");
            k->send_failed = true; /* an answer may still come: read it */
            break;
        }
        k->out_off += (size_t)w;
        k->last_ms = clock_ms();
        if ((size_t)w < left) break;
    }
    update_watch(c, k);
    return true;
}

/* ---------------------------------------------------------------- running a call */

static int64_t earliest(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* When the call times out as it stands (0: never). Waiting for the caller is not stalling. */
static int64_t deadline_of(const struct h1_call *k)
{
    if (k->resolving || (k->conn && k->conn->connecting))
        return earliest(k->call_deadline, k->connect_deadline);
    if (k->idle_ms && !k->recv_paused && !k->send_paused)
        return earliest(k->call_deadline, k->last_ms + k->idle_ms);
    return k->call_deadline;
}

/* The call must be looked at again by its deadline. */
static void note_deadline(struct h1_client *c, const struct h1_call *k)
{
    int64_t d = deadline_of(k);
    if (d && (c->calls_due < 0 || d < c->calls_due)) c->calls_due = d;
}

/* What the call's connection waits for, and when the call must be looked at again. */
static void update_watch(struct h1_client *c, struct h1_call *k)
{
    struct h1_conn *n = k->conn;
    if (!n) return;
    uint32_t events = EPOLLOUT;
    if (!n->connecting) {
        bool more_out =
            !k->send_failed && (k->out_off < k->out.n || (k->body_streams && !k->send_paused));
        events = (k->recv_paused ? 0 : EPOLLIN) | (more_out ? EPOLLOUT : 0);
    }
    watch(c, n, events);
    note_deadline(c, k);
}

static bool connect_new(struct h1_client *c, struct h1_call *k);

/* Connecting failed with err: the name's next address, if it has one (as libcurl tries them). */
static bool next_address(struct h1_client *c, struct h1_call *k, int err)
{
    struct h1_conn *n = k->conn;
    k->conn = NULL;
    if (n) conn_close(c, n);
    if (++k->addr < k->addrs.n) return connect_new(c, k);
    end_call(c, k, -ECONNREFUSED, strerror(err));
    return false;
}

static bool connect_new(struct h1_client *c, struct h1_call *k)
{
    const struct sockaddr_storage *sa = &k->addrs.sa[k->addr];
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int e = errno;
    struct h1_conn *n = fd >= 0 ? calloc(1, sizeof(*n)) : NULL;
    struct h1_conn **slot = n ? slot_of(c, fd) : NULL;
    if (!slot) {
        if (fd >= 0) close(fd);
        free(n);
        end_call(c, k, -EIO, fd < 0 ? strerror(e) : "out of memory for a connection");
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    n->fd = fd;
    n->call = k;
    snprintf(n->key, sizeof(n->key), "%s", k->key);
    *slot = n;
    k->conn = n;
    if (connect(fd, (const struct sockaddr *)sa, k->addrs.len[k->addr]) < 0) {
        e = errno;
        if (e != EINPROGRESS) return next_address(c, k, e);
        n->connecting = true;
        update_watch(c, k);
        return true;
    }
    return send_some(c, k);
}

/* A new connection for the call, once h1_names knows where (it may have to wait for it). */
static void open_connection(struct h1_client *c, struct h1_call *k)
{
    if (!k->resolving) k->connect_deadline = clock_ms() + k->connect_ms; /* naming included */
    if (!k->addrs.n) {
        char why[H1_NAMES_WHY_MAX];
        int r = h1_names_lookup(c->names, k->host, k->port, &k->addrs, why);
        if (r < 0) {
            end_call(c, k, -EHOSTUNREACH, why);
            return;
        }
        k->resolving = r == 0;
        if (k->resolving) {
            note_deadline(c, k);
            return;
        }
    }
    connect_new(c, k);
}

/* A kept-alive connection that the server closed as the request went (it cannot have seen
 * it): the request goes again on a new connection, as libcurl does. Else the call fails. */
static bool retry_or_fail(struct h1_client *c, struct h1_call *k, int error, const char *what)
{
    struct h1_conn *n = k->conn;
    if (!n || !n->reused || k->got_bytes || !k->replayable) {
        end_call(c, k, error, what);
        return false;
    }
    k->conn = NULL;
    conn_close(c, n);
    k->out_off = 0;
    k->send_failed = false;
    open_connection(c, k);
    return false;
}

/* The answer is whole: the call ends; its connection goes back to the pool if it is clean. */
static void complete(struct h1_client *c, struct h1_call *k, bool surplus)
{
    if (surplus) k->answer.keep_alive = false;
    end_call(c, k, 0, "");
}

/* The server closed (or reset) the connection. */
static void closed(struct h1_client *c, struct h1_call *k, int err)
{
    if (h1_answer_ends_at_close(&k->answer) && !err) {
        complete(c, k, false);
        return;
    }
    char what[96];
    snprintf(what, sizeof(what), "the connection %s before the answer %s",
             err ? "failed" : "was closed", k->answer.head_done ? "ended" : "came");
    if (err) snprintf(what + strlen(what), sizeof(what) - strlen(what), " (%s)", strerror(err));
    retry_or_fail(c, k, -EIO, what);
}

/* Answer bytes the caller did not take yet, until it unpauses. */
static bool hold(struct h1_client *c, struct h1_call *k, const char *p, size_t len)
{
    char *held = len ? malloc(len) : NULL;
    if (len && !held) {
        end_call(c, k, -ENOMEM, "out of memory holding the answer");
        return false;
    }
    free(k->held);
    if (len) memcpy(held, p, len);
    k->held = held;
    k->held_len = len;
    return true;
}

/* Answer bytes to the call: on H1_FAILED it has ended (k is gone); H1_PAUSED marks it. */
static enum h1_fed feed(struct h1_client *c, struct h1_call *k, const char *p, size_t len,
                        size_t *used)
{
    enum h1_fed f = h1_answer_feed(&k->answer, p, len, used, k->ops, k->ctx);
    if (f == H1_FAILED) end_call(c, k, k->answer.error, k->answer.why);
    if (f == H1_PAUSED) k->recv_paused = true;
    return f;
}

static void on_readable(struct h1_client *c, struct h1_call *k)
{
    struct h1_conn *n = k->conn;
    for (int rounds = 0; rounds < 4; rounds++) {
        ssize_t got = recv(n->fd, c->rbuf, READ_BYTES, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && errno == EAGAIN) break;
        if (got <= 0) {
            closed(c, k, got < 0 ? errno : 0);
            return;
        }
        k->got_bytes = true;
        k->last_ms = clock_ms();
        size_t used = 0;
        enum h1_fed f = feed(c, k, c->rbuf, (size_t)got, &used);
        if (f == H1_FAILED) return;
        if (f == H1_COMPLETE) {
            complete(c, k, used < (size_t)got);
            return;
        }
        if (f == H1_PAUSED) {
            if (hold(c, k, c->rbuf + used, (size_t)got - used)) update_watch(c, k);
            return;
        }
        if ((size_t)got < READ_BYTES) break;
    }
    update_watch(c, k);
}

void h1_call_start(struct h1_client *c, struct h1_call *k)
{
    int64_t now = clock_ms();
    k->last_ms = now;
    if (k->call_deadline) k->call_deadline += now; /* relative until now */
    k->next = c->calls;
    if (c->calls) c->calls->prev = k;
    c->calls = k;
    struct h1_conn *n = pool_take(c, k->key);
    if (!n) {
        open_connection(c, k);
        return;
    }
    n->call = k;
    k->conn = n;
    send_some(c, k);
}

void h1_call_unpause(struct h1_client *c, struct h1_call *k)
{
    if (!k->conn) return;
    k->send_paused = false;
    if (k->recv_paused) {
        k->recv_paused = false;
        k->last_ms = clock_ms();
        size_t used = 0;
        enum h1_fed f = k->held_len ? feed(c, k, k->held, k->held_len, &used) : H1_MORE;
        if (f == H1_FAILED) return;
        if (f == H1_COMPLETE) {
            complete(c, k, used < k->held_len);
            return;
        }
        memmove(k->held, k->held + used, k->held_len - used);
        k->held_len -= used;
        if (f == H1_PAUSED) {
            update_watch(c, k);
            return;
        }
    }
    send_some(c, k);
}

void h1_call_abort(struct h1_client *c, struct h1_call *k)
{
    if (k->conn) conn_close(c, k->conn);
    k->conn = NULL;
    unlink_call(c, k);
}

bool h1_client_event(struct h1_client *c, int fd, uint32_t events)
{
    if (fd == h1_names_fd(c->names)) { /* names resolved: the calls that waited go on */
        h1_names_drain(c->names);
        for (struct h1_call *k = c->calls, *next; k; k = next) {
            next = k->next;
            if (k->resolving) open_connection(c, k);
        }
        return true;
    }
    struct h1_conn *n = (size_t)fd < c->n_by_fd ? c->by_fd[fd] : NULL;
    if (!n) return false;
    struct h1_call *k = n->call;
    if (!k) { /* idle: the server closed it, or says what nobody asked */
        pool_drop(c, n);
        return true;
    }
    if (n->connecting) {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err) {
            next_address(c, k, err);
            return true;
        }
        n->connecting = false;
        k->last_ms = clock_ms();
        send_some(c, k);
        return true;
    }
    if ((events & EPOLLOUT) && !send_some(c, k)) return true;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !k->recv_paused) on_readable(c, k);
    return true;
}

int64_t h1_client_due(const struct h1_client *c)
{
    if (c->calls_due < 0) return c->pool_due;
    if (c->pool_due < 0) return c->calls_due;
    return c->calls_due < c->pool_due ? c->calls_due : c->pool_due;
}

static void expire_calls(struct h1_client *c, int64_t now)
{
    c->calls_due = -1;
    for (struct h1_call *k = c->calls, *next; k; k = next) {
        next = k->next;
        int64_t d = deadline_of(k);
        if (!d) continue;
        if (d > now) {
            if (c->calls_due < 0 || d < c->calls_due) c->calls_due = d;
            continue;
        }
        bool connecting = k->resolving || (k->conn && k->conn->connecting);
        end_call(c, k, -ETIMEDOUT,
                 connecting ? "timed out connecting"
                 : k->call_deadline && k->call_deadline <= now
                     ? "timed out (the call took too long)"
                     : "timed out (the answer stalled)");
    }
}

static void expire_idle(struct h1_client *c, int64_t now)
{
    c->pool_due = -1;
    for (size_t b = 0; b < POOL_BUCKETS; b++) {
        for (struct h1_conn **p = &c->pool[b]; *p;) {
            struct h1_conn *n = *p;
            int64_t d = n->idle_since + IDLE_KEEP_MS;
            if (d <= now) {
                *p = n->next;
                c->n_idle--;
                conn_close(c, n);
                continue;
            }
            if (c->pool_due < 0 || d < c->pool_due) c->pool_due = d;
            p = &n->next;
        }
    }
}

void h1_client_expire(struct h1_client *c)
{
    int64_t now = clock_ms();
    if (c->calls_due >= 0 && c->calls_due <= now) expire_calls(c, now);
    if (c->pool_due >= 0 && c->pool_due <= now) expire_idle(c, now);
}
