/* proxy: the streaming HTTP reverse proxy; see proxy.h. */
#include "server/proxy/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "auth/headers.h"
#include "auth/identity.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/ring.h"
#include "lib/upstream.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/kfdash.h"
#include "server/proxy/tunnel.h"

#define PIPE_BYTES       (64 << 10) /* answer bytes held between upstream and client, at most */
#define UPLOAD_BYTES     (64 << 10) /* request body bytes held between client and upstream */
#define REQUEST_HEAD_MAX 200        /* header lines sent upstream */
#define LINE_MAX_BYTES   16384

/* Headers that belong to one connection, not to the message (RFC 9110 7.6.1), and those the
 * proxy sets itself. */
static bool is_hop_by_hop(const char *name)
{
    static const char *const names[] = {
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Proxy-Connection",
        "Content-Length",
        "Expect",
        "Host",
        "X-Forwarded-For",
        "X-Forwarded-Proto",
        "X-Forwarded-Host",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i]) == 0) return true;
    return false;
}

/* ---------------------------------------------------------------- the pipe */

/* One proxied exchange, shared by the HTTP side and the engine side; the last to let go frees
 * it. Everything below `lock` is guarded by it. */
struct pipe {
    pthread_mutex_t lock;
    int refs;                /* the HTTP side and the engine side */
    struct http_request *r;  /* while the request lives */
    struct upstream *engine; /* where the call runs */
    uint64_t call;           /* the engine's id of the call */
    bool engine_done;        /* done was called */
    int error;               /* how the call ended, 0 = well */
    char detail[UPSTREAM_DETAIL_MAX];
    bool head_in;          /* status and head below are set */
    long status;           /* the answer's */
    char **head;           /* "Name", "value" pairs to send on, NULL-terminated */
    uint64_t size;         /* Content-Length, or HTTP_SIZE_UNKNOWN */
    struct ring down;      /* answer bytes not yet sent (heap, made with the head: its
                              Content-Length, PIPE_BYTES at most) */
    bool paused;           /* the engine was told to pause: unpause after a read */
    bool sleeping;         /* the client's connection sleeps until data or the end */
    bool waiting_head;     /* the request is parked until the head (or a failure) */
    bool sandbox;          /* the answer gets kfdash's sandboxing headers instead of its own */
    char *location_prefix; /* put in front of the path of a Location the upstream sends */
    char *location_base;   /* the upstream's scheme://authority, for absolute Locations */
    /* A streamed request body, client → upload ring → upstream. */
    struct ring up; /* body bytes not yet sent upstream (UPLOAD_BYTES, heap; none: not streamed) */
    unsigned long long up_bytes, up_limit; /* taken so far; most allowed */
    bool up_end;                           /* the client sent all of it */
    bool up_paused;                        /* the engine waits for body bytes */
    bool up_held;                          /* the client's connection waits for room */
    bool up_too_big; /* over up_limit: the call is cancelled, the answer is 413 */
};

