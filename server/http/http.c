/*
 * http: libmicrohttpd daemons and the request lifecycle; see http.h.
 *
 * One request, in order: the request line arrives (on_uri: the request object is made, the
 * request timer starts) → headers are complete (begin: limits, request id, path normalisation,
 * routing) → the body is buffered up to its limit (receive) → the handler replies → the reply is
 * sent (on_completed: access log, metrics, free).
 */
#include "server/http/http.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/headers.h"
#include "auth/identity.h"
#include "auth/peers.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "lib/upstream.h"
#include "server/http/limits.h"
#include "server/http/listen.h"
#include "server/http/metrics.h"
#include "server/http/path.h"
#include "server/http/tls.h"

#define REAPER_INTERVAL_MS 250
#define REPLY_HEADERS_MAX  8
#define WORKERS_MAX        256
#define QUIESCE_WAIT_MS    2000
#define POOL_MAPPED_MIN    (32 * 1024 + 4096)

/* Name, value pairs. */
/* clang-format off */
static const char *const security_headers[] = {
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self'; "
    "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'",
    "X-Content-Type-Options", "nosniff",
    "Referrer-Policy", "same-origin",
    "X-Frame-Options", "SAMEORIGIN",
    NULL,
};
/* clang-format on */

/* A client connection, tracked so the reaper can close it when the client is too slow. */
struct http_conn {
    int fd;                          /* the client socket, valid until CLOSED is notified */
    _Atomic int64_t receiving_since; /* µs when the current request began, 0 when idle */
    /* The request whose streamed reply sleeps on this connection (http_stream_sleep), until
     * someone takes it to wake it: its producer (http_stream_wake) or the reaper, when the
     * client has gone. Whoever takes it resumes the connection, once. */
    struct http_request *_Atomic sleeping;
    struct http_conn *prev, *next; /* links in http_server.conns */
};

/*
 * A worker: a thread whose one event loop accepts on every listening socket, hands the
 * connections to a libmicrohttpd daemon of its own per socket (external epoll mode, no
 * listening socket of the daemon's: libmicrohttpd takes at most ten connections a turn from a
 * socket it shares, and a burst could wait for the next one), and drives an upstream engine of
 * its own, so that a proxied request and its upstream call stay on one thread from the
 * client's bytes to the answer's.
 */
struct http_worker {
    struct http_server *server;                 /* whose */
    struct MHD_Daemon *daemons[LISTEN_MAX_FDS]; /* one per listening socket */
    int daemon_fds[LISTEN_MAX_FDS];             /* their epoll sets, to wait on */
    int epoll_fd;                               /* the listening sockets and wake_fd */
    int wake_fd;                                /* eventfd: quiesce or stop */
    struct upstream *engine;                    /* made and driven on the worker's thread */
    pthread_t thread;                           /* runs worker_main */
    bool started;                               /* thread must be joined */
    bool quiesced;                              /* the daemons accept no more connections */
    bool resumed; /* a connection was resumed on the worker's own thread: run the daemons */
    atomic_bool quiesce_done; /* told to http_server_quiesce */
};

struct http_server {
    const struct config *cfg;   /* borrowed, outlives the server */
    const struct route *routes; /* borrowed route table */
    void *app;                  /* what handlers reach through http_request_app */
    struct metrics *metrics;    /* of every request */
    size_t n_routes;            /* entries in routes */
    size_t n_own;               /* routes[0, n_own) serve kfdash's origin, the rest other hosts */
    http_host_fn other_host;    /* which requests came to those hosts; NULL: none do */
    http_gate_fn gate;          /* admits requests to non-public routes */
    struct auth_peers *proxies; /* may say X-Forwarded-Proto/-Host */
    struct http_worker workers[WORKERS_MAX]; /* the event loops */
    size_t n_workers;                        /* entries used in workers */
    int fds[LISTEN_MAX_FDS];                 /* listening sockets, -1 once closed */
    bool tls[LISTEN_MAX_FDS];                /* fds[i] serves HTTPS */
    bool tls_started;                        /* tls_start succeeded: tls_stop at free */
    size_t n_fds;                            /* entries used in fds and daemons */
    _Atomic int64_t in_flight;               /* requests between request line and completion */
    atomic_bool draining;                    /* quiesced: no new connections */
    pthread_mutex_t conns_lock;              /* guards conns and each conn's fd while listed */
    struct http_conn *conns;                 /* open connections */
    pthread_t reaper;                        /* closes connections of too slow clients */
    bool reaper_started;                     /* reaper must be joined */
    atomic_bool stopping;                    /* tells the reaper to exit */
    uint64_t id_prefix;          /* random per process: request ids differ across replicas */
    _Atomic uint64_t id_counter; /* request ids within this process */
};

enum request_state {
    REQ_NEW,        /* headers received, not yet checked */
    REQ_RECEIVING,  /* buffering the body */
    REQ_DISCARDING, /* body over its limit: reading it to the end, then 413 */
    REQ_PARKED,     /* suspended while a handler waits on another server */
    REQ_STREAMING,  /* the handler takes the body as it comes (ROUTE_STREAM_BODY) */
    REQ_ANSWERED,   /* a reply is queued */
};

/* A value allocated for the request and freed with it (decoded query values). */
struct owned {
    struct owned *next; /* the next one owned by the same request */
    char value[];       /* NUL-terminated */
};

