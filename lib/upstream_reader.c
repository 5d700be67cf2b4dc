/* upstream_reader: a streamed call pulled by a thread that may block; see upstream.h. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/ring.h"
#include "lib/upstream.h"

#define READER_BYTES (64 << 10) /* answer bytes held until the owner reads them */
#define TICK_MS      100

struct upstream_reader {
    struct upstream *u;
    uint64_t id;
    void (*tick)(void *);
    void *tick_ctx;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t changed;
    int refs;      /* the owner and the engine */
    bool head_in;  /* status and head are set */
    long status;   /* the answer's */
    char **head;   /* "Name: value" lines, copied */
    size_t n_head; /* entries in head */
    struct ring q; /* over bytes */
    bool paused;   /* the engine holds the answer until the owner read some */
    bool done;     /* the call ended */
    int error;     /* how: 0 = well */
    char detail[UPSTREAM_DETAIL_MAX];
    size_t max_bytes; /* the call's max_response_bytes, for upstream_reader_whole */
    char bytes[READER_BYTES];
};

static void unref_locked(struct upstream_reader *r)
{
    if (--r->refs > 0) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < r->n_head; i++) free(r->head[i]);
    free(r->head);
    pthread_cond_destroy(&r->changed);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---------------------------------------------------------------- the engine's side */

static void on_head(void *ctx, long status, const char *const *lines, size_t n)
{
    struct upstream_reader *r = ctx;
    char **copy = calloc(n + 1, sizeof(char *));
    size_t kept = 0;
    for (size_t i = 0; copy && i < n; i++)
        if ((copy[kept] = strdup(lines[i]))) kept++;
    pthread_mutex_lock(&r->lock);
    r->head = copy;
    r->n_head = copy ? kept : 0;
    r->status = status;
    r->head_in = true;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

static size_t on_data(void *ctx, const char *p, size_t len)
{
    struct upstream_reader *r = ctx;
    pthread_mutex_lock(&r->lock);
    size_t took = UPSTREAM_PAUSE;
    if (ring_room(&r->q) >= len) {
        took = ring_put(&r->q, p, len);
        pthread_cond_broadcast(&r->changed);
    } else {
        r->paused = true; /* the owner reads more slowly: hold the answer until it catches up */
    }
    pthread_mutex_unlock(&r->lock);
    return took;
}

static void on_done(void *ctx, int error, const char *detail)
{
    struct upstream_reader *r = ctx;
    pthread_mutex_lock(&r->lock);
    r->done = true;
    r->error = error;
    snprintf(r->detail, sizeof(r->detail), "%s", error ? detail : "");
    pthread_cond_broadcast(&r->changed);
    unref_locked(r);
}

static const struct upstream_stream_ops reader_ops = {on_head, on_data, on_done, NULL};

/* ---------------------------------------------------------------- the owner's side */

int upstream_reader_open(struct upstream *u, const struct upstream_call *call, void (*tick)(void *),
                         void *tick_ctx, struct upstream_reader **ret)
{
    *ret = NULL;
    struct upstream_reader *r = calloc(1, sizeof(*r));
    if (!r) return -ENOMEM;
    r->u = u;
    r->tick = tick;
    r->tick_ctx = tick_ctx;
    r->refs = 2;
    r->max_bytes = call->max_response_bytes;
    ring_init(&r->q, r->bytes, sizeof(r->bytes));
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->changed, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_lock(&r->lock); /* the engine may answer before r->id is set */
    int e = upstream_stream(u, call, &reader_ops, r, &r->id);
    pthread_mutex_unlock(&r->lock);
    if (e < 0) {
        pthread_cond_destroy(&r->changed);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return e;
    }
    *ret = r;
    return 0;
}

/* Waits (lock held) until something changes or a tick is due; runs the tick unlocked. */
static void wait_locked(struct upstream_reader *r)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += TICK_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    if (pthread_cond_timedwait(&r->changed, &r->lock, &until) == ETIMEDOUT && r->tick) {
        pthread_mutex_unlock(&r->lock);
        r->tick(r->tick_ctx);
        pthread_mutex_lock(&r->lock);
    }
}