static void pipe_unref(struct pipe *p)
{
    pthread_mutex_lock(&p->lock);
    bool last = --p->refs == 0;
    pthread_mutex_unlock(&p->lock);
    if (!last) return;
    free(p->head);
    free(p->down.data);
    free(p->up.data);
    free(p->location_prefix);
    free(p->location_base);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* The request ended (answered, or the client went away): the HTTP side lets go. */
static void pipe_http_end(void *ctx)
{
    struct pipe *p = ctx;
    pthread_mutex_lock(&p->lock);
    p->r = NULL;
    bool running = !p->engine_done;
    pthread_mutex_unlock(&p->lock);
    if (running) upstream_cancel(p->engine, p->call);
    pipe_unref(p);
}

/* ---------------------------------------------------------------- HTTP side */

static void reply_failure(struct http_request *r, int error, const char *detail)
{
    unsigned status = error == -ETIMEDOUT ? 504 : error == -EBUSY ? 503 : 502;
    log_msg(LOG_WARN, "upstream failed", "detail", detail);
    const char *accept = http_request_header(r, "Accept");
    const char *what = status == 504   ? "the application did not answer in time"
                       : status == 503 ? "too many requests under way; try again"
                       : error == -EIO || error == -EMSGSIZE
                           ? "the application's answer was cut short or is not valid HTTP"
                           : "the application cannot be reached";
    if (accept && strstr(accept, "text/html") && !strstr(accept, "application/json")) {
        struct buf b;
        buf_init(&b, 4096);
        buf_addf(&b,
                 "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%u"
                 "</title></head><body style=\"font-family:sans-serif;max-width:40em;margin:"
                 "4em auto\"><h1>%u</h1><p>",
                 status, status);
        buf_add_html_escaped(&b, what);
        buf_adds(&b, ".</p><p><a href=\"\">Try again</a></p></body></html>");
        size_t len;
        char *body = buf_take(&b, &len);
        if (body) {
            http_reply_take(r, status, "text/html; charset=utf-8", body, len, NULL);
            return;
        }
    }
    http_reply_error(r, status, what);
}

static long pipe_read(void *ctx, char *out, size_t max)
{
    struct pipe *p = ctx;
    pthread_mutex_lock(&p->lock);
    long n = 0;
    bool unpause = false;
    if (http_request_client_gone(p->r)) {
        n = HTTP_STREAM_ERROR; /* the upstream call is cancelled as the request ends */
    } else if (ring_len(&p->down)) {
        n = (long)ring_get(&p->down, out, max);
        /* Not before the pipe is drained: each pause costs a copy of the piece libcurl
         * offered (it keeps it until unpaused), so the fewer the better. */
        unpause = p->paused && ring_len(&p->down) == 0;
        if (unpause) p->paused = false;
    } else if (p->engine_done) {
        n = p->error ? HTTP_STREAM_ERROR : HTTP_STREAM_END;
    } else {
        /* Nothing yet: the connection sleeps; data or the end wakes it (under this lock, so
         * the wake cannot come before the sleep). */
        p->sleeping = true;
        http_stream_sleep(p->r);
    }
    uint64_t call = p->call;
    unpause = unpause && !p->engine_done; /* a driven engine may be gone once its calls are */
    pthread_mutex_unlock(&p->lock);
    if (unpause) upstream_unpause(p->engine, call);
    return n;
}

/* When the upstream's whole answer is in the pipe already (small answers are, by the time the
 * client's worker gets to them): its bytes, to send with the head in one write: the pipe's own
 * buffer when they lie at its start (nothing was read from it yet: no copy), else a copy. NULL
 * when it must stream: no body to count on (HEAD, 1xx, 204, 304), or not all of it came. The
 * lock is held. */
static char *take_whole_answer(struct http_request *r, struct pipe *p, size_t *ret_len)
{
    size_t n = ring_len(&p->down);
    if (strcmp(http_request_method(r), "HEAD") == 0 || p->status < 200 || p->status == 204 ||
        p->status == 304 || (p->size != HTTP_SIZE_UNKNOWN && p->size != n))
        return NULL;
    char *bytes = p->down.data;
    if (n && p->down.start == 0) {
        ring_init(&p->down, NULL, 0); /* the reply frees it */
    } else if ((bytes = malloc(n ? n : 1))) {
        n = ring_get(&p->down, bytes, n);
    }
    *ret_len = n;
    return bytes;
}

/* The answer's head is in (or the call failed before it): answer the client. */
static void head_arrived(struct http_request *r)
{
    struct pipe *p = http_request_context(r);
    pthread_mutex_lock(&p->lock);
    bool head_in = p->head_in;
    int error = p->error;
    char detail[UPSTREAM_DETAIL_MAX] = "";
    if (!head_in) snprintf(detail, sizeof(detail), "%s", p->detail);
    size_t whole_len = 0;
    char *whole = head_in && p->engine_done && !error ? take_whole_answer(r, p, &whole_len) : NULL;
    pthread_mutex_unlock(&p->lock);
    if (!head_in) {
        reply_failure(r, error ? error : -EIO, detail);
        return;
    }
    if (whole) {
        http_reply_relayed(r, (unsigned)p->status, (const char *const *)p->head, whole, whole_len);
        return;
    }
    /* The head is only read here and freed with the pipe: no lock needed for it. */
    http_reply_stream(r, (unsigned)p->status, p->size, (const char *const *)p->head, pipe_read, p);
}

/* ---------------------------------------------------------------- engine side */

static void wake_locked(struct pipe *p)
{
    if (p->sleeping && p->r) {
        p->sleeping = false;
        http_stream_wake(p->r);
    }
}

/* The head (or the end) is in: a request parked for it resumes; one still sending its body
 * gets room, so that the rest of its body is read (and dropped) and the answer goes out at its
 * end. */
static void answer_locked(struct pipe *p)
{
    if (!p->r) return;
    if (p->waiting_head) {
        p->waiting_head = false;
        http_request_resume(p->r, head_arrived);
    } else if (p->up_held) {
        p->up_held = false;
        http_request_release_body(p->r);
    }
}

/* A Location of an application that thinks it serves at / (base: its scheme://authority), as
 * the client must follow it: a path, or a URL of the application itself, goes under prefix;
 * anything else is left alone. Heap; NULL without memory. */
static char *prefixed_location(const char *prefix, const char *base, const char *value)
{
    const char *path = value;
    size_t base_len = strlen(base);
    if (strncasecmp(value, base, base_len) == 0 &&
        (value[base_len] == '/' || value[base_len] == '\0'))
        path = value[base_len] ? value + base_len : "/";
    else if (value[0] != '/' || value[1] == '/')
        return strdup(value); /* relative to the current path, or another site */
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) == 0 && (path[n] == '/' || path[n] == '\0' || path[n] == '?'))
        return strdup(path);
    char *out = malloc(n + strlen(path) + 1);
    if (out) sprintf(out, "%s%s", prefix, path);
    return out;
}