struct http_request {
    struct http_server *server;      /* the server answering */
    struct http_worker *worker;      /* the loop serving its connection */
    struct MHD_Connection *mhd;      /* the connection, set at the first access call */
    struct http_conn *conn;          /* tracked connection state, may be NULL */
    int64_t started_us;              /* monotonic µs at the request line */
    enum request_state state;        /* where the request is in its life */
    char *target;                    /* request target as sent (path and query), NULL if too long */
    const char *method;              /* borrowed from libmicrohttpd for the request's life */
    char *path;                      /* normalised, decoded */
    char *raw_path;                  /* normalised, encoded */
    const char *raw_query;           /* points into target after '?', or "" */
    struct route_match match;        /* matched route and parameter slices of path */
    char *params[ROUTER_MAX_PARAMS]; /* parameter values, NUL-terminated copies */
    size_t route_index;              /* for metrics; METRICS_NO_ROUTE if none */
    char id[HTTP_REQUEST_ID_MAX + 1];           /* request id echoed and logged */
    struct buf body;                            /* buffered request body */
    unsigned status;                            /* status of the queued reply, 0 before */
    bool failed;                                /* no reply could be queued: drop the connection */
    uint64_t bytes;                             /* body bytes of the queued reply */
    struct owned *owned;                        /* values freed with the request */
    struct identity *who;                       /* set by the gate */
    void *upgrade;                              /* an upgrade reply's closure, freed with it */
    http_next_fn next;                          /* runs when a parked request resumes */
    void *ctx;                                  /* the handler's, while parked */
    void (*ctx_free)(void *);                   /* frees ctx */
    http_body_fn body_fn;                       /* REQ_STREAMING: takes the body */
    void *body_ctx;                             /* for body_fn */
    char *reply_headers[REPLY_HEADERS_MAX * 2]; /* name, value pairs added to the next reply */
    size_t n_reply_headers;                     /* pairs used */
    atomic_bool client_gone;                    /* the reaper saw the client hang up */
    bool tls;                                   /* it came over kfdash's own TLS */
    void (*on_end)(void *);                     /* runs when the request ends, however */
    void *on_end_ctx;                           /* for on_end */
};

/* ---------------------------------------------------------------- replies */

static void add_headers(struct MHD_Response *resp, const char *const *headers)
{
    for (size_t i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(resp, headers[i], headers[i + 1]);
}

/* Adds what every response carries and queues it; takes resp. */
static void queue_with(struct http_request *r, unsigned status, struct MHD_Response *resp,
                       const char *content_type, uint64_t bytes, const char *const *headers,
                       bool own_security_headers)
{
    r->state = REQ_ANSWERED;
    if (!resp) {
        r->failed = true; /* out of memory: on_access returns MHD_NO, the connection closes */
        return;
    }
    add_headers(resp, headers);
    /* A reply's own header of the same name (a stricter Referrer-Policy) wins. */
    for (size_t i = 0; own_security_headers && security_headers[i]; i += 2)
        if (!MHD_get_response_header(resp, security_headers[i]))
            MHD_add_response_header(resp, security_headers[i], security_headers[i + 1]);
    for (size_t i = 0; i < r->n_reply_headers; i++)
        MHD_add_response_header(resp, r->reply_headers[2 * i], r->reply_headers[2 * i + 1]);
    if (content_type) MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if ((atomic_load(&r->server->draining) || status == 503) && status != 101)
        MHD_add_response_header(resp, "Connection", "close");
    if (MHD_queue_response(r->mhd, status, resp) == MHD_YES) {
        r->status = status;
        r->bytes = bytes;
    } else {
        r->failed = true;
    }
    MHD_destroy_response(resp);
}

static void queue(struct http_request *r, unsigned status, struct MHD_Response *resp,
                  const char *content_type, uint64_t bytes, const char *const *headers)
{
    queue_with(r, status, resp, content_type, bytes, headers, true);
}

static void worker_wake(struct http_worker *w)
{
    uint64_t one = 1;
    if (write(w->wake_fd, &one, sizeof(one)) < 0) { /* the counter is full: awake already */
    }
}

/* libmicrohttpd, driven by our loop, does not wake that loop for a resumed connection: its
 * worker runs the daemons next (at once when on its own thread, else woken). */
static void resume(struct http_request *r)
{
    MHD_resume_connection(r->mhd);
    struct http_worker *w = r->worker;
    if (pthread_equal(pthread_self(), w->thread))
        w->resumed = true;
    else
        worker_wake(w);
}

/* Relays libmicrohttpd's pull for more body to the stream's reader. */
struct stream {
    http_stream_read_fn read; /* the producer */
    void *ctx;                /* for read */
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    const struct stream *st = cls;
    long n = st->read(st->ctx, buf, max);
    return n == HTTP_STREAM_END     ? MHD_CONTENT_READER_END_OF_STREAM
           : n == HTTP_STREAM_ERROR ? MHD_CONTENT_READER_END_WITH_ERROR
                                    : (ssize_t)n;
}

void http_reply_stream(struct http_request *r, unsigned status, uint64_t size,
                       const char *const *headers, http_stream_read_fn read, void *ctx)
{
    struct stream *st = malloc(sizeof(*st));
    struct MHD_Response *resp = NULL;
    if (st) {
        *st = (struct stream){read, ctx};
        resp = MHD_create_response_from_callback(
            size == HTTP_SIZE_UNKNOWN ? MHD_SIZE_UNKNOWN : size, 32 * 1024, stream_read, st, free);
        if (!resp) free(st);
    }
    queue_with(r, status, resp, NULL, size == HTTP_SIZE_UNKNOWN ? 0 : size, headers, false);
}

void http_reply_relayed(struct http_request *r, unsigned status, const char *const *headers,
                        char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) free(body);
    queue_with(r, status, resp, NULL, len, headers, false);
}

void http_stream_sleep(struct http_request *r)
{
    MHD_suspend_connection(r->mhd);
    if (r->conn) atomic_store(&r->conn->sleeping, r);
}

void http_stream_wake(struct http_request *r)
{
    /* Without a tracked connection nobody else wakes it; with one, only whoever takes it. */
    if (!r->conn || atomic_exchange(&r->conn->sleeping, NULL) == r) resume(r);
}

void http_request_on_end(struct http_request *r, void (*fn)(void *), void *ctx)
{
    r->on_end = fn;
    r->on_end_ctx = ctx;
}

bool http_request_client_gone(const struct http_request *r)
{
    return atomic_load(&r->client_gone);
}

/* Hands the upgraded socket over to whoever asked for the upgrade. */
struct upgrade {
    http_upgraded_fn fn; /* told once */
    void *ctx;           /* for fn */
};

