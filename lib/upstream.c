/* upstream: libcurl multi on a thread of its own; see upstream.h. */
#include "lib/upstream.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/h1_client.h"

#define HEAD_LINE_MAX 8192 /* one header line of an answer */

struct upstream_conn {
    int fd; /* connected, non-blocking; our own descriptor of the socket libcurl opened */
};

struct job {
    struct upstream *engine;               /* whose */
    uint64_t id;                           /* names the job in commands from other threads */
    CURL *easy;                            /* the transfer (libcurl's calls) */
    struct h1_call *h1;                    /* or the call (the driven engine's own client) */
    struct curl_slist *headers;            /* request headers, freed with the job */
    const struct upstream_stream_ops *ops; /* streamed: told head, data, done; NULL: buffered */
    struct buf body;                       /* buffered: the answer, bounded by the call */
    upstream_done_fn *done;                /* buffered: told once */
    upstream_conn_fn *connected;           /* connect only: told once */
    int conn_fd;                           /* connect only: a dup of the connected socket */
    void *ctx;                             /* for done or ops */
    long status;                           /* streamed: status of the answer's head */
    time_t date;                           /* buffered: the answer's Date header, 0 if none */
    long max_age_s;                        /* buffered: its Cache-Control max-age, -1 if none */
    char *head[UPSTREAM_HEAD_MAX];         /* streamed: "Name: value" lines of the head */
    size_t n_head;                         /* lines in head */
    bool head_sent;                        /* streamed: ops->head was called */
    bool head_too_big;                     /* streamed: more lines than UPSTREAM_HEAD_MAX */
    bool paused;                           /* streamed: data or read said UPSTREAM_PAUSE */
    struct job *next;                      /* in upstream.pending, then in upstream.active */
    struct job *prev;                      /* in upstream.active */
    struct job *bucket_next;               /* in upstream.by_id */
};

/* What another thread asks of a job under way. */
struct command {
    uint64_t id; /* the job */
    bool cancel; /* else: unpause */
};

/* Handles kept for reuse: making one (and its buffers) costs more than resetting one. */
#define SPARE_EASY_MAX 64

/* An unpause and a cancel per call at most (duplicates are merged). */
#define COMMANDS_MAX (2 * UPSTREAM_MAX_CALLS)
/* Buckets of the jobs under way by id (commands find theirs without walking every job). */
#define ACTIVE_BUCKETS 1024

/* What the epoll set watches a socket for (EPOLLIN/EPOLLOUT), and whether libcurl still
 * wants it; grown as descriptors come (an entry per descriptor number). */
struct watch {
    uint8_t events;
    bool wanted;
};

struct upstream {
    CURLM *multi;         /* every transfer under way */
    int epoll_fd;         /* the sockets libcurl wants watched, and wake_fd */
    int wake_fd;          /* eventfd: new calls or commands */
    int64_t due_ms;       /* monotonic ms when libcurl wants its timeout action; -1 none */
    pthread_t thread;     /* drives multi */
    pthread_mutex_t lock; /* guards pending, commands, n_calls, next_id and stopping */
    struct job *pending;  /* submitted, not yet added to multi */
    struct job *active;   /* added to multi; the engine thread's own */
    struct job *by_id[ACTIVE_BUCKETS];     /* the same jobs by id % ACTIVE_BUCKETS */
    struct command commands[COMMANDS_MAX]; /* for jobs under way */
    size_t n_commands;                     /* entries in commands */
    struct command taken[COMMANDS_MAX];    /* the engine thread's copy, run outside the lock */
    size_t n_calls;                        /* pending plus under way */
    size_t max_calls;                      /* n_calls at most */
    uint64_t next_id;                      /* for the next job */
    bool stopping;                         /* no new calls; the thread exits */
    bool driven;                           /* no thread of its own: its owner drives it */
    pthread_t owner;                       /* driven: the thread that drives it */
    struct curl_slist *connect_to;         /* "HOST:PORT:TO_HOST:TO_PORT" for every transfer */
    struct watch *watches;                 /* the engine thread's, by descriptor (on_socket) */
    CURL *spare[SPARE_EASY_MAX];           /* finished transfers' handles, reset, for new calls */
    size_t n_spare;                        /* entries in spare (guarded by lock) */
    size_t n_watches;                      /* entries in watches */
    struct h1_client *h1;                  /* driven: streamed calls to plain-http upstreams */
};