/* What a sandboxed answer carries instead of the upstream's own (proxy_target.sandbox). */
static const char *const sandboxing[] = {"Content-Security-Policy", "sandbox; default-src 'none'",
                                         "X-Content-Type-Options", "nosniff"};

/* Whether the answer's header line name: value stays out of what the client gets. */
static bool dropped_from_answer(const struct pipe *p, const char *name, const char *value)
{
    /* An application may not set kfdash's cookies (session fixation, a planted CSRF token). */
    return is_hop_by_hop(name) || strcasecmp(name, "Date") == 0 ||
           strcasecmp(name, "Server") == 0 || auth_sets_kfdash_cookie(name, value) ||
           (p->sandbox &&
            (strcasecmp(name, sandboxing[0]) == 0 || strcasecmp(name, sandboxing[2]) == 0));
}

/* The answer's header lines as the client gets them: name, value, ..., NULL, in one
 * allocation (one free); *size: its Content-Length, if valid. NULL without memory. */
static char **relayed_head(const struct pipe *p, const char *const *lines, size_t n, uint64_t *size)
{
    size_t extra = p->sandbox ? 4 : 0;
    /* A line "name: value" becomes "name\0value\0"; a Location under the prefix grows by it
     * at most. */
    size_t grow = p->location_prefix ? strlen(p->location_prefix) : 0, room = 0;
    for (size_t i = 0; i < n; i++) room += strlen(lines[i]) + 2 + grow;
    char **head = malloc((2 * n + extra + 1) * sizeof(char *) + room);
    if (!head) return NULL;
    char *next = (char *)(head + 2 * n + extra + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(lines[i], ':');
        if (!colon) continue;
        const char *value = colon + 1;
        while (*value == ' ' || *value == '\t') value++;
        char *name = next;
        memcpy(name, lines[i], (size_t)(colon - lines[i]));
        name[colon - lines[i]] = '\0';
        if (strcasecmp(name, "Content-Length") == 0) {
            char *end;
            unsigned long long v = strtoull(value, &end, 10);
            if (*value && !*end) *size = v;
        }
        if (dropped_from_answer(p, name, value)) continue;
        bool relocate = p->location_prefix && strcasecmp(name, "Location") == 0;
        char *moved =
            relocate ? prefixed_location(p->location_prefix, p->location_base, value) : NULL;
        if (relocate && !moved) continue; /* without memory it does not go */
        const char *kept = moved ? moved : value;
        size_t len = strlen(kept);
        char *copy = name + (colon - lines[i]) + 1;
        memcpy(copy, kept, len + 1);
        free(moved);
        head[k++] = name;
        head[k++] = copy;
        next = copy + len + 1;
    }
    for (size_t j = 0; j < extra; j++) head[k++] = (char *)sandboxing[j];
    head[k] = NULL;
    return head;
}