static void on_upgraded(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra,
                        size_t n, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    const struct upgrade *u = cls;
    u->fn(u->ctx, sock, extra, n, (struct http_upgraded *)urh);
}

void http_reply_upgrade(struct http_request *r, const char *const *headers,
                        http_upgraded_fn upgraded, void *ctx)
{
    struct upgrade *u = calloc(1, sizeof(*u));
    struct MHD_Response *resp = NULL;
    if (u) {
        *u = (struct upgrade){upgraded, ctx};
        /* The upgrade closure lives as long as the response: freed with the request. */
        resp = MHD_create_response_for_upgrade(on_upgraded, u);
        if (!resp)
            free(u);
        else
            r->upgrade = u;
    }
    queue_with(r, 101, resp, NULL, 0, headers, false);
}

void http_upgraded_close(struct http_upgraded *handle)
{
    MHD_upgrade_action((struct MHD_UpgradeResponseHandle *)handle, MHD_UPGRADE_ACTION_CLOSE);
}

struct header_walk {
    const struct http_request *r; /* whose headers */
    void (*fn)(void *cls, const char *name, const char *value);
    void *cls; /* for fn */
};

static enum MHD_Result walk_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    const struct header_walk *w = cls;
    if (!auth_header_is_identity(key, w->r->server->cfg->userid_header))
        w->fn(w->cls, key, value ? value : "");
    return MHD_YES;
}

void http_request_each_header(const struct http_request *r,
                              void (*fn)(void *cls, const char *name, const char *value), void *cls)
{
    struct header_walk w = {r, fn, cls};
    MHD_get_connection_values(r->mhd, MHD_HEADER_KIND, walk_header, &w);
}

void http_reply_static(struct http_request *r, unsigned status, const char *content_type,
                       const void *body, size_t len, const char *const *headers)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    queue(r, status, resp, content_type, len, headers);
}

void http_reply_copy(struct http_request *r, unsigned status, const char *content_type,
                     const void *body, size_t len, const char *const *headers)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    queue(r, status, resp, content_type, len, headers);
}

void http_reply_take(struct http_request *r, unsigned status, const char *content_type, void *body,
                     size_t len, const char *const *headers)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) free(body);
    queue(r, status, resp, content_type, len, headers);
}

void http_reply_fd(struct http_request *r, unsigned status, const char *content_type, int fd,
                   uint64_t size, const char *const *headers)
{
    struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);
    if (!resp) close(fd);
    queue(r, status, resp, content_type, size, headers);
}

/* ---------------------------------------------------------------- parking */

void http_request_suspend(struct http_request *r)
{
    r->state = REQ_PARKED;
    MHD_suspend_connection(r->mhd);
}

void http_request_resume(struct http_request *r, http_next_fn next)
{
    r->next = next;
    resume(r); /* on_access runs next on its worker's thread */
}

void http_request_take_body(struct http_request *r, http_body_fn fn, void *ctx)
{
    r->body_fn = fn;
    r->body_ctx = ctx;
    r->state = REQ_STREAMING;
}

bool http_request_streams_body(const struct http_request *r)
{
    return http_request_route_flags(r) & ROUTE_STREAM_BODY;
}

unsigned http_request_route_flags(const struct http_request *r)
{
    return r->match.route ? r->match.route->flags : 0;
}

void http_request_hold_body(struct http_request *r)
{
    MHD_suspend_connection(r->mhd);
}

void http_request_release_body(struct http_request *r)
{
    resume(r); /* on_access gets the rest of the body next */
}

void http_request_set_context(struct http_request *r, void *ctx, void (*free_fn)(void *))
{
    if (r->ctx_free && r->ctx != ctx) r->ctx_free(r->ctx);
    r->ctx = ctx;
    r->ctx_free = free_fn;
}

void *http_request_context(const struct http_request *r)
{
    return r->ctx;
}

void *http_request_take_context(struct http_request *r)
{
    void *ctx = r->ctx;
    r->ctx = NULL;
    r->ctx_free = NULL;
    return ctx;
}

int http_request_add_reply_header(struct http_request *r, const char *name, const char *value)
{
    if (r->n_reply_headers == REPLY_HEADERS_MAX) return -E2BIG;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -ENOMEM;
    }
    r->reply_headers[2 * r->n_reply_headers] = n;
    r->reply_headers[2 * r->n_reply_headers + 1] = v;
    r->n_reply_headers++;
    return 0;
}

void http_request_run_route(struct http_request *r)
{
    r->match.route->handler(r);
}

const struct identity *http_request_identity(const struct http_request *r)
{
    return r->who;
}

void http_request_set_identity(struct http_request *r, struct identity *who)
{
    identity_free(r->who);
    r->who = who;
}

/* ---------------------------------------------------------------- request accessors */

const char *http_request_method(const struct http_request *r)
{
    return r->method;
}

const char *http_request_path(const struct http_request *r)
{
    return r->path;
}

const char *http_request_raw_path(const struct http_request *r)
{
    return r->raw_path;
}

const char *http_request_raw_query(const struct http_request *r)
{
    return r->raw_query;
}

const char *http_request_id(const struct http_request *r)
{
    return r->id;
}

const struct http_server *http_request_server(const struct http_request *r)
{
    return r->server;
}

void *http_request_app(const struct http_request *r)
{
    return r->server->app;
}

struct upstream *http_request_engine(const struct http_request *r)
{
    return r->worker->engine;
}

const struct metrics *http_server_metrics(const struct http_server *s)
{
    return s->metrics;
}

const char *http_request_body(const struct http_request *r, size_t *ret_len)
{
    *ret_len = r->body.n;
    return buf_str(&r->body);
}

const char *http_request_param(const struct http_request *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->match.n_params; i++)
        if (r->match.params[i].name_len == n && memcmp(r->match.params[i].name, name, n) == 0)
            return r->params[i];
    return NULL;
}

const char *http_request_header(const struct http_request *r, const char *name)
{
    if (auth_header_is_identity(name, r->server->cfg->userid_header)) return NULL;
    return MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, name);
}