/* ---------------------------------------------------------------- transfer callbacks */

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct job *j = userp;
    size_t len = size * n;
    if (!j->ops) return buf_add(&j->body, data, len) == 0 ? len : 0; /* 0 fails the transfer */
    size_t took = j->ops->data(j->ctx, data, len);
    if (took == UPSTREAM_PAUSE) {
        j->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    return took;
}

static size_t on_read(char *out, size_t size, size_t n, void *userp)
{
    struct job *j = userp;
    size_t took = j->ops->read(j->ctx, out, size * n);
    if (took == UPSTREAM_PAUSE) {
        j->paused = true;
        return CURL_READFUNC_PAUSE;
    }
    return took;
}

static void clear_head(struct job *j)
{
    for (size_t i = 0; i < j->n_head; i++) free(j->head[i]);
    j->n_head = 0;
    j->head_too_big = false;
}

/* Streamed calls: collect the head line by line; at its blank line, tell the caller. */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    struct job *j = userp;
    size_t len = size * n;
    size_t trimmed = len;
    while (trimmed && (data[trimmed - 1] == '\n' || data[trimmed - 1] == '\r')) trimmed--;
    if (strncmp(data, "HTTP/", 5) == 0) {
        clear_head(j); /* a new status line: 1xx answers come before the real one */
        const char *sp = memchr(data, ' ', trimmed);
        j->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        return len;
    }
    if (trimmed == 0) {
        if (j->status >= 200 && !j->head_sent) {
            j->head_sent = true;
            if (j->head_too_big) return 0; /* fails the transfer: the caller answers 502 */
            j->ops->head(j->ctx, j->status, (const char *const *)j->head, j->n_head);
        }
        return len;
    }
    if (trimmed > HEAD_LINE_MAX || j->n_head == UPSTREAM_HEAD_MAX) {
        j->head_too_big = true;
        return len;
    }
    char *line = strndup(data, trimmed);
    if (!line) return 0;
    j->head[j->n_head++] = line;
    return len;
}

/* Buffered calls keep two headers: Date (callers compare clocks with it) and Cache-Control's
 * max-age (how long the answer may be reused). */
static size_t on_head_line(char *data, size_t size, size_t n, void *userp)
{
    struct job *j = userp;
    size_t len = size * n;
    char value[256];
    if (strncmp(data, "HTTP/", 5) == 0) {
        j->date = 0; /* a new answer (after a 1xx): forget the last one's */
        j->max_age_s = -1;
    } else if (len > 5 && len < 128 && strncasecmp(data, "Date:", 5) == 0) {
        snprintf(value, sizeof(value), "%.*s", (int)(len - 5), data + 5);
        time_t t = curl_getdate(value, NULL);
        j->date = t > 0 ? t : 0;
    } else if (len > 14 && len < sizeof(value) + 14 &&
               strncasecmp(data, "Cache-Control:", 14) == 0) {
        snprintf(value, sizeof(value), "%.*s", (int)(len - 14), data + 14);
        const char *m = strstr(value, "max-age=");
        long age = m ? strtol(m + 8, NULL, 10) : -1;
        j->max_age_s = age >= 0 ? age : -1;
    }
    return len;
}

/* ---------------------------------------------------------------- jobs */

/* A finished call's handle, reset, for the next call; false when there are enough. A
 * connect-only handle keeps its connection until cleaned up: never reused. */
static bool keep_spare(struct upstream *u, CURL *easy)
{
    curl_easy_reset(easy);
    pthread_mutex_lock(&u->lock);
    bool kept = u->n_spare < SPARE_EASY_MAX;
    if (kept) u->spare[u->n_spare++] = easy;
    pthread_mutex_unlock(&u->lock);
    return kept;
}

static CURL *take_spare(struct upstream *u)
{
    pthread_mutex_lock(&u->lock);
    CURL *easy = u->n_spare ? u->spare[--u->n_spare] : NULL;
    pthread_mutex_unlock(&u->lock);
    return easy ? easy : curl_easy_init();
}

static void job_free(struct job *j)
{
    if (j->conn_fd >= 0) close(j->conn_fd);
    if (j->easy && (j->connected || !keep_spare(j->engine, j->easy))) curl_easy_cleanup(j->easy);
    h1_call_free(j->h1);
    curl_slist_free_all(j->headers);
    buf_reset(&j->body);
    clear_head(j);
    free(j);
}

