/* k8s/watch: list + watch on a thread of its own; see watch.h. */
#include "k8s/watch.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s/client.h"
#include "lib/buf.h"
#include "lib/upstream.h"

#define PAGE_LIMIT        500
#define PAGE_MAX_BYTES    (64u << 20) /* one page of a list */
#define EVENT_MAX_BYTES   (4u << 20)  /* one watch event */
#define WATCH_TIMEOUT_S   290         /* the server ends a watch after this; we start another */
#define CONNECT_TIMEOUT_S 10
#define BACKOFF_MAX_S     30
#define RV_MAX            64
#define URL_MAX           4096

struct k8s_watch {
    struct upstream *engine;         /* borrowed */
    struct k8s_client *client;       /* borrowed */
    char *path;                      /* of the resource collection */
    const struct k8s_watch_ops *ops; /* told about objects */
    void *ctx;                       /* for ops */
    pthread_t thread;                /* lists and watches */
    atomic_bool stopping;            /* the thread exits; a transfer aborts */
    pthread_mutex_t lock;            /* guards everything below, and the wake-up */
    pthread_cond_t wake;             /* cuts a backoff short when stopping */
    struct upstream_reader *current; /* the transfer under way, cancelled by a stop */
    bool synced;                     /* a list has completed */
    size_t n_objects;                /* objects in the last list, plus/minus events since */
    char error[256];                 /* the last failure, "" after a success */
};

/* "<doing> <path>: <detail>" as the last failure. */
static void set_error(struct k8s_watch *w, const char *doing, const char *detail)
{
    pthread_mutex_lock(&w->lock);
    snprintf(w->error, sizeof(w->error), "%s %s: %s", doing, w->path, detail);
    pthread_mutex_unlock(&w->lock);
}

/* ---------------------------------------------------------------- transfers */

/* Starts a GET of url with kfdash's credentials, which this thread then pulls; NULL with why
 * set when it cannot start. A stop cancels it (k8s_watch_stop). */
static struct upstream_reader *open_get(struct k8s_watch *w, const char *url, long timeout_s,
                                        bool decompress, size_t max_bytes, char *why, size_t size)
{
    char auth[K8S_AUTH_HEADER_MAX];
    if (k8s_client_auth_header(w->client, auth, sizeof(auth)) < 0 && !auth[0]) {
        snprintf(why, size, "cannot read kfdash's token");
        return NULL;
    }
    const char *headers[] = {"Accept: application/json", auth[0] ? auth : NULL, NULL};
    struct upstream_call call = {.method = "GET",
                                 .url = url,
                                 .headers = headers,
                                 .timeout_ms = timeout_s * 1000,
                                 .connect_timeout_ms = CONNECT_TIMEOUT_S * 1000,
                                 .max_response_bytes = max_bytes,
                                 .tls = k8s_client_tls(w->client),
                                 .decompress = decompress};
    struct upstream_reader *r = NULL;
    int e = upstream_reader_open(w->engine, &call, NULL, NULL, &r);
    explicit_bzero(auth, sizeof(auth));
    if (e < 0) {
        snprintf(why, size, "%s", upstream_error_text(e));
        return NULL;
    }
    pthread_mutex_lock(&w->lock);
    w->current = r;
    bool stopping = atomic_load(&w->stopping);
    pthread_mutex_unlock(&w->lock);
    if (stopping) upstream_reader_cancel(r);
    return r;
}

static void close_get(struct k8s_watch *w, struct upstream_reader *r)
{
    pthread_mutex_lock(&w->lock);
    w->current = NULL;
    pthread_mutex_unlock(&w->lock);
    upstream_reader_close(r);
}

/* ---------------------------------------------------------------- list */

static void copy_rv(const cJSON *meta, char rv[RV_MAX])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
    if (cJSON_IsString(v) && strlen(v->valuestring) < RV_MAX) strcpy(rv, v->valuestring);
}