static void on_head(void *ctx, long status, const char *const *lines, size_t n)
{
    struct pipe *p = ctx;
    uint64_t size = HTTP_SIZE_UNKNOWN;
    char **head = relayed_head(p, lines, n, &size);
    /* Room for the answer: all of a small one, PIPE_BYTES of a larger or unknown one. */
    size_t room = size < PIPE_BYTES ? (size_t)size + 1 : PIPE_BYTES;
    char *bytes = head ? malloc(room) : NULL;
    if (!bytes) {
        free(head);
        head = NULL;
    }
    pthread_mutex_lock(&p->lock);
    ring_init(&p->down, bytes, bytes ? room : 0);
    p->head = head;
    p->status = head ? status : 502;
    p->size = size;
    p->head_in = head != NULL;
    answer_locked(p);
    pthread_mutex_unlock(&p->lock);
}

static size_t on_data(void *ctx, const char *data, size_t len)
{
    struct pipe *p = ctx;
    pthread_mutex_lock(&p->lock);
    size_t took = UPSTREAM_PAUSE;
    if (!p->r) {
        took = len; /* nobody to send it to: drop, the call is being cancelled */
    } else if (ring_room(&p->down) >= len) {
        took = ring_put(&p->down, data, len);
        wake_locked(p);
    } else {
        p->paused = true; /* the client is slower: hold the upstream until it drains */
        wake_locked(p);
    }
    pthread_mutex_unlock(&p->lock);
    return took;
}

static void on_done(void *ctx, int error, const char *detail)
{
    struct pipe *p = ctx;
    pthread_mutex_lock(&p->lock);
    p->engine_done = true;
    p->error = error;
    if (error || !p->head_in) snprintf(p->detail, sizeof(p->detail), "%s", detail);
    if (!p->head_in) answer_locked(p);
    wake_locked(p);
    pthread_mutex_unlock(&p->lock);
    pipe_unref(p);
}

/* The engine wants body bytes for the upstream. */
static size_t on_read(void *ctx, char *out, size_t max)
{
    struct pipe *p = ctx;
    pthread_mutex_lock(&p->lock);
    size_t n = 0;
    if (ring_len(&p->up)) {
        n = ring_get(&p->up, out, max);
        if (p->up_held && p->r) {
            p->up_held = false;
            http_request_release_body(p->r);
        }
    } else if (!p->up_end) {
        p->up_paused = true;
        n = UPSTREAM_PAUSE;
    }
    pthread_mutex_unlock(&p->lock);
    return n;
}

static const struct upstream_stream_ops pipe_ops = {on_head, on_data, on_done, on_read};

/* ---------------------------------------------------------------- a streamed request body */

/* The client's body has all come (or was too big): answer now if the upstream has, else park
 * until it does. */
static void body_ended(struct pipe *p)
{
    struct http_request *r = p->r;
    pthread_mutex_lock(&p->lock);
    bool too_big = p->up_too_big, answered = p->head_in || p->engine_done;
    if (!too_big && !answered) {
        p->waiting_head = true;
        http_request_suspend(r); /* under the lock: the head cannot resume it first */
    }
    pthread_mutex_unlock(&p->lock);
    if (too_big)
        http_reply_error(r, 413, "request body too large for this application");
    else if (answered)
        head_arrived(r);
}