static int error_of(CURLcode rc, bool too_big)
{
    return too_big                            ? -EMSGSIZE
           : rc == CURLE_OPERATION_TIMEDOUT   ? -ETIMEDOUT
           : rc == CURLE_COULDNT_CONNECT      ? -ECONNREFUSED
           : rc == CURLE_COULDNT_RESOLVE_HOST ? -EHOSTUNREACH
           : rc == CURLE_ABORTED_BY_CALLBACK  ? -ECANCELED
                                              : -EIO;
}

const char *upstream_error_text(int error)
{
    switch (error) {
    case 0:
        return "no error";
    case -ETIMEDOUT:
        return "timed out";
    case -ECONNREFUSED:
        return "connection refused";
    case -EHOSTUNREACH:
        return "cannot resolve the host";
    case -EMSGSIZE:
        return "answer too large";
    case -ECANCELED:
        return "cancelled";
    case -EBUSY:
        return "too many calls under way";
    case -ENOMEM:
        return "out of memory";
    default:
        return "the transfer failed";
    }
}

/* Tells the caller how the call ended and frees the job. */
static void finish(struct job *j, CURLcode rc)
{
    struct upstream_result res = {.max_age_s = -1};
    bool too_big =
        rc == CURLE_WRITE_ERROR && (j->ops ? j->head_too_big : buf_error(&j->body) == -E2BIG);
    if (rc != CURLE_OK) {
        const char *url = NULL;
        curl_easy_getinfo(j->easy, CURLINFO_EFFECTIVE_URL, &url);
        res.error = error_of(rc, too_big);
        snprintf(res.detail, sizeof(res.detail), "%.120s: %s", url ? url : "?",
                 too_big ? "answer too large" : curl_easy_strerror(rc));
    }
    if (j->connected) {
        struct upstream_conn *c = rc == CURLE_OK && j->conn_fd >= 0 ? calloc(1, sizeof(*c)) : NULL;
        if (c) {
            c->fd = j->conn_fd;
            j->conn_fd = -1;
            j->connected(j->ctx, c, 0, "");
        } else {
            j->connected(j->ctx, NULL, res.error ? res.error : -EIO,
                         res.error ? res.detail : "connected, but the socket was lost");
        }
    } else if (j->ops) {
        j->ops->done(j->ctx, res.error, res.detail);
    } else {
        if (rc == CURLE_OK) {
            curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &res.status);
            res.date = j->date;
            res.max_age_s = j->max_age_s;
            res.body = buf_take(&j->body, &res.len);
            if (!res.body) res.body = strdup(""), res.len = 0;
            if (!res.body) res.error = -ENOMEM;
        }
        j->done(j->ctx, &res);
        free(res.body);
    }
    job_free(j);
}

static void link_active(struct upstream *u, struct job *j)
{
    j->prev = NULL;
    j->next = u->active;
    if (u->active) u->active->prev = j;
    u->active = j;
    struct job **b = &u->by_id[j->id % ACTIVE_BUCKETS];
    j->bucket_next = *b;
    *b = j;
}

static void unlink_active(struct upstream *u, struct job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        u->active = j->next;
    if (j->next) j->next->prev = j->prev;
    for (struct job **b = &u->by_id[j->id % ACTIVE_BUCKETS]; *b; b = &(*b)->bucket_next) {
        if (*b == j) {
            *b = j->bucket_next;
            break;
        }
    }
}

static void uncount(struct upstream *u)
{
    pthread_mutex_lock(&u->lock);
    u->n_calls--;
    pthread_mutex_unlock(&u->lock);
}

static struct job *find_active(struct upstream *u, uint64_t id)
{
    for (struct job *j = u->by_id[id % ACTIVE_BUCKETS]; j; j = j->bucket_next)
        if (j->id == id) return j;
    return NULL;
}

/* Ends a job under way: its caller hears -ECANCELED. */
static void cancel_active(struct upstream *u, struct job *j)
{
    if (j->h1) {
        h1_call_abort(u->h1, j->h1);
        unlink_active(u, j);
        j->ops->done(j->ctx, -ECANCELED, "cancelled");
        job_free(j);
    } else {
        curl_multi_remove_handle(u->multi, j->easy);
        unlink_active(u, j);
        finish(j, CURLE_ABORTED_BY_CALLBACK);
    }
    uncount(u);
}