/* Lists every page; 0 with rv set, or -1. */
static int list(struct k8s_watch *w, char rv[RV_MAX])
{
    char cont[2048] = "";
    bool first = true;
    size_t count = 0;
    do {
        char url[URL_MAX], err[200] = "";
        struct buf escaped;
        buf_init(&escaped, sizeof(cont) * 3);
        if (cont[0]) buf_add_url_escaped(&escaped, cont);
        snprintf(url, sizeof(url), "%s%s%climit=%d%s%s", k8s_client_api(w->client), w->path,
                 strchr(w->path, '?') ? '&' : '?', PAGE_LIMIT, cont[0] ? "&continue=" : "",
                 buf_str(&escaped));
        buf_reset(&escaped);
        struct upstream_result page_answer = {0};
        struct upstream_reader *r = open_get(w, url, 120, true, PAGE_MAX_BYTES, err, sizeof(err));
        if (r && upstream_reader_whole(r, &page_answer) < 0)
            snprintf(err, sizeof(err), "%s", upstream_error_text(page_answer.error));
        if (r) close_get(w, r);
        long status = r && !page_answer.error ? page_answer.status : -1;
        cJSON *page =
            status == 200 ? cJSON_ParseWithLength(page_answer.body, page_answer.len) : NULL;
        free(page_answer.body);
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");
        if (!cJSON_IsArray(items)) {
            char why[220];
            if (status > 0)
                snprintf(why, sizeof(why), "HTTP %ld", status);
            else
                snprintf(why, sizeof(why), "%s", err[0] ? err : "no answer");
            set_error(w, "listing", why);
            cJSON_Delete(page);
            return -1;
        }
        if (first) w->ops->reset(w->ctx);
        first = false;
        const cJSON *item;
        cJSON_ArrayForEach(item, items)
        {
            w->ops->apply(w->ctx, K8S_ADDED, item);
            count++;
        }
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(page, "metadata");
        copy_rv(meta, rv);
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(meta, "continue");
        cont[0] = '\0';
        if (cJSON_IsString(next) && strlen(next->valuestring) < sizeof(cont))
            strcpy(cont, next->valuestring);
        cJSON_Delete(page);
    } while (cont[0] && !atomic_load(&w->stopping));
    w->ops->settled(w->ctx);
    pthread_mutex_lock(&w->lock);
    w->synced = true;
    w->n_objects = count;
    w->error[0] = '\0';
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* ---------------------------------------------------------------- watch */

/* The state of one watch transfer. */
struct stream {
    struct k8s_watch *w;
    struct buf line; /* the event being received */
    char *rv;        /* updated as events pass */
    bool gone;       /* the server said 410: list again */
    bool events;     /* some events came in this chunk */
};

size_t k8s_watch_lines(const char *p, size_t n,
                       void (*on_line)(void *ctx, const char *text, size_t len), void *ctx)
{
    const char *start = p, *nl;
    while ((nl = memchr(start, '\n', n - (size_t)(start - p)))) {
        if (nl > start) on_line(ctx, start, (size_t)(nl - start));
        start = nl + 1;
    }
    return (size_t)(start - p);
}

int k8s_watch_line_parse(const char *text, size_t len, struct k8s_watch_line *ret)
{
    static const struct {
        const char *type;
        enum k8s_watch_kind kind;
        enum k8s_event event;
    } types[] = {
        {"ADDED", K8S_WATCH_OBJECT, K8S_ADDED},     {"MODIFIED", K8S_WATCH_OBJECT, K8S_MODIFIED},
        {"DELETED", K8S_WATCH_OBJECT, K8S_DELETED}, {"BOOKMARK", K8S_WATCH_BOOKMARK, K8S_ADDED},
        {"ERROR", K8S_WATCH_ERROR, K8S_ADDED},
    };
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "object");
    size_t i = 0;
    while (cJSON_IsString(type) && i < sizeof(types) / sizeof(types[0]) &&
           strcmp(type->valuestring, types[i].type) != 0)
        i++;
    if (!cJSON_IsString(type) || !cJSON_IsObject(obj) || i == sizeof(types) / sizeof(types[0])) {
        cJSON_Delete(root);
        return -EBADMSG;
    }
    struct k8s_watch_line l = {
        .kind = types[i].kind, .event = types[i].event, .object = obj, .root = root};
    if (l.kind == K8S_WATCH_ERROR) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");
        if (cJSON_IsNumber(code) && code->valuedouble == 410) l.kind = K8S_WATCH_GONE;
    } else {
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
        const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
        if (cJSON_IsString(rv)) l.resource_version = rv->valuestring;
    }
    *ret = l;
    return 0;
}

void k8s_watch_line_reset(struct k8s_watch_line *l)
{
    cJSON_Delete(l->root);
    *l = (struct k8s_watch_line){0};
}

static void on_event(void *ctx, const char *text, size_t len)
{
    struct stream *s = ctx;
    struct k8s_watch_line l;
    if (k8s_watch_line_parse(text, len, &l) < 0) return;
    if (l.kind == K8S_WATCH_GONE) s->gone = true;
    if (l.resource_version && strlen(l.resource_version) < RV_MAX)
        strcpy(s->rv, l.resource_version);
    if (l.kind == K8S_WATCH_OBJECT) {
        s->w->ops->apply(s->w->ctx, l.event, l.object);
        s->events = true;
        pthread_mutex_lock(&s->w->lock);
        if (l.event == K8S_ADDED) s->w->n_objects++;
        if (l.event == K8S_DELETED && s->w->n_objects) s->w->n_objects--;
        pthread_mutex_unlock(&s->w->lock);
    }
    k8s_watch_line_reset(&l);
}