long upstream_reader_status(struct upstream_reader *r)
{
    pthread_mutex_lock(&r->lock);
    while (!r->head_in && !r->done) wait_locked(r);
    long status = r->head_in ? r->status : r->error ? r->error : -EIO;
    if (!r->head_in && !r->error) snprintf(r->detail, sizeof(r->detail), "no answer");
    pthread_mutex_unlock(&r->lock);
    return status;
}

long upstream_reader_read(struct upstream_reader *r, char *out, size_t max)
{
    pthread_mutex_lock(&r->lock);
    while (!ring_len(&r->q) && !r->done) wait_locked(r);
    long n = (long)ring_get(&r->q, out, max);
    if (n == 0 && r->error) n = r->error;
    bool unpause = r->paused && ring_room(&r->q) >= READER_BYTES / 2;
    if (unpause) r->paused = false;
    pthread_mutex_unlock(&r->lock);
    if (unpause) upstream_unpause(r->u, r->id);
    return n;
}

const char *upstream_reader_error(struct upstream_reader *r)
{
    pthread_mutex_lock(&r->lock);
    const char *d = r->detail; /* written only before done is set, read after */
    pthread_mutex_unlock(&r->lock);
    return d;
}

/* The value of header name in the head, or NULL (lock held). */
static const char *head_value(const struct upstream_reader *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_head; i++)
        if (strncasecmp(r->head[i], name, n) == 0 && r->head[i][n] == ':')
            return r->head[i] + n + 1 + strspn(r->head[i] + n + 1, " \t");
    return NULL;
}

int upstream_reader_whole(struct upstream_reader *r, struct upstream_result *ret)
{
    *ret = (struct upstream_result){.max_age_s = -1};
    long status = upstream_reader_status(r);
    struct buf body;
    buf_init(&body, r->max_bytes ? r->max_bytes : (size_t)-1);
    char piece[16384];
    long n = status < 0 ? status : 0;
    while (status >= 0 && (n = upstream_reader_read(r, piece, sizeof(piece))) > 0)
        if (buf_add(&body, piece, (size_t)n) < 0) break;
    int e = n < 0 ? (int)n : buf_error(&body) == -E2BIG ? -EMSGSIZE : buf_error(&body);
    if (e == 0) {
        ret->status = status;
        ret->body = buf_take(&body, &ret->len);
        if (!ret->body) e = -ENOMEM;
        pthread_mutex_lock(&r->lock);
        const char *date = head_value(r, "Date");
        const char *cache = head_value(r, "Cache-Control");
        const char *age = cache ? strstr(cache, "max-age=") : NULL;
        time_t t = date ? curl_getdate(date, NULL) : 0;
        ret->date = t > 0 ? t : 0;
        ret->max_age_s = age ? strtol(age + 8, NULL, 10) : -1;
        if (ret->max_age_s < 0) ret->max_age_s = -1;
        pthread_mutex_unlock(&r->lock);
    }
    buf_reset(&body);
    if (e < 0) {
        free(ret->body);
        ret->body = NULL;
        ret->len = 0;
        ret->error = e;
        snprintf(ret->detail, sizeof(ret->detail), "%s",
                 e == -EMSGSIZE ? "answer too large" : upstream_reader_error(r));
        if (!ret->detail[0]) snprintf(ret->detail, sizeof(ret->detail), "%s", strerror(-e));
        upstream_reader_cancel(r);
    }
    return e;
}

void upstream_reader_cancel(struct upstream_reader *r)
{
    pthread_mutex_lock(&r->lock);
    bool under_way = !r->done;
    uint64_t id = r->id;
    pthread_mutex_unlock(&r->lock);
    if (under_way) upstream_cancel(r->u, id);
}

void upstream_reader_close(struct upstream_reader *r)
{
    if (!r) return;
    upstream_reader_cancel(r);
    pthread_mutex_lock(&r->lock);
    unref_locked(r);
}