const struct sockaddr *http_request_peer(const struct http_request *r)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(r->mhd, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

const char *http_request_trusted_header(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, name);
}

const char *http_request_cookie(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->mhd, MHD_COOKIE_KIND, name);
}

/* A forwarding header, believed only from a trusted proxy. */
static const char *forwarded(const struct http_request *r, const char *name)
{
    if (auth_peers_empty(r->server->proxies) ||
        !auth_peers_contains(r->server->proxies, http_request_peer(r)))
        return NULL;
    return MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, name);
}

bool http_request_is_https(const struct http_request *r)
{
    if (r->tls) return true;
    const char *proto = forwarded(r, "X-Forwarded-Proto");
    return proto && strcasecmp(proto, "https") == 0;
}

/* host[:port] with a DNS name, an IPv4 address or a bracketed IPv6 address. */
static bool host_is_plain(const char *h)
{
    if (!*h || strlen(h) > 255) return false;
    for (; *h; h++)
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
              *h == '.' || *h == '-' || *h == ':' || *h == '[' || *h == ']'))
            return false;
    return true;
}

int http_request_origin(const struct http_request *r, char *out, size_t size)
{
    const char *host = forwarded(r, "X-Forwarded-Host");
    if (!host) host = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "Host");
    if (!host || !host_is_plain(host)) return -EINVAL;
    int n = snprintf(out, size, "%s://%s", http_request_is_https(r) ? "https" : "http", host);
    return n > 0 && (size_t)n < size ? 0 : -E2BIG;
}

const char *http_request_query(struct http_request *r, const char *name)
{
    const char *q = r->raw_query;
    while (*q) {
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        char *key;
        if (path_decode_component(q, klen, 1, &key) == 0) {
            int same = strcmp(key, name) == 0;
            free(key);
            if (same) {
                const char *v = eq ? eq + 1 : q + len;
                size_t vlen = (size_t)(q + len - v);
                char *value;
                if (path_decode_component(v, vlen, 1, &value) < 0) return NULL;
                struct owned *o = malloc(sizeof(*o) + strlen(value) + 1);
                if (!o) {
                    free(value);
                    return NULL;
                }
                strcpy(o->value, value);
                free(value);
                o->next = r->owned;
                r->owned = o;
                return o->value;
            }
        }
        q += len;
        if (*q == '&') q++;
    }
    return NULL;
}

/* ---------------------------------------------------------------- lifecycle */

static bool request_id_is_sane(const char *v)
{
    size_t n = 0;
    for (; v[n]; n++) {
        char c = v[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return n > 0 && n <= HTTP_REQUEST_ID_MAX;
}

static void assign_request_id(struct http_request *r)
{
    const char *sent = MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, "X-Request-Id");
    if (sent && request_id_is_sane(sent)) {
        snprintf(r->id, sizeof(r->id), "%s", sent);
        return;
    }
    /* The server's prefix, then the counter's low 32 bits: 24 hex digits, by hand (every
     * request comes this way). */
    uint64_t n = atomic_fetch_add(&r->server->id_counter, 1);
    unsigned char raw[12];
    for (int i = 0; i < 8; i++) raw[i] = (unsigned char)(r->server->id_prefix >> (56 - 8 * i));
    for (int i = 0; i < 4; i++) raw[8 + i] = (unsigned char)(n >> (24 - 8 * i));
    _Static_assert(sizeof(((struct http_request *)0)->id) > 2 * sizeof(raw), "id holds 24 digits");
    hex_encode(raw, sizeof(raw), r->id);
}

struct header_tally {
    size_t bytes; /* names and values, with ": " and CRLF */
    size_t count; /* header lines */
};

static enum MHD_Result tally_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct header_tally *t = cls;
    t->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    t->count++;
    return MHD_YES;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mhd)
{
    struct http_worker *w = cls;
    struct http_server *s = w->server;
    struct http_request *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->server = s;
    r->worker = w;
    r->started_us = clock_us();
    r->route_index = METRICS_NO_ROUTE;
    r->tls = MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_GNUTLS_SESSION) != NULL;
    buf_init(&r->body, (size_t)s->cfg->max_body_bytes);
    if (strlen(uri) <= (size_t)s->cfg->max_url_bytes) r->target = strdup(uri);
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    r->conn = info ? info->socket_context : NULL;
    if (r->conn) atomic_store(&r->conn->receiving_since, r->started_us);
    atomic_fetch_add(&s->in_flight, 1);
    metrics_in_flight(s->metrics, 1);
    return r;
}

static void copy_params(struct http_request *r)
{
    for (size_t i = 0; i < r->match.n_params; i++)
        r->params[i] = strndup(r->match.params[i].value, r->match.params[i].value_len);
}

/* The slice of the route table for the host r came to. */
static const struct route *table_for(const struct http_request *r, size_t *ret_n)
{
    const struct http_server *s = r->server;
    if (s->other_host && s->other_host(r)) {
        *ret_n = s->n_routes - s->n_own;
        return s->routes + s->n_own;
    }
    *ret_n = s->n_own;
    return s->routes;
}

static bool routes_stream_body(const struct http_request *r)
{
    struct route_match m;
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    size_t n;
    const struct route *table = table_for(r, &n);
    return router_match(table, n, method, r->path, &m, NULL, 0) == 0 &&
           (m.route->flags & ROUTE_STREAM_BODY);
}

static void dispatch(struct http_request *r);

/* Headers are in: enforce limits, name the request, route it when its route takes the body as
 * it comes (the others are routed once the body is in). */