/* A call of the engine's own client is over (h1_ended_fn). */
static void h1_ended(void *owner, void *job, int error, const char *detail)
{
    struct upstream *u = owner;
    struct job *j = job;
    unlink_active(u, j);
    j->ops->done(j->ctx, error, detail);
    job_free(j);
    uncount(u);
}

static void run_commands(struct upstream *u, const struct command *cmds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct job *j = find_active(u, cmds[i].id);
        if (!j) continue; /* finished meanwhile */
        if (cmds[i].cancel) {
            cancel_active(u, j);
        } else if (j->h1) {
            h1_call_unpause(u->h1, j->h1); /* may end the call */
        } else if (j->paused) {
            j->paused = false;
            curl_easy_pause(j->easy, CURLPAUSE_CONT); /* may call on_body at once */
        }
    }
}

/* A connect-only call is done: keep a descriptor of its socket, which libcurl closes with the
 * handle (and can no longer name once the handle leaves the multi handle). The socket leaves
 * the epoll set first: with a second descriptor it would stay in it after libcurl's closes. */
static void keep_socket(struct upstream *u, struct job *j)
{
    curl_socket_t s = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(j->easy, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD)
        return;
    epoll_ctl(u->epoll_fd, EPOLL_CTL_DEL, s, NULL);
    if ((size_t)s < u->n_watches) u->watches[s] = (struct watch){0, false};
    j->conn_fd = fcntl(s, F_DUPFD_CLOEXEC, 0);
}

static struct watch *watch_of(struct upstream *u, int fd)
{
    if ((size_t)fd >= u->n_watches) {
        size_t n = (size_t)fd + 64;
        struct watch *w = realloc(u->watches, n * sizeof(*w));
        if (!w) return NULL;
        memset(w + u->n_watches, 0, (n - u->n_watches) * sizeof(*w));
        u->watches = w;
        u->n_watches = n;
    }
    return &u->watches[fd];
}

/* libcurl says which sockets to watch for what (the multi_socket interface: only the sockets
 * with events are looked at, however many transfers are under way). A socket libcurl lets go
 * of stays in the epoll set as it was: a kept-alive connection is wanted again by the next
 * call, and one that closes leaves the set by itself; an event on a socket nobody wants takes
 * it out then (let_go). That spares two epoll_ctl calls per proxied request. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct upstream *u = userp;
    struct watch *w = watch_of(u, fd);
    if (what == CURL_POLL_REMOVE) {
        if (w) {
            w->wanted = false;
        } else {
            epoll_ctl(u->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        }
        return 0;
    }
    uint32_t events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (w && w->wanted && w->events == events) return 0;
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(u->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
        epoll_ctl(u->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    if (w) *w = (struct watch){(uint8_t)events, true};
    return 0;
}

/* An event on fd: false when libcurl no longer wants the socket (now out of the set). */
static bool wanted(struct upstream *u, int fd)
{
    if ((size_t)fd < u->n_watches && !u->watches[fd].wanted) {
        epoll_ctl(u->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        u->watches[fd].events = 0;
        return false;
    }
    return true;
}

static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
    struct upstream *u = userp;
    u->due_ms = timeout_ms < 0 ? -1 : clock_ms() + timeout_ms;
    return 0;
}

/* Hands finished transfers to their callers. */
static void reap(struct upstream *u)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(u->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        struct job *j = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
        if (j->connected && rc == CURLE_OK) keep_socket(u, j);
        curl_multi_remove_handle(u->multi, easy);
        unlink_active(u, j);
        finish(j, rc);
        uncount(u);
    }
}

static void wake(struct upstream *u)
{
    /* Its own driver runs a round after whatever it is doing now. */
    if (u->driven && pthread_equal(pthread_self(), u->owner)) return;
    uint64_t one = 1;
    if (write(u->wake_fd, &one, sizeof(one)) < 0) { /* the counter is full: awake already */
    }
}

#define EVENTS_MAX 64

long upstream_due_ms(const struct upstream *u)
{
    int64_t due = u->due_ms, own = u->h1 ? h1_client_due(u->h1) : -1;
    if (due < 0 || (own >= 0 && own < due)) due = own;
    if (due < 0) return -1;
    int64_t now = clock_ms();
    return due <= now ? 0 : (long)(due - now);
}

/* One round: take new calls and commands, wait for sockets (may_wait: until libcurl's next
 * timeout, a second at most; else only look), run what is ready and hand finished calls back.
 * False once stopping (every call ended). */
