/* tunnel: the WebSocket relay; see tunnel.h. */
#include "server/proxy/tunnel.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/headers.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/ring.h"
#include "lib/upstream.h"
#include "server/http/http.h"
#include "server/kfdash.h"

#define CONNECT_TIMEOUT_MS 5000
#define HEAD_MAX_BYTES     16384
#define ANSWER_HEADERS_MAX 32
#define EVENTS_MAX         64

enum stage {
    STAGE_CONNECTING, /* the engine is connecting */
    STAGE_HANDSHAKE,  /* sending the head, reading the upstream's answer */
    STAGE_ANSWERED,   /* the answer is with the HTTP side, waiting for the client's socket */
    STAGE_RELAY,      /* bytes flow both ways */
    STAGE_CLOSED,     /* both sides closed; freed once the HTTP side let go */
};

/* One direction of the relay. */
struct flow {
    char bytes[TUNNEL_BUFFER_BYTES];
    struct ring q; /* over bytes: read from one side, not yet written to the other */
    bool eof;      /* the reading side ended */
};

struct tunnel {
    /* Shared with the HTTP side: guarded by lock. */
    pthread_mutex_t lock;
    int refs;               /* the HTTP side and the relay thread */
    struct http_request *r; /* while the request lives */
    int error;              /* the connect failed (before the answer) */
    char detail[UPSTREAM_DETAIL_MAX];
    long status;                              /* the upstream's answer to the handshake */
    char *answer[2 * ANSWER_HEADERS_MAX + 1]; /* its headers, name/value pairs */
    /* The relay thread's own. */
    enum stage stage;
    struct upstream_conn *conn;   /* the upstream connection */
    int up_fd, client_fd;         /* sockets; client_fd -1 before the upgrade */
    struct http_upgraded *handle; /* closes the client side */
    struct buf head;              /* the request head to send; then the answer read */
    size_t head_sent;             /* bytes of the request head sent */
    struct flow up, down;         /* client → upstream, upstream → client */
    long idle_s;                  /* silence allowed */
    int64_t last_active;          /* monotonic s */
    struct tunnels *rl;           /* the relay it belongs to */
    struct tunnel *next;          /* in rl->tunnels */
};

/* What other threads hand the relay thread. */
enum command_kind { CMD_CONNECTED, CMD_CLIENT, CMD_DROP, CMD_CLOSE_ALL };
struct command {
    enum command_kind kind;
    struct tunnel *t;
    struct upstream_conn *conn;   /* CMD_CONNECTED; NULL when the connect failed */
    int fd;                       /* CMD_CLIENT */
    struct http_upgraded *handle; /* CMD_CLIENT */
    char *extra;                  /* CMD_CLIENT: bytes already read from the client */
    size_t n_extra;
    struct command *next;
};

struct tunnels {
    struct upstream *engine;
    int epoll_fd, wake_fd;
    pthread_t thread;
    bool started;
    atomic_bool closing;      /* no new tunnels: shutting down */
    atomic_bool stopping;     /* the relay thread exits */
    pthread_mutex_t lock;     /* guards commands */
    struct command *commands; /* newest first */
    struct tunnel *tunnels;   /* the relay thread's own */
};