static void begin(struct http_request *r, const char *method)
{
    struct http_server *s = r->server;
    const struct config *c = s->cfg;
    r->method = method;
    assign_request_id(r);

    bool normalized = false;
    if (r->target) {
        char *q = strchr(r->target, '?');
        r->raw_query = q ? q + 1 : "";
        size_t path_len = q ? (size_t)(q - r->target) : strlen(r->target);
        int e = path_normalize(r->target, path_len, &r->path, &r->raw_path);
        if (e == -E2BIG) {
            http_reply_error(r, 414, "request path too long");
            return;
        }
        if (e < 0) {
            http_reply_error(r, 400, "malformed request path");
            return;
        }
        normalized = true;
    }
    /* Only a request with a body is taken at its head: libmicrohttpd closes the connection
     * after any answer it is given that early. */
    const char *length =
        MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    bool has_body =
        (length && strcmp(length, "0") != 0) ||
        MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    bool streams = normalized && has_body && routes_stream_body(r);

    struct header_tally t = {0};
    MHD_get_connection_values(r->mhd, MHD_HEADER_KIND, tally_header, &t);
    struct limits_request measured = {
        .target_bytes = r->target ? strlen(r->target) : (size_t)c->max_url_bytes + 1,
        .header_bytes = t.bytes,
        .header_count = t.count,
        .open_connections = metrics_connections_open(s->metrics),
        /* A streamed body is bounded by its handler. */
        .content_length = streams ? NULL
                                  : MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND,
                                                                MHD_HTTP_HEADER_CONTENT_LENGTH),
    };
    struct limits_refusal refusal;
    if (limits_check(c, &measured, &refusal) < 0) {
        http_reply_error(r, refusal.status, refusal.message);
        return;
    }
    r->state = REQ_RECEIVING;
    if (streams) dispatch(r);
}

/* A handler must reply, park the request or take its body. */
static void check_replied(struct http_request *r)
{
    if (r->state != REQ_ANSWERED && r->state != REQ_PARKED && r->state != REQ_STREAMING)
        http_reply_error(r, 500, "handler gave no reply");
}

/* Find and run the request's handler: once the body is in, or at the head for
 * ROUTE_STREAM_BODY routes. */
static void dispatch(struct http_request *r)
{
    if (r->conn) atomic_store(&r->conn->receiving_since, 0);
    if (r->state == REQ_DISCARDING) {
        http_reply_error(r, 413, "request body too large");
        return;
    }
    struct http_server *s = r->server;
    const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
    char allow[64];
    size_t n;
    const struct route *table = table_for(r, &n);
    int e = router_match(table, n, method, r->path, &r->match, allow, sizeof(allow));
    if (e == -EPERM) {
        const char *headers[] = {"Allow", allow, NULL};
        char message[96];
        snprintf(message, sizeof(message), "method %.40s not allowed here", method);
        http_reply_error_with(r, 405, message, headers);
        return;
    }
    if (e < 0) {
        http_reply_error(r, 404, "not found");
        return;
    }
    r->route_index = (size_t)(r->match.route - s->routes);
    copy_params(r);
    for (size_t i = 0; i < r->match.n_params; i++) {
        if (!r->params[i]) {
            http_reply_error(r, 500, "out of memory");
            return;
        }
    }
    const struct route *route = r->match.route;
    if (route->flags & ROUTE_PUBLIC)
        route->handler(r);
    else
        s->gate(r);
    check_replied(r);
}

/* A parked request is back: run what its handler asked for next. */
static void resumed(struct http_request *r)
{
    http_next_fn next = r->next;
    r->next = NULL;
    r->state = REQ_RECEIVING;
    if (next) next(r);
    check_replied(r);
}

/* The next piece of a streamed body, or its end (*upload_size 0). */
static void stream_body(struct http_request *r, const char *upload, size_t *upload_size)
{
    if (*upload_size) {
        *upload_size -= r->body_fn(r->body_ctx, upload, *upload_size);
        return;
    }
    r->state = REQ_RECEIVING; /* the handler replies or parks now */
    r->body_fn(r->body_ctx, NULL, 0);
    check_replied(r);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mhd, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    struct http_request *r = *con_cls;
    if (!r) return MHD_NO; /* on_uri could not allocate: drop the connection */
    if (r->state == REQ_NEW) {
        r->mhd = mhd;
        begin(r, method);
        return r->failed ? MHD_NO : MHD_YES;
    }
    if (r->state == REQ_ANSWERED) {
        *upload_size = 0; /* early reply (413): libmicrohttpd closes after sending it */
        return MHD_YES;
    }
    if (r->state == REQ_PARKED) {
        resumed(r);
        return r->failed ? MHD_NO : MHD_YES;
    }
    if (r->state == REQ_STREAMING) {
        stream_body(r, upload, upload_size);
        return r->failed ? MHD_NO : MHD_YES;
    }
    if (*upload_size) {
        if (r->state == REQ_RECEIVING && buf_add(&r->body, upload, *upload_size) < 0)
            r->state = REQ_DISCARDING; /* chunked body past the limit */
        *upload_size = 0;
        return MHD_YES;
    }
    dispatch(r);
    return r->failed ? MHD_NO : MHD_YES;
}

static void log_access(const struct http_request *r, int64_t micros,
                       enum MHD_RequestTerminationCode toe)
{
    struct buf line;
    log_begin(&line, LOG_INFO, "request");
    log_str(&line, "request_id", r->id[0] ? r->id : NULL);
    log_str(&line, "method", r->method);
    if (r->path) {
        log_str(&line, "path", r->path);
    } else if (r->target) {
        /* Rejected before normalising: show what was sent, without the query (may hold tokens). */
        size_t n = strcspn(r->target, "?");
        char shown[256];
        snprintf(shown, sizeof(shown), "%.*s", (int)(n < 255 ? n : 255), r->target);
        log_str(&line, "path", shown);
    } else {
        log_str(&line, "path", NULL);
    }
    log_int(&line, "status", r->status);
    log_int(&line, "bytes", (int64_t)r->bytes);
    log_int(&line, "us", micros);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        log_str(&line, "end",
                toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED   ? "timeout"
                : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT    ? "client closed"
                : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
                                                                : "error");
    log_end(&line);
}