static bool run_round(struct upstream *u, bool may_wait)
{
    struct command *cmds = u->taken;
    struct epoll_event events[EVENTS_MAX];
    int running = 0;
    pthread_mutex_lock(&u->lock);
    struct job *jobs = u->pending;
    u->pending = NULL;
    size_t n_cmds = u->n_commands;
    memcpy(cmds, u->commands, n_cmds * sizeof(cmds[0]));
    u->n_commands = 0;
    bool stopping = u->stopping;
    pthread_mutex_unlock(&u->lock);
    while (jobs) {
        struct job *j = jobs;
        jobs = j->next;
        if (j->h1 && !stopping) {
            link_active(u, j);
            h1_call_start(u->h1, j->h1); /* may end it */
        } else if (j->h1) {
            j->ops->done(j->ctx, -ECANCELED, "cancelled");
            job_free(j);
            uncount(u);
        } else if (!stopping && curl_multi_add_handle(u->multi, j->easy) == CURLM_OK) {
            link_active(u, j);
        } else {
            finish(j, CURLE_ABORTED_BY_CALLBACK);
            uncount(u);
        }
    }
    if (stopping) {
        /* Every transfer still under way ends as cancelled. */
        while (u->active) cancel_active(u, u->active);
        return false;
    }
    run_commands(u, cmds, n_cmds);
    long wait = may_wait ? upstream_due_ms(u) : 0; /* after adding: new calls want a round now */
    if (wait < 0 || wait > 1000) wait = may_wait ? 1000 : 0;
    int n = epoll_wait(u->epoll_fd, events, EVENTS_MAX, (int)wait);
    for (int i = 0; i < n; i++) {
        int fd = events[i].data.fd;
        if (fd == u->wake_fd) {
            uint64_t count;
            if (read(fd, &count, sizeof(count)) < 0) { /* spurious */
            }
            continue;
        }
        if (u->h1 && h1_client_event(u->h1, fd, events[i].events)) continue;
        if (!wanted(u, fd)) continue;
        int flags = (events[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                    (events[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                    (events[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(u->multi, fd, flags, &running);
    }
    if (u->due_ms >= 0 && u->due_ms <= clock_ms()) {
        u->due_ms = -1;
        curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    if (u->h1) h1_client_expire(u->h1);
    reap(u);
    return true;
}

static void *engine_main(void *arg)
{
    struct upstream *u = arg;
    while (run_round(u, true)) {
    }
    return NULL;
}

int upstream_fd(const struct upstream *u)
{
    return u->epoll_fd;
}

bool upstream_pending(struct upstream *u)
{
    pthread_mutex_lock(&u->lock);
    bool pending = u->pending || u->n_commands;
    pthread_mutex_unlock(&u->lock);
    return pending;
}

void upstream_drive(struct upstream *u)
{
    run_round(u, false);
}

/* The comma-separated entries of connect_to, as libcurl's list; 0 or -ENOMEM. */
static int parse_connect_to(struct upstream *u, const char *connect_to)
{
    for (const char *p = connect_to ? connect_to : ""; *p;) {
        size_t n = strcspn(p, ",");
        char *entry = strndup(p, n);
        struct curl_slist *l = entry && n ? curl_slist_append(u->connect_to, entry) : u->connect_to;
        free(entry);
        if (!entry || !l) return -ENOMEM;
        u->connect_to = l;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int engine_new(const char *connect_to, size_t max_calls, bool driven, struct upstream **ret)
{
    struct upstream *u = calloc(1, sizeof(*u));
    if (!u) return -ENOMEM;
    u->max_calls = max_calls && max_calls < UPSTREAM_MAX_CALLS ? max_calls : UPSTREAM_MAX_CALLS;
    u->multi = curl_multi_init();
    if (!u->multi || parse_connect_to(u, connect_to) < 0) {
        if (u->multi) curl_multi_cleanup(u->multi);
        curl_slist_free_all(u->connect_to);
        free(u);
        return -ENOMEM;
    }
    /* Enough connections to one upstream for every client kfdash would proxy to it at once. */
    curl_multi_setopt(u->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 512L);
    curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, 512L);
    curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
    curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
    u->due_ms = -1;
    u->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    u->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = u->wake_fd};
    pthread_mutex_init(&u->lock, NULL);
    u->driven = driven;
    u->owner = pthread_self();
    if (u->epoll_fd < 0 || u->wake_fd < 0 ||
        epoll_ctl(u->epoll_fd, EPOLL_CTL_ADD, u->wake_fd, &ev) < 0 ||
        (!driven && pthread_create(&u->thread, NULL, engine_main, u) != 0)) {
        if (u->epoll_fd >= 0) close(u->epoll_fd);
        if (u->wake_fd >= 0) close(u->wake_fd);
        pthread_mutex_destroy(&u->lock);
        curl_multi_cleanup(u->multi);
        curl_slist_free_all(u->connect_to);
        free(u);
        return -EAGAIN;
    }
    /* A driven engine runs the proxy's calls: plain http goes through its own client. */
    int e = driven ? h1_client_new(u->epoll_fd, connect_to, h1_ended, u, &u->h1) : 0;
    if (e < 0) {
        u->stopping = true;
        upstream_free(u);
        return e;
    }
    *ret = u;
    return 0;
}

int upstream_new(const char *connect_to, size_t max_calls, struct upstream **ret)
{
    return engine_new(connect_to, max_calls, false, ret);
}

int upstream_new_driven(const char *connect_to, size_t max_calls, struct upstream **ret)
{
    return engine_new(connect_to, max_calls, true, ret);
}

void upstream_free(struct upstream *u)
{
    if (!u) return;
    pthread_mutex_lock(&u->lock);
    u->stopping = true;
    pthread_mutex_unlock(&u->lock);
    if (u->driven) {
        run_round(u, false);
    } else {
        wake(u);
        pthread_join(u->thread, NULL);
    }
    curl_multi_cleanup(u->multi);
    h1_client_free(u->h1);
    close(u->epoll_fd);
    close(u->wake_fd);
    pthread_mutex_destroy(&u->lock);
    curl_slist_free_all(u->connect_to);
    for (size_t i = 0; i < u->n_spare; i++) curl_easy_cleanup(u->spare[i]);
    free(u->watches);
    free(u);
}

/* The call's TLS credentials: files by path, PEM bytes as blobs (libcurl copies them). */
static bool set_tls(CURL *e, const struct upstream_tls *t)
{
    bool ok = true;
    if (t->ca_file) ok = ok && curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file) == CURLE_OK;
    if (t->ca_pem) {
        struct curl_blob b = {(void *)t->ca_pem, t->ca_pem_len, CURL_BLOB_COPY};
        ok = ok && curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b) == CURLE_OK;
    }
    if (t->cert_file) ok = ok && curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert_file) == CURLE_OK;
    if (t->cert_pem) {
        struct curl_blob b = {(void *)t->cert_pem, t->cert_pem_len, CURL_BLOB_COPY};
        ok = ok && curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM") == CURLE_OK;
    }
    if (t->key_file) ok = ok && curl_easy_setopt(e, CURLOPT_SSLKEY, t->key_file) == CURLE_OK;
    if (t->key_pem) {
        struct curl_blob b = {(void *)t->key_pem, t->key_pem_len, CURL_BLOB_COPY};
        ok = ok && curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b) == CURLE_OK &&
             curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM") == CURLE_OK;
    }
    return ok;
}

static struct job *job_new(struct upstream *u, const struct upstream_call *call)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j) return NULL;
    j->conn_fd = -1;
    j->max_age_s = -1;
    buf_init(&j->body, call->max_response_bytes);
    j->engine = u;
    j->easy = take_spare(u);
    if (!j->easy) {
        free(j);
        return NULL;
    }
    CURL *e = j->easy;
    bool ok = true;
    for (size_t i = 0; call->headers && call->headers[i]; i++) {
        struct curl_slist *h = curl_slist_append(j->headers, call->headers[i]);
        if (!h)
            ok = false;
        else
            j->headers = h;
    }
    /* libcurl adds "Expect: 100-continue" to larger POSTs; the peers here answer at once. */
    struct curl_slist *h = curl_slist_append(j->headers, "Expect:");
    if (h) j->headers = h;
    curl_easy_setopt(e, CURLOPT_URL, call->url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, call->method);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     call->connect_timeout_ms ? call->connect_timeout_ms : call->timeout_ms);
    if (call->timeout_ms) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, call->timeout_ms);
    if (call->idle_timeout_s) {
        /* Streams may last long; an answer that stalls does not. */
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, call->idle_timeout_s);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    if (u->connect_to) curl_easy_setopt(e, CURLOPT_CONNECT_TO, u->connect_to);
    if (call->tls) ok = ok && set_tls(e, call->tls);
    if (call->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)call->body_len);
        ok = ok && curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, call->body) == CURLE_OK;
    } else if (strcasecmp(call->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    }
    if (!ok) {
        job_free(j);
        return NULL;
    }
    return j;
}