static void tunnel_unref(struct tunnel *t)
{
    pthread_mutex_lock(&t->lock);
    bool last = --t->refs == 0;
    pthread_mutex_unlock(&t->lock);
    if (!last) return;
    for (size_t i = 0; t->answer[i]; i++) free(t->answer[i]);
    buf_reset(&t->head);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static void post(struct tunnels *rl, struct command *c)
{
    pthread_mutex_lock(&rl->lock);
    c->next = rl->commands;
    rl->commands = c;
    pthread_mutex_unlock(&rl->lock);
    uint64_t one = 1;
    if (write(rl->wake_fd, &one, sizeof(one)) < 0) { /* the counter is full: already woken */
    }
}

/* false when out of memory (the tunnel then ends by its idle timeout). */
static bool post_new(struct tunnels *rl, enum command_kind kind, struct tunnel *t)
{
    struct command *c = calloc(1, sizeof(*c));
    if (!c) return false;
    c->kind = kind;
    c->t = t;
    post(rl, c);
    return true;
}

/* ---------------------------------------------------------------- HTTP side */

static void http_end(void *ctx)
{
    struct tunnel *t = ctx;
    pthread_mutex_lock(&t->lock);
    t->r = NULL;
    pthread_mutex_unlock(&t->lock);
    /* The relay thread closes what is left; the command carries this side's reference, so the
     * sweep cannot free the tunnel before the command is done with it. */
    if (!post_new(t->rl, CMD_DROP, t)) tunnel_unref(t);
}

static void upgraded(void *ctx, int fd, const char *extra, size_t n, struct http_upgraded *handle)
{
    struct command *c = calloc(1, sizeof(*c));
    char *copy = n ? malloc(n) : NULL;
    if (!c || (n && !copy)) {
        free(c);
        free(copy);
        http_upgraded_close(handle);
        return;
    }
    if (n) memcpy(copy, extra, n);
    struct tunnel *t = ctx;
    *c = (struct command){
        .kind = CMD_CLIENT, .t = t, .fd = fd, .handle = handle, .extra = copy, .n_extra = n};
    post(t->rl, c);
}

/* The upstream answered the handshake (or could not be reached): answer the client. */
static void answered(struct http_request *r)
{
    struct tunnel *t = http_request_context(r);
    pthread_mutex_lock(&t->lock);
    long status = t->status;
    int error = t->error;
    char detail[UPSTREAM_DETAIL_MAX];
    snprintf(detail, sizeof(detail), "%s", t->detail);
    pthread_mutex_unlock(&t->lock);
    if (error || status == 0) {
        log_msg(LOG_WARN, "WebSocket upstream failed", "detail", detail);
        http_reply_error(r, error == -ETIMEDOUT ? 504 : 502,
                         "the application cannot be reached for this WebSocket");
    } else if (status != 101) {
        char message[96];
        snprintf(message, sizeof(message), "the application refused the WebSocket (HTTP %ld)",
                 status);
        http_reply_error(r, (unsigned)(status >= 400 && status < 600 ? status : 502), message);
    } else {
        http_reply_upgrade(r, (const char *const *)t->answer, upgraded, t);
    }
}

static void connected(void *ctx, struct upstream_conn *conn, int error, const char *detail)
{
    struct tunnel *t = ctx;
    struct command *c = calloc(1, sizeof(*c));
    if (!c) {
        upstream_conn_close(conn);
        pthread_mutex_lock(&t->lock);
        t->error = -ENOMEM;
        if (t->r) http_request_resume(t->r, answered);
        pthread_mutex_unlock(&t->lock);
        tunnel_unref(t); /* the relay thread never sees it */
        return;
    }
    if (!conn) {
        pthread_mutex_lock(&t->lock);
        t->error = error;
        snprintf(t->detail, sizeof(t->detail), "%s", detail);
        pthread_mutex_unlock(&t->lock);
    }
    *c = (struct command){.kind = CMD_CONNECTED, .t = t, .conn = conn};
    post(t->rl, c);
}

void tunnel_open(struct http_request *r, const char *url, const char *head, long idle_s)
{
    struct tunnels *rl = kfdash_of(r)->tunnels;
    struct tunnel *t = calloc(1, sizeof(*t));
    if (!t || !rl || !rl->started || atomic_load(&rl->closing)) {
        free(t);
        http_reply_error(r, 503, "WebSockets are not available now");
        return;
    }
    pthread_mutex_init(&t->lock, NULL);
    t->refs = 2;
    t->r = r;
    t->rl = rl;
    t->up_fd = t->client_fd = -1;
    ring_init(&t->up.q, t->up.bytes, sizeof(t->up.bytes));
    ring_init(&t->down.q, t->down.bytes, sizeof(t->down.bytes));
    t->idle_s = idle_s;
    t->last_active = clock_ms() / 1000;
    buf_init(&t->head, HEAD_MAX_BYTES);
    buf_adds(&t->head, head);
    http_request_set_context(r, t, http_end);
    http_request_suspend(r);
    int e = buf_error(&t->head)
                ? -E2BIG
                : upstream_connect(rl->engine, url, CONNECT_TIMEOUT_MS, connected, t);
    if (e < 0) {
        pthread_mutex_lock(&t->lock);
        t->error = e;
        snprintf(t->detail, sizeof(t->detail), "cannot connect: %s", strerror(-e));
        t->refs--; /* the relay thread never sees it */
        http_request_resume(r, answered);
        pthread_mutex_unlock(&t->lock);
    }
}

/* ---------------------------------------------------------------- relay thread */

static void watch(struct tunnel *t, int fd, uint32_t events, int op)
{
    struct tunnels *rl = t->rl;
    struct epoll_event ev = {.events = events, .data.ptr = t};
    epoll_ctl(rl->epoll_fd, op, fd, &ev);
}

/* What each socket waits for, from the buffers' state. */
static void rearm(struct tunnel *t)
{
    if (t->stage == STAGE_HANDSHAKE) {
        uint32_t ev = t->head_sent < t->head.n ? EPOLLOUT : EPOLLIN;
        watch(t, t->up_fd, ev, EPOLL_CTL_MOD);
        return;
    }
    if (t->stage != STAGE_RELAY) return;
    uint32_t up =
        (ring_room(&t->down.q) && !t->down.eof ? EPOLLIN : 0) | (ring_len(&t->up.q) ? EPOLLOUT : 0);
    uint32_t client =
        (ring_room(&t->up.q) && !t->up.eof ? EPOLLIN : 0) | (ring_len(&t->down.q) ? EPOLLOUT : 0);
    watch(t, t->up_fd, up, EPOLL_CTL_MOD);
    watch(t, t->client_fd, client, EPOLL_CTL_MOD);
}

/* Tells a request still waiting for the handshake that it failed. */
static void fail_waiting(struct tunnel *t, int error, const char *why)
{
    pthread_mutex_lock(&t->lock);
    t->error = error;
    snprintf(t->detail, sizeof(t->detail), "%s", why);
    if (t->r) http_request_resume(t->r, answered);
    pthread_mutex_unlock(&t->lock);
}

static void close_tunnel(struct tunnel *t)
{
    struct tunnels *rl = t->rl;
    if (t->stage == STAGE_CLOSED) return;
    if (t->stage == STAGE_HANDSHAKE) fail_waiting(t, -ECANCELED, "closed during the handshake");
    if (t->up_fd >= 0) epoll_ctl(rl->epoll_fd, EPOLL_CTL_DEL, t->up_fd, NULL);
    if (t->client_fd >= 0) epoll_ctl(rl->epoll_fd, EPOLL_CTL_DEL, t->client_fd, NULL);
    upstream_conn_close(t->conn);
    t->conn = NULL;
    t->up_fd = -1;
    t->stage = STAGE_CLOSED;
    if (t->handle) http_upgraded_close(t->handle); /* ends the request: the HTTP side lets go */
    t->handle = NULL;
    t->client_fd = -1;
}

/* Parses the upstream's answer head once complete: status and the headers to pass on. */
static bool parse_answer(struct tunnel *t)
{
    const char *end = strstr(buf_str(&t->head), "\r\n\r\n");
    if (!end) return false;
    size_t head_len = (size_t)(end - buf_str(&t->head)) + 4;
    char *text = strndup(buf_str(&t->head), head_len);
    long status = 0;
    size_t n = 0;
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\r\n", &save) : NULL; line;
         line = strtok_r(NULL, "\r\n", &save)) {
        if (!status) {
            const char *sp = strchr(line, ' ');
            status = sp ? strtol(sp + 1, NULL, 10) : -1;
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon || n == 2 * ANSWER_HEADERS_MAX) continue;
        *colon = '\0';
        const char *value = colon + 1;
        while (*value == ' ') value++;
        /* libmicrohttpd writes Connection itself for a 101; kfdash's cookies are not the
         * application's to set. */
        if (strcasecmp(line, "Connection") == 0 || strcasecmp(line, "Content-Length") == 0 ||
            auth_sets_kfdash_cookie(line, value))
            continue;
        t->answer[n++] = strdup(line);
        t->answer[n++] = strdup(value);
    }
    free(text);
    /* Bytes after the head already belong to the relay. */
    size_t rest = t->head.n - head_len;
    ring_put(&t->down.q, buf_str(&t->head) + head_len, rest); /* fits: the head was longer */
    pthread_mutex_lock(&t->lock);
    t->status = status > 0 ? status : 0;
    if (!status || status < 0) snprintf(t->detail, sizeof(t->detail), "malformed answer");
    pthread_mutex_unlock(&t->lock);
    return true;
}