static void on_completed(void *cls, struct MHD_Connection *mhd, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_request *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    int64_t micros = clock_us() - r->started_us;
    if (r->conn) atomic_store(&r->conn->receiving_since, 0);
    metrics_observe(r->server->metrics, r->route_index, r->status, (uint64_t)micros);
    if (r->server->cfg->access_log && log_enabled(LOG_INFO)) log_access(r, micros, toe);
    metrics_in_flight(r->server->metrics, -1);
    atomic_fetch_sub(&r->server->in_flight, 1);
    for (size_t i = 0; i < r->match.n_params; i++) free(r->params[i]);
    while (r->owned) {
        struct owned *next = r->owned->next;
        free(r->owned);
        r->owned = next;
    }
    buf_reset(&r->body);
    if (r->ctx_free) r->ctx_free(r->ctx);
    if (r->on_end) r->on_end(r->on_end_ctx);
    identity_free(r->who);
    free(r->upgrade);
    for (size_t i = 0; i < 2 * r->n_reply_headers; i++) free(r->reply_headers[i]);
    free(r->path);
    free(r->raw_path);
    free(r->target);
    free(r);
}

static void on_connection(void *cls, struct MHD_Connection *mhd, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        metrics_connections(s->metrics, 1);
        struct http_conn *c = calloc(1, sizeof(*c));
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!c || !info) {
            free(c);
            *socket_context = NULL;
            return;
        }
        c->fd = info->connect_fd;
        atomic_store(&c->receiving_since, clock_us());
        pthread_mutex_lock(&s->conns_lock);
        c->next = s->conns;
        if (s->conns) s->conns->prev = c;
        s->conns = c;
        pthread_mutex_unlock(&s->conns_lock);
        *socket_context = c;
        return;
    }
    metrics_connections(s->metrics, -1);
    struct http_conn *c = *socket_context;
    if (!c) return;
    /* Unlinked before libmicrohttpd closes the fd, so the reaper never touches a reused fd. */
    pthread_mutex_lock(&s->conns_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    pthread_mutex_unlock(&s->conns_lock);
    free(c);
    *socket_context = NULL;
}

/* A sleeping stream's client hung up (it closed, or its connection broke): the stream wakes,
 * its producer sees http_request_client_gone and ends it, and its upstream call is cancelled,
 * rather than waiting for the next byte the upstream may send minutes later. */
static void wake_if_gone(struct http_conn *c)
{
    if (!atomic_load(&c->sleeping)) return;
    struct pollfd p = {.fd = c->fd, .events = POLLRDHUP};
    if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR))) return;
    struct http_request *r = atomic_exchange(&c->sleeping, NULL);
    if (!r) return; /* woken meanwhile by its producer */
    atomic_store(&r->client_gone, true);
    resume(r);
}

/* Closes connections whose client has taken longer than request_timeout_s to send a request,
 * and wakes the sleeping streams of clients that have gone. */
static void *reaper_main(void *arg)
{
    struct http_server *s = arg;
    int64_t limit = (int64_t)s->cfg->request_timeout_s * 1000000;
    while (!atomic_load(&s->stopping)) {
        struct timespec pause = {0, REAPER_INTERVAL_MS * 1000000L};
        nanosleep(&pause, NULL);
        int64_t now = clock_us();
        pthread_mutex_lock(&s->conns_lock);
        for (struct http_conn *c = s->conns; c; c = c->next) {
            int64_t since = atomic_load(&c->receiving_since);
            if (since && now - since > limit) {
                atomic_store(&c->receiving_since, 0);
                shutdown(c->fd, SHUT_RDWR);
                metrics_timeout(s->metrics);
            }
            wake_if_gone(c);
        }
        pthread_mutex_unlock(&s->conns_lock);
        if (s->tls_started) tls_reload_if_changed();
    }
    return NULL;
}

static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s); /* path.c decodes, once, after checking the raw form */
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    log_msg(LOG_WARN, "libmicrohttpd", "detail", msg);
}

int http_server_new(const struct config *c, const struct route *routes, size_t n_routes,
                    http_gate_fn gate, void *app, struct http_server **ret)
{
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s) return -ENOMEM;
    s->cfg = c;
    s->routes = routes;
    s->n_routes = n_routes;
    s->n_own = n_routes;
    s->gate = gate;
    s->app = app;
    int e = metrics_new(routes, n_routes, &s->metrics);
    if (e == 0) e = auth_peers_parse(c->trusted_proxies, &s->proxies);
    if (e < 0) {
        metrics_free(s->metrics);
        free(s);
        return e;
    }
    pthread_mutex_init(&s->conns_lock, NULL);
    if (getrandom(&s->id_prefix, sizeof(s->id_prefix), 0) != sizeof(s->id_prefix))
        s->id_prefix = (uint64_t)clock_us() ^ (uint64_t)getpid() << 32;
    for (size_t i = 0; i < LISTEN_MAX_FDS; i++) s->fds[i] = -1;
    *ret = s;
    return 0;
}

void http_server_serve_hosts(struct http_server *s, size_t n_own, http_host_fn other_host)
{
    s->n_own = n_own;
    s->other_host = other_host;
}

/* ---------------------------------------------------------------- workers */

/* The worker accepts no more connections. */
static void worker_quiesce(struct http_worker *w)
{
    w->quiesced = true;
    for (size_t i = 0; i < w->server->n_fds; i++)
        epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, w->server->fds[i], NULL);
    atomic_store(&w->quiesce_done, true);
}

#define ACCEPT_BATCH 64

/* New connections on listening socket i, to the worker's daemon for it (which closes one it
 * cannot take); false when the descriptor is not a listening socket. */
static bool worker_accept(struct http_worker *w, int fd)
{
    const struct http_server *s = w->server;
    size_t i = 0;
    while (i < s->n_fds && s->fds[i] != fd) i++;
    if (i == s->n_fds) return false;
    for (int n = 0; n < ACCEPT_BATCH && !w->quiesced; n++) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof(addr);
        int c = accept4(fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) break; /* none left (another worker took it), or the client gave up */
        MHD_add_connection(w->daemons[i], c, (struct sockaddr *)&addr, len);
    }
    return true;
}