static int submit(struct upstream *u, struct job *j, uint64_t *ret_id)
{
    pthread_mutex_lock(&u->lock);
    int r = u->stopping ? -ECANCELED : u->n_calls >= u->max_calls ? -EBUSY : 0;
    if (r == 0) {
        j->id = ++u->next_id;
        if (ret_id) *ret_id = j->id;
        j->next = u->pending;
        u->pending = j;
        u->n_calls++;
    }
    pthread_mutex_unlock(&u->lock);
    if (r < 0) {
        job_free(j);
        return r;
    }
    wake(u);
    return 0;
}

int upstream_fetch(struct upstream *u, const struct upstream_call *call, upstream_done_fn *done,
                   void *ctx)
{
    struct job *j = job_new(u, call);
    if (!j) return -ENOMEM;
    /* Buffered calls are small JSON documents: let libcurl undo any compression. */
    curl_easy_setopt(j->easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_head_line);
    curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j);
    j->done = done;
    j->ctx = ctx;
    return submit(u, j, NULL);
}

/* A streamed call for the engine's own client; NULL with 0 when it is libcurl's. */
static int h1_job_new(struct upstream *u, const struct upstream_call *call,
                      const struct upstream_stream_ops *ops, void *ctx, struct job **ret)
{
    *ret = NULL;
    if (!u->h1) return 0;
    struct job *j = calloc(1, sizeof(*j));
    if (!j) return -ENOMEM;
    int e = h1_call_new(u->h1, call, ops, ctx, j, &j->h1);
    if (e < 0 || !j->h1) {
        free(j);
        return e;
    }
    j->engine = u;
    j->conn_fd = -1;
    j->ops = ops;
    j->ctx = ctx;
    *ret = j;
    return 0;
}