/* A piece of the client's body (HTTP thread): into the upload ring, as much as fits. */
static size_t take_body(void *ctx, const char *data, size_t len)
{
    struct pipe *p = ctx;
    if (!len) {
        pthread_mutex_lock(&p->lock);
        p->up_end = true;
        bool unpause = p->up_paused;
        p->up_paused = false;
        pthread_mutex_unlock(&p->lock);
        if (unpause) upstream_unpause(p->engine, p->call);
        body_ended(p);
        return 0;
    }
    pthread_mutex_lock(&p->lock);
    if (p->up_too_big) {
        pthread_mutex_unlock(&p->lock);
        return len; /* dropped: the answer will be 413 */
    }
    p->up_bytes += len;
    if ((p->head_in || p->engine_done) && p->up_bytes <= p->up_limit) {
        /* The upstream answered (or failed) before the body ended: drop the rest, answer at
         * its end; answering now would make the client's send fail before it reads. */
        pthread_mutex_unlock(&p->lock);
        return len;
    }
    if (p->head_in || p->engine_done) {
        pthread_mutex_unlock(&p->lock);
        head_arrived(p->r); /* and past the limit: answer now, the connection closes after */
        return len;
    }
    if (p->up_bytes > p->up_limit) {
        p->up_too_big = true;
        pthread_mutex_unlock(&p->lock);
        upstream_cancel(p->engine, p->call);
        return len;
    }
    size_t n = ring_put(&p->up, data, len);
    p->up_bytes -= len - n; /* counted again when offered again */
    if (n < len) {
        p->up_held = true;
        http_request_hold_body(p->r); /* under the lock: on_read cannot release it first */
    }
    bool unpause = n && p->up_paused;
    if (unpause) p->up_paused = false;
    pthread_mutex_unlock(&p->lock);
    if (unpause) upstream_unpause(p->engine, p->call);
    return n;
}

/* ---------------------------------------------------------------- the request */

struct outgoing {
    struct buf text;                 /* the lines, each ended by a NUL */
    size_t starts[REQUEST_HEAD_MAX]; /* where each line starts in text */
    size_t n;                        /* lines used */
    bool overflow;                   /* too many, or too long */
    bool drop_authorization;         /* the bearer proved the user to kfdash: keep it here */
    bool drop_cookies;               /* none of the client's cookies go on */
    const char *accept;              /* sent instead of the client's Accept, or NULL */
    const char *const *drop;         /* client headers not to pass on, or NULL */
};

/* A line "name: value" (name NULL: value is the whole line), prefix (or NULL) before value.
 * Put together by hand: this runs a dozen times for every proxied request. */
static void add_line(struct outgoing *o, const char *name, const char *prefix, const char *value)
{
    if (o->n == REQUEST_HEAD_MAX) {
        o->overflow = true;
        return;
    }
    size_t start = o->text.n;
    if (name) {
        buf_adds(&o->text, name);
        buf_add(&o->text, ": ", 2);
    }
    if (prefix) buf_adds(&o->text, prefix);
    buf_adds(&o->text, value);
    buf_add(&o->text, "", 1);
    if (buf_error(&o->text) || o->text.n - start > LINE_MAX_BYTES) o->overflow = true;
    o->starts[o->n++] = start;
}

/* Line i (valid until text changes). */
static const char *line_at(const struct outgoing *o, size_t i)
{
    return buf_str(&o->text) + o->starts[i];
}

/* The Cookie header without kfdash's own cookies. */
static void add_cookies(struct outgoing *o, const char *value)
{
    struct buf kept;
    buf_init(&kept, LINE_MAX_BYTES);
    const char *c = value;
    while (*c) {
        while (*c == ' ' || *c == ';') c++;
        size_t n = strcspn(c, ";");
        if (n && !auth_cookie_is_kfdash(c, strcspn(c, "=;")))
            buf_addf(&kept, "%s%.*s", kept.n ? "; " : "", (int)n, c);
        c += n;
    }
    if (kept.n) add_line(o, "Cookie", NULL, buf_str(&kept));
    buf_reset(&kept);
}

static void pass_header(void *cls, const char *name, const char *value)
{
    struct outgoing *o = cls;
    if (is_hop_by_hop(name)) return;
    if (strcasecmp(name, "Accept") == 0 && o->accept) return;
    for (size_t i = 0; o->drop && o->drop[i]; i++)
        if (strcasecmp(name, o->drop[i]) == 0) return;
    if (strcasecmp(name, "Authorization") == 0 && o->drop_authorization) return;
    if (strcasecmp(name, "Cookie") == 0) {
        if (!o->drop_cookies) add_cookies(o, value);
        return;
    }
    add_line(o, name, NULL, value);
}

static void peer_text(const struct http_request *r, char *out, size_t size)
{
    const struct sockaddr *sa = http_request_peer(r);
    snprintf(out, size, "unknown");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
}