/* Milliseconds until the first daemon wants a round (0: work left over), a second at most. */
static long daemons_wait_ms(const struct http_worker *w)
{
    long wait = 1000;
    for (size_t i = 0; i < w->server->n_fds; i++) {
        MHD_UNSIGNED_LONG_LONG ms;
        if (MHD_get_timeout(w->daemons[i], &ms) == MHD_YES && ms < (MHD_UNSIGNED_LONG_LONG)wait)
            wait = (long)ms;
    }
    return wait;
}

/* How long the loop may sleep: until the first daemon or the engine wants a round. */
static int worker_wait_ms(const struct http_worker *w)
{
    long wait = daemons_wait_ms(w);
    long due = w->engine ? upstream_due_ms(w->engine) : -1;
    if (due >= 0 && due < wait) wait = due;
    return (int)wait;
}

/* The loop's own set (wakes, listening sockets), the engine's and each daemon's, waited on side
 * by side rather than nested: an epoll set inside another makes every descriptor added to the
 * inner one (libmicrohttpd adds a connection back at each resume) take the kernel's global
 * nesting check, and every event on it wake both sets. */
enum { WAIT_LOOP, WAIT_ENGINE, WAIT_DAEMONS };

static nfds_t worker_wait_set(const struct http_worker *w, struct pollfd *set)
{
    set[WAIT_LOOP] = (struct pollfd){.fd = w->epoll_fd, .events = POLLIN};
    set[WAIT_ENGINE] =
        (struct pollfd){.fd = w->engine ? upstream_fd(w->engine) : -1, .events = POLLIN};
    for (size_t i = 0; i < w->server->n_fds; i++)
        set[WAIT_DAEMONS + i] = (struct pollfd){.fd = w->daemon_fds[i], .events = POLLIN};
    return WAIT_DAEMONS + w->server->n_fds;
}

static void *worker_main(void *arg)
{
    struct http_worker *w = arg;
    struct http_server *s = w->server;
    /* Made here: the thread that drives an engine is the one that made it. Without one,
     * proxied requests use the application's shared engine. */
    if (upstream_new_driven(s->cfg->connect_to, 0, &w->engine) < 0) {
        w->engine = NULL;
        log_msg(LOG_WARN, "cannot start a worker's upstream engine", "detail",
                "proxied requests use the shared one");
    }
    struct pollfd set[WAIT_DAEMONS + LISTEN_MAX_FDS];
    nfds_t n_set = worker_wait_set(w, set);
    struct epoll_event events[16];
    bool run_daemons = true, drive = w->engine != NULL;
    while (!atomic_load(&s->stopping)) {
        if (atomic_load(&s->draining) && !w->quiesced) worker_quiesce(w);
        /* The daemons when their sockets (or a wake) say so, the engine when its do or calls
         * were made from here; each may give the other work (a submitted call, a resumed
         * connection), so they take turns until neither has any. */
        while (run_daemons || drive) {
            w->resumed = false;
            if (run_daemons)
                for (size_t i = 0; i < s->n_fds; i++) MHD_run(w->daemons[i]);
            if (w->engine && (drive || upstream_pending(w->engine))) upstream_drive(w->engine);
            run_daemons = w->resumed;
            drive = false;
        }
        int n = poll(set, n_set, worker_wait_ms(w));
        /* What is due runs whatever else happened (a busy socket must not starve a timer). */
        run_daemons = n <= 0 || daemons_wait_ms(w) == 0;
        drive = w->engine && (n <= 0 || upstream_due_ms(w->engine) == 0);
        if (n <= 0) continue;
        drive = drive || set[WAIT_ENGINE].revents;
        for (nfds_t i = WAIT_DAEMONS; i < n_set; i++) run_daemons = run_daemons || set[i].revents;
        if (!set[WAIT_LOOP].revents) continue;
        /* a listening socket or a wake (quiesce, resume, stop) */
        run_daemons = true;
        int m = epoll_wait(w->epoll_fd, events, 16, 0);
        for (int i = 0; i < m; i++) {
            uint64_t count;
            if (worker_accept(w, events[i].data.fd)) continue;
            if (events[i].data.fd == w->wake_fd && read(w->wake_fd, &count, sizeof(count)) < 0) {
            }
        }
    }
    /* Calls still under way end (their requests resume and answer, or close with the daemon). */
    if (w->engine) upstream_free(w->engine);
    w->engine = NULL;
    for (size_t i = 0; i < s->n_fds; i++) {
        if (w->daemons[i]) MHD_run(w->daemons[i]);
        if (w->daemons[i]) MHD_stop_daemon(w->daemons[i]);
        w->daemons[i] = NULL;
    }
    return NULL;
}

/* A daemon of w for the connections it accepts on the listening socket fds[i]. */
static struct MHD_Daemon *start_daemon(struct http_server *s, struct http_worker *w, size_t i,
                                       unsigned limit)
{
    const struct config *c = s->cfg;
    /* libmicrohttpd answers 431/414 itself past its per-connection pool, and zeroes the whole
     * pool after every request: keep it just above our own limits. Above 32 KiB it maps the
     * pool from the system instead of taking it from malloc, so a crowd of connections gives
     * its memory back when it leaves (from malloc it stays with the allocator, where the next
     * crowd, on another worker thread, may not find it): at least 32 KiB and a page. */
    size_t pool = (size_t)c->max_header_bytes + (size_t)c->max_url_bytes + 8192;
    if (pool < POOL_MAPPED_MIN) pool = POOL_MAPPED_MIN;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_ALLOW_UPGRADE | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     (s->tls[i] ? MHD_USE_TLS : 0);
    /* Option, value pairs; the certificate's for HTTPS listeners only (libmicrohttpd takes no
     * TLS options without MHD_USE_TLS). */
    /* clang-format off */
    struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, /* first, or early messages miss it */
        MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, w,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, s,
        s->tls[i] ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, tls_retrieve,
        MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
        MHD_OPTION_END);
    /* clang-format on */
    return d;
}