int upstream_stream(struct upstream *u, const struct upstream_call *call,
                    const struct upstream_stream_ops *ops, void *ctx, uint64_t *ret_id)
{
    struct job *j;
    int e = h1_job_new(u, call, ops, ctx, &j);
    if (e < 0) return e;
    if (j) return submit(u, j, ret_id);
    j = job_new(u, call);
    if (!j) return -ENOMEM;
    j->ops = ops;
    j->ctx = ctx;
    if (call->decompress) curl_easy_setopt(j->easy, CURLOPT_ACCEPT_ENCODING, "");
    if (call->body_streams) {
        curl_easy_setopt(j->easy, CURLOPT_UPLOAD, 1L); /* the method stays call->method */
        curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(j->easy, CURLOPT_READDATA, j);
        curl_easy_setopt(j->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)call->streamed_body_size);
    }
    curl_easy_setopt(j->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(j->easy, CURLOPT_HEADERDATA, j);
    return submit(u, j, ret_id);
}

int upstream_connect(struct upstream *u, const char *url, long timeout_ms,
                     upstream_conn_fn *connected, void *ctx)
{
    struct upstream_call call = {.method = "GET", .url = url, .timeout_ms = timeout_ms};
    struct job *j = job_new(u, &call);
    if (!j) return -ENOMEM;
    curl_easy_setopt(j->easy, CURLOPT_CONNECT_ONLY, 1L);
    j->connected = connected;
    j->ctx = ctx;
    return submit(u, j, NULL);
}

int upstream_conn_fd(const struct upstream_conn *c)
{
    return c->fd;
}

void upstream_conn_close(struct upstream_conn *c)
{
    if (!c) return;
    close(c->fd);
    free(c);
}

static void command(struct upstream *u, uint64_t id, bool cancel)
{
    pthread_mutex_lock(&u->lock);
    bool queued = false;
    for (size_t i = 0; i < u->n_commands && !queued; i++)
        queued = u->commands[i].id == id && u->commands[i].cancel == cancel;
    if (!queued && u->n_commands < COMMANDS_MAX)
        u->commands[u->n_commands++] = (struct command){id, cancel};
    pthread_mutex_unlock(&u->lock);
    wake(u);
}

void upstream_unpause(struct upstream *u, uint64_t id)
{
    command(u, id, false);
}

void upstream_cancel(struct upstream *u, uint64_t id)
{
    command(u, id, true);
}