/* Takes a piece of the watch's answer: whole lines are events. False when one event is too
 * large to hold. */
static bool take_chunk(struct stream *s, const char *p, size_t len)
{
    if (buf_add(&s->line, p, len) < 0) return false;
    size_t used = k8s_watch_lines(s->line.p, s->line.n, on_event, s);
    buf_drop_front(&s->line, used);
    if (s->events) s->w->ops->settled(s->w->ctx);
    s->events = false;
    return true;
}

/* Watches from rv; 0 when the server ended it normally, -ESTALE on 410, -1 on failure. */
static int watch(struct k8s_watch *w, char rv[RV_MAX])
{
    char url[URL_MAX], err[200] = "";
    snprintf(url, sizeof(url),
             "%s%s%cwatch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=%s",
             k8s_client_api(w->client), w->path, strchr(w->path, '?') ? '&' : '?', WATCH_TIMEOUT_S,
             rv);
    struct stream s = {.w = w, .rv = rv};
    buf_init(&s.line, EVENT_MAX_BYTES);
    struct upstream_reader *r = open_get(w, url, WATCH_TIMEOUT_S + 30, false, 0, err, sizeof(err));
    long status = r ? upstream_reader_status(r) : -1;
    if (status == 200) {
        char piece[16384];
        long n;
        while (!s.gone && (n = upstream_reader_read(r, piece, sizeof(piece))) > 0)
            if (!take_chunk(&s, piece, (size_t)n)) {
                status = -1;
                snprintf(err, sizeof(err), "an event larger than %u bytes", EVENT_MAX_BYTES);
                break;
            }
        if (n < 0 && !s.gone) {
            status = -1;
            snprintf(err, sizeof(err), "%s", upstream_error_text((int)n));
        }
    } else if (status < 0 && r) {
        snprintf(err, sizeof(err), "%s", upstream_error_text((int)status));
    }
    if (r) close_get(w, r);
    buf_reset(&s.line);
    if (s.gone || status == 410) return -ESTALE;
    if (status == 200) return 0;
    char why[220];
    if (status > 0)
        snprintf(why, sizeof(why), "HTTP %ld", status);
    else
        snprintf(why, sizeof(why), "%s", err[0] ? err : "no answer");
    set_error(w, "watching", why);
    return -1;
}

/* ---------------------------------------------------------------- thread */

static void pause_for(struct k8s_watch *w, long seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&w->lock);
    while (!atomic_load(&w->stopping) &&
           pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&w->lock);
}

static void *watch_main(void *arg)
{
    struct k8s_watch *w = arg;
    long backoff = 1;
    char rv[RV_MAX] = "";
    bool listed = false;
    while (!atomic_load(&w->stopping)) {
        if (!listed) {
            listed = list(w, rv) == 0;
            if (!listed) {
                pause_for(w, backoff);
                backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
                continue;
            }
            backoff = 1;
        }
        int r = watch(w, rv);
        if (r == -ESTALE) {
            listed = false; /* the version is too old: list again, at once */
        } else if (r < 0 && !atomic_load(&w->stopping)) {
            pause_for(w, backoff);
            backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
        } else {
            backoff = 1;
        }
    }
    return NULL;
}

int k8s_watch_start(struct upstream *engine, struct k8s_client *c, const char *path,
                    const struct k8s_watch_ops *ops, void *ctx, struct k8s_watch **ret)
{
    struct k8s_watch *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return -ENOMEM;
    }
    w->engine = engine;
    w->client = c;
    w->ops = ops;
    w->ctx = ctx;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    snprintf(w->error, sizeof(w->error), "listing %s", path);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w->path);
        free(w);
        return -EAGAIN;
    }
    *ret = w;
    return 0;
}

void k8s_watch_stop(struct k8s_watch *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    atomic_store(&w->stopping, true);
    if (w->current) upstream_reader_cancel(w->current);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w->path);
    free(w);
}

bool k8s_watch_synced(struct k8s_watch *w, char *detail, size_t size)
{
    if (!w) {
        snprintf(detail, size, "stopped");
        return false;
    }
    pthread_mutex_lock(&w->lock);
    bool synced = w->synced;
    if (!synced || w->error[0])
        snprintf(detail, size, "%s%s", synced ? "synced; then " : "", w->error);
    else
        snprintf(detail, size, "%zu %s", w->n_objects, w->path);
    pthread_mutex_unlock(&w->lock);
    return synced;
}