/* Every header line to send upstream, from the client's and the user's identity. */
static void collect_headers(struct http_request *r, const struct proxy_target *t,
                            struct outgoing *o)
{
    const struct identity *who = http_request_identity(r);
    o->drop_authorization = t->authorization || (who && who->source != IDENTITY_SESSION &&
                                                 who->source != IDENTITY_GATEWAY);
    o->drop_cookies = t->impersonate;
    o->accept = t->accept;
    o->drop = t->drop_headers;
    http_request_each_header(r, pass_header, o);
    if (t->accept) add_line(o, "Accept", NULL, t->accept);
    if (t->authorization && *t->authorization) add_line(o, NULL, NULL, t->authorization);
    if (t->extra_header) add_line(o, NULL, NULL, t->extra_header);
    const char *host = http_request_header(r, "Host");
    if (t->keep_host && host) add_line(o, "Host", NULL, host);
    char peer[64];
    peer_text(r, peer, sizeof(peer));
    add_line(o, "X-Forwarded-For", NULL, peer);
    add_line(o, "X-Forwarded-Proto", NULL, http_request_is_https(r) ? "https" : "http");
    if (host) add_line(o, "X-Forwarded-Host", NULL, host);
    if (!who) return;
    if (t->impersonate) {
        add_line(o, "Impersonate-User", NULL, who->email);
        for (size_t i = 0; i < who->n_groups; i++)
            add_line(o, "Impersonate-Group", NULL, who->groups[i]);
        return;
    }
    char *groups = identity_groups_joined(who);
    const struct config *cfg = kfdash_of(r)->cfg;
    add_line(o, cfg->userid_header, cfg->userid_prefix, who->email);
    add_line(o, "X-Forwarded-User", NULL, who->email);
    add_line(o, "X-Forwarded-Email", NULL, who->email);
    if (groups && *groups) {
        add_line(o, "kubeflow-groups", NULL, groups);
        add_line(o, "X-Forwarded-Groups", NULL, groups);
    }
    free(groups);
}

static bool wants_upgrade(const struct http_request *r)
{
    const char *upgrade = http_request_header(r, "Upgrade");
    const char *connection = http_request_header(r, "Connection");
    return upgrade && connection && strcasestr(connection, "upgrade");
}

/* A WebSocket: the handshake goes upstream as it came, then the tunnel relays. */
static void forward_upgrade(struct http_request *r, const struct proxy_target *t,
                            const char *path_and_query, struct outgoing *o)
{
    if (strncmp(t->base_url, "http://", 7) != 0) {
        http_reply_error(r, 502, "WebSockets to an https application are not supported");
        return;
    }
    const char *authority = t->base_url + 7;
    size_t authority_len = strcspn(authority, "/");
    const char *prefix = authority + authority_len;
    struct buf head;
    buf_init(&head, 16384);
    buf_addf(&head, "%s %s%s HTTP/1.1\r\n", http_request_method(r), prefix, path_and_query);
    if (!t->keep_host) buf_addf(&head, "Host: %.*s\r\n", (int)authority_len, authority);
    for (size_t i = 0; i < o->n; i++) buf_addf(&head, "%s\r\n", line_at(o, i));
    buf_addf(&head, "Connection: Upgrade\r\nUpgrade: %s\r\n\r\n",
             http_request_header(r, "Upgrade"));
    if (buf_error(&head))
        http_reply_error(r, 431, "the WebSocket handshake is too large to forward");
    else
        tunnel_open(r, t->base_url, buf_str(&head), t->idle_timeout_s);
    buf_reset(&head);
}

/* Whether the client sends a body (Content-Length above 0, or chunked); *ret_size: its
 * Content-Length, or -1 when chunked. */
static bool sends_body(const struct http_request *r, long long *ret_size)
{
    const char *te = http_request_header(r, "Transfer-Encoding");
    const char *cl = http_request_header(r, "Content-Length");
    if (te && strcasestr(te, "chunked")) return true;
    char *end;
    long long n = cl ? strtoll(cl, &end, 10) : 0;
    if (cl && (*end || n < 0)) n = 0; /* libmicrohttpd refuses these before us */
    *ret_size = n;
    return n > 0;
}