static void handshake_step(struct tunnel *t, uint32_t events)
{
    bool failed = (events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN);
    if (!failed && t->head_sent < t->head.n) {
        ssize_t n = send(t->up_fd, buf_str(&t->head) + t->head_sent, t->head.n - t->head_sent,
                         MSG_NOSIGNAL);
        if (n > 0)
            t->head_sent += (size_t)n;
        else if (n < 0 && errno != EAGAIN)
            failed = true;
        if (!failed && t->head_sent == t->head.n) {
            buf_reset(&t->head); /* from now on: the answer, bounded the same way */
            buf_init(&t->head, HEAD_MAX_BYTES);
        }
    } else if (!failed) {
        char chunk[4096];
        ssize_t n = recv(t->up_fd, chunk, sizeof(chunk), 0);
        if (n > 0 && buf_add(&t->head, chunk, (size_t)n) < 0)
            failed = true; /* head too big */
        else if (n == 0 || (n < 0 && errno != EAGAIN))
            failed = true;
        else if (n > 0 && parse_answer(t)) {
            t->stage = STAGE_ANSWERED;
            watch(t, t->up_fd, 0, EPOLL_CTL_MOD);
            pthread_mutex_lock(&t->lock);
            if (t->r) http_request_resume(t->r, answered);
            pthread_mutex_unlock(&t->lock);
            return;
        }
    }
    if (failed) {
        fail_waiting(t, -EPROTO, "the WebSocket handshake with the upstream failed");
        t->stage = STAGE_ANSWERED; /* answered (with the failure): close without a second word */
        close_tunnel(t);
        return;
    }
    rearm(t);
}