/* Worker w's daemons and loop descriptors (its thread starts later); 0 or -errno with err. */
static int worker_prepare(struct http_server *s, struct http_worker *w, unsigned limit,
                          char err[HTTP_ERROR_MAX])
{
    w->server = s;
    w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = w->wake_fd};
    if (w->epoll_fd < 0 || w->wake_fd < 0 ||
        epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->wake_fd, &ev) < 0) {
        snprintf(err, HTTP_ERROR_MAX, "cannot make an event loop: %s", strerror(errno));
        return -EIO;
    }
    for (size_t i = 0; i < s->n_fds; i++) {
        w->daemons[i] = start_daemon(s, w, i, limit);
        const union MHD_DaemonInfo *info =
            w->daemons[i] ? MHD_get_daemon_info(w->daemons[i], MHD_DAEMON_INFO_EPOLL_FD) : NULL;
        w->daemon_fds[i] = info ? info->epoll_fd : -1;
        /* Every worker waiting in poll is woken by a new connection (EPOLLEXCLUSIVE only
         * spares those in epoll_wait); the first takes it, the others find none. Busy workers
         * are not woken at all. */
        struct epoll_event lev = {.events = EPOLLIN, .data.fd = s->fds[i]};
        if (!info || epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, s->fds[i], &lev) < 0) {
            char where[80];
            listen_describe(s->fds[i], where, sizeof(where));
            snprintf(err, HTTP_ERROR_MAX, "cannot start the HTTP daemon on %s", where);
            return -EIO;
        }
    }
    return 0;
}

int http_server_start(struct http_server *s, char err[HTTP_ERROR_MAX])
{
    const struct config *c = s->cfg;
    bool https = false;
    for (size_t i = 0; i < c->n_listen; i++) {
        size_t first = s->n_fds;
        int e = listen_open(c->listen[i], 1024, s->fds, &s->n_fds);
        if (e < 0) {
            snprintf(err, HTTP_ERROR_MAX, "cannot listen on %s: %s", c->listen[i], strerror(-e));
            return e;
        }
        for (size_t k = first; k < s->n_fds; k++) s->tls[k] = listen_is_tls(c->listen[i]);
        https = https || listen_is_tls(c->listen[i]);
    }
    if (https) {
        char why[TLS_ERROR_MAX];
        int e = tls_start(c, why);
        if (e < 0) {
            snprintf(err, HTTP_ERROR_MAX, "cannot serve HTTPS: %.200s", why);
            return e;
        }
        s->tls_started = true;
    }
    long threads = c->threads ? c->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (threads > WORKERS_MAX) threads = WORKERS_MAX;
    /* Every worker accepts on every listening socket; the connection limit is shared out. */
    unsigned hard_limit = (unsigned)(c->max_connections * 2 + 64);
    unsigned limit = (hard_limit + (unsigned)threads - 1) / (unsigned)threads;
    for (long k = 0; k < threads; k++) {
        struct http_worker *w = &s->workers[s->n_workers++];
        w->epoll_fd = w->wake_fd = -1;
        int e = worker_prepare(s, w, limit, err);
        if (e < 0) return e;
    }
    for (size_t i = 0; i < s->n_fds; i++) {
        char where[80], address[96];
        listen_describe(s->fds[i], where, sizeof(where));
        snprintf(address, sizeof(address), "%s%s", s->tls[i] ? LISTEN_TLS_PREFIX : "", where);
        log_msg(LOG_INFO, "listening", "address", address);
    }
    for (size_t k = 0; k < s->n_workers; k++) {
        struct http_worker *w = &s->workers[k];
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, HTTP_ERROR_MAX, "cannot start an HTTP worker thread");
            return -EAGAIN;
        }
        w->started = true;
    }
    if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
        snprintf(err, HTTP_ERROR_MAX, "cannot start the reaper thread");
        return -EAGAIN;
    }
    s->reaper_started = true;
    return 0;
}

void http_server_quiesce(struct http_server *s)
{
    if (atomic_exchange(&s->draining, true)) return;
    for (size_t k = 0; k < s->n_workers; k++) worker_wake(&s->workers[k]);
    /* Each worker stops accepting (takes the sockets out of its own epoll set); then the
     * sockets shut down, refusing new connections at once. */
    int64_t deadline = clock_ms() + QUIESCE_WAIT_MS;
    for (size_t k = 0; k < s->n_workers; k++) {
        while (s->workers[k].started && !atomic_load(&s->workers[k].quiesce_done) &&
               clock_ms() < deadline) {
            struct timespec pause = {0, 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    for (size_t i = 0; i < s->n_fds; i++)
        if (s->fds[i] >= 0) shutdown(s->fds[i], SHUT_RDWR);
}

bool http_server_draining(const struct http_server *s)
{
    return atomic_load(&s->draining);
}

int64_t http_server_drain(struct http_server *s, int64_t timeout_ms)
{
    int64_t deadline = clock_us() + timeout_ms * 1000;
    while (atomic_load(&s->in_flight) > 0 && clock_us() < deadline) {
        struct timespec pause = {0, 10 * 1000000L};
        nanosleep(&pause, NULL);
    }
    return atomic_load(&s->in_flight);
}

void http_server_free(struct http_server *s)
{
    if (!s) return;
    atomic_store(&s->stopping, true);
    if (s->reaper_started) pthread_join(s->reaper, NULL);
    for (size_t k = 0; k < s->n_workers; k++) {
        struct http_worker *w = &s->workers[k];
        if (w->started) {
            worker_wake(w);
            pthread_join(w->thread, NULL); /* its daemons stop on its thread */
        }
        for (size_t i = 0; i < s->n_fds; i++)
            if (w->daemons[i]) MHD_stop_daemon(w->daemons[i]); /* never started */
        if (w->epoll_fd >= 0) close(w->epoll_fd);
        if (w->wake_fd >= 0) close(w->wake_fd);
    }
    for (size_t i = 0; i < s->n_fds; i++)
        if (s->fds[i] >= 0) close(s->fds[i]);
    pthread_mutex_destroy(&s->conns_lock);
    auth_peers_free(s->proxies);
    metrics_free(s->metrics);
    if (s->tls_started) tls_stop();
    free(s);
}