static void forward_http(struct http_request *r, const struct proxy_target *t,
                         const char *path_and_query, struct outgoing *o)
{
    struct buf url;
    buf_init(&url, 16384);
    buf_addf(&url, "%s%s", t->base_url, path_and_query);
    const char *lines[REQUEST_HEAD_MAX + 1];
    for (size_t i = 0; i < o->n; i++) lines[i] = line_at(o, i);
    lines[o->n] = NULL;
    struct pipe *p = calloc(1, sizeof(*p));
    if (buf_error(&url) || !p) {
        free(p);
        http_reply_error(r, 500, "out of memory");
        buf_reset(&url);
        return;
    }
    size_t body_len;
    const char *body = http_request_body(r, &body_len);
    const char *method = http_request_method(r);
    bool has_body = body_len || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
                                 strcmp(method, "DELETE") != 0);
    long long size = -1;
    bool streams = http_request_streams_body(r) && sends_body(r, &size);
    if (streams && size > t->max_body_bytes) {
        free(p);
        buf_reset(&url);
        http_reply_error(r, 413, "request body too large for this application");
        return;
    }
    if (streams) {
        ring_init(&p->up, malloc(UPLOAD_BYTES), UPLOAD_BYTES);
        p->up_limit = (unsigned long long)t->max_body_bytes;
    }
    if (t->location_prefix) {
        const char *authority = strstr(t->base_url, "://");
        size_t n = authority ? (size_t)(authority + 3 - t->base_url) + strcspn(authority + 3, "/")
                             : strlen(t->base_url);
        p->location_prefix = strdup(t->location_prefix);
        p->location_base = strndup(t->base_url, n);
    }
    if ((streams && !p->up.data) ||
        (t->location_prefix && (!p->location_prefix || !p->location_base))) {
        free(p->up.data);
        free(p->location_prefix);
        free(p->location_base);
        free(p);
        buf_reset(&url);
        http_reply_error(r, 500, "out of memory");
        return;
    }
    struct upstream_call call = {.method = method,
                                 .url = buf_str(&url),
                                 .headers = lines,
                                 .body = has_body && !streams ? body : NULL,
                                 .body_len = streams ? 0 : body_len,
                                 .connect_timeout_ms = t->connect_timeout_ms,
                                 .idle_timeout_s = t->idle_timeout_s,
                                 .tls = t->tls,
                                 .body_streams = streams,
                                 .streamed_body_size = size};
    pthread_mutex_init(&p->lock, NULL);
    p->refs = 2;
    p->r = r;
    p->size = HTTP_SIZE_UNKNOWN;
    p->sandbox = t->sandbox;
    p->engine = http_request_engine(r);
    if (!p->engine) p->engine = kfdash_of(r)->engine; /* no worker loop (unit tests) */
    http_request_set_context(r, p, pipe_http_end);
    pthread_mutex_lock(&p->lock); /* the engine may answer before p->call is set */
    if (!streams) {
        p->waiting_head = true;
        http_request_suspend(r);
    }
    int e = upstream_stream(p->engine, &call, &pipe_ops, p, &p->call);
    if (e < 0) {
        p->refs--; /* the engine side never starts */
        p->engine_done = true;
        p->error = e;
        snprintf(p->detail, sizeof(p->detail), "cannot start the call: %s", strerror(-e));
        answer_locked(p);
    }
    pthread_mutex_unlock(&p->lock);
    if (streams && e < 0)
        head_arrived(r);
    else if (streams)
        http_request_take_body(r, take_body, p);
    buf_reset(&url);
}

void proxy_forward(struct http_request *r, const struct proxy_target *t, const char *path_and_query)
{
    struct outgoing o = {0};
    buf_init(&o.text, (size_t)REQUEST_HEAD_MAX * LINE_MAX_BYTES);
    collect_headers(r, t, &o);
    if (o.overflow)
        http_reply_error(r, 431, "too many or too large headers to forward");
    else if (wants_upgrade(r))
        forward_upgrade(r, t, path_and_query, &o);
    else
        forward_http(r, t, path_and_query, &o);
    buf_reset(&o.text);
}