/* Moves bytes from fd into f; false when the side is gone for good. */
static bool pull(int fd, struct flow *f)
{
    while (ring_room(&f->q) && !f->eof) {
        size_t room;
        char *at = ring_space(&f->q, &room);
        ssize_t n = recv(fd, at, room, 0);
        if (n > 0)
            ring_commit(&f->q, (size_t)n);
        else if (n == 0)
            f->eof = true;
        else
            return errno == EAGAIN || errno == EINTR;
    }
    return true;
}

/* Moves bytes from f to fd; false when the side is gone for good. */
static bool push(int fd, struct flow *f)
{
    while (ring_len(&f->q)) {
        size_t have;
        const char *at = ring_peek(&f->q, &have);
        ssize_t n = send(fd, at, have, MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        ring_consume(&f->q, (size_t)n);
    }
    return true;
}

static void relay_step(struct tunnel *t)
{
    bool ok = pull(t->client_fd, &t->up) && pull(t->up_fd, &t->down) && push(t->up_fd, &t->up) &&
              push(t->client_fd, &t->down);
    t->last_active = clock_ms() / 1000;
    /* Either side ended (its bytes passed on) or failed: WebSocket has its own close frames. */
    if (!ok || (t->up.eof && !ring_len(&t->up.q)) || (t->down.eof && !ring_len(&t->down.q)))
        close_tunnel(t);
    else
        rearm(t);
}

static void on_command(struct tunnels *rl, struct command *c)
{
    struct tunnel *t = c->t;
    switch (c->kind) {
    case CMD_CONNECTED:
        t->next = rl->tunnels; /* from now on the sweep frees it */
        rl->tunnels = t;
        if (!c->conn || t->stage == STAGE_CLOSED || atomic_load(&rl->closing)) {
            upstream_conn_close(c->conn);
            if (t->stage != STAGE_CLOSED && c->conn) {
                fail_waiting(t, -ECANCELED, "shutting down");
            } else if (t->stage != STAGE_CLOSED) {
                pthread_mutex_lock(&t->lock); /* connected() noted the error */
                if (t->r) http_request_resume(t->r, answered);
                pthread_mutex_unlock(&t->lock);
            }
            t->stage = STAGE_CLOSED;
            break;
        }
        t->conn = c->conn;
        t->stage = STAGE_HANDSHAKE;
        t->up_fd = upstream_conn_fd(c->conn);
        watch(t, t->up_fd, EPOLLOUT, EPOLL_CTL_ADD);
        break;
    case CMD_CLIENT:
        if (t->stage != STAGE_ANSWERED || c->n_extra > TUNNEL_BUFFER_BYTES) {
            http_upgraded_close(c->handle); /* closed meanwhile (shutdown): end the request */
            close_tunnel(t);
            break;
        }
        t->handle = c->handle;
        t->client_fd = c->fd;
        ring_put(&t->up.q, c->extra, c->n_extra);
        t->stage = STAGE_RELAY;
        watch(t, t->client_fd, 0, EPOLL_CTL_ADD);
        relay_step(t);
        break;
    case CMD_DROP:
        /* The request is over: whatever is left of the tunnel goes too. */
        close_tunnel(t);
        tunnel_unref(t); /* the HTTP side's reference, handed over by http_end */
        break;
    case CMD_CLOSE_ALL:
        for (struct tunnel *each = rl->tunnels; each; each = each->next) close_tunnel(each);
        break;
    }
    free(c->extra);
}

/* Frees tunnels that are closed and whose request has let go. */
static void sweep(struct tunnels *rl, bool everything)
{
    int64_t now = clock_ms() / 1000;
    for (struct tunnel **pp = &rl->tunnels; *pp;) {
        struct tunnel *t = *pp;
        if (t->stage == STAGE_RELAY && (everything || now - t->last_active > t->idle_s))
            close_tunnel(t);
        if (everything && t->stage != STAGE_CLOSED) close_tunnel(t);
        pthread_mutex_lock(&t->lock);
        bool released = t->r == NULL;
        pthread_mutex_unlock(&t->lock);
        if (t->stage == STAGE_CLOSED && released) {
            *pp = t->next;
            tunnel_unref(t);
        } else {
            pp = &t->next;
        }
    }
}

static void *relay_main(void *arg)
{
    struct tunnels *rl = arg;
    struct epoll_event events[EVENTS_MAX];
    while (!atomic_load(&rl->stopping)) {
        int n = epoll_wait(rl->epoll_fd, events, EVENTS_MAX, 1000);
        for (int i = 0; i < n; i++) {
            struct tunnel *t = events[i].data.ptr;
            if (!t) {
                uint64_t count;
                if (read(rl->wake_fd, &count, sizeof(count)) < 0) { /* spurious: go on */
                }
                continue;
            }
            if (t->stage == STAGE_HANDSHAKE)
                handshake_step(t, events[i].events);
            else if (t->stage == STAGE_RELAY)
                relay_step(t);
        }
        pthread_mutex_lock(&rl->lock);
        struct command *c = rl->commands, *ordered = NULL;
        rl->commands = NULL;
        pthread_mutex_unlock(&rl->lock);
        while (c) { /* oldest first */
            struct command *next = c->next;
            c->next = ordered;
            ordered = c;
            c = next;
        }
        while (ordered) {
            struct command *next = ordered->next;
            on_command(rl, ordered);
            free(ordered);
            ordered = next;
        }
        sweep(rl, false);
    }
    return NULL;
}

void tunnels_close_all(struct tunnels *rl)
{
    if (!rl || !rl->started) return;
    atomic_store(&rl->closing, true);
    post_new(rl, CMD_CLOSE_ALL, NULL);
}

int tunnels_new(struct upstream *engine, struct tunnels **ret)
{
    *ret = NULL;
    struct tunnels *rl = calloc(1, sizeof(*rl));
    if (!rl) return -ENOMEM;
    rl->engine = engine;
    pthread_mutex_init(&rl->lock, NULL);
    rl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    rl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    int e = rl->epoll_fd < 0 || rl->wake_fd < 0 ||
                    epoll_ctl(rl->epoll_fd, EPOLL_CTL_ADD, rl->wake_fd, &ev) < 0
                ? -errno
            : pthread_create(&rl->thread, NULL, relay_main, rl) != 0 ? -EAGAIN
                                                                     : 0;
    if (e < 0) {
        tunnels_free(rl);
        return e;
    }
    rl->started = true;
    *ret = rl;
    return 0;
}

void tunnels_free(struct tunnels *rl)
{
    if (!rl) return;
    if (rl->started) {
        atomic_store(&rl->stopping, true);
        uint64_t one = 1;
        if (write(rl->wake_fd, &one, sizeof(one)) < 0) { /* already woken */
        }
        pthread_join(rl->thread, NULL);
        /* Commands that came late, then every tunnel: their requests end. */
        for (struct command *c = rl->commands, *next; c; c = next) {
            next = c->next;
            on_command(rl, c);
            free(c);
        }
        rl->commands = NULL;
        sweep(rl, true);
    }
    if (rl->epoll_fd >= 0) close(rl->epoll_fd);
    if (rl->wake_fd >= 0) close(rl->wake_fd);
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}
