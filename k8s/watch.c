/* k8s/watch: list + watch on a thread of its own; see watch.h. */
#include "k8s/watch.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k8s/client.h"

#define PAGE_LIMIT        500
#define PAGE_MAX_BYTES    (64u << 20) /* one page of a list */
#define EVENT_MAX_BYTES   (4u << 20)  /* one watch event */
#define WATCH_TIMEOUT_S   290         /* the server ends a watch after this; we start another */
#define CONNECT_TIMEOUT_S 10
#define BACKOFF_MAX_S     30
#define RV_MAX            64
#define URL_MAX           4096

struct k8s_watch {
    struct k8s_client *client;       /* borrowed */
    char *path;                      /* of the resource collection */
    const struct k8s_watch_ops *ops; /* told about objects */
    void *ctx;                       /* for ops */
    pthread_t thread;                /* lists and watches */
    atomic_bool stopping;            /* the thread exits; a transfer aborts */
    pthread_mutex_t lock;            /* guards everything below, and the wake-up */
    pthread_cond_t wake;             /* cuts a backoff short when stopping */
    bool synced;                     /* a list has completed */
    size_t n_objects;                /* objects in the last list, plus/minus events since */
    char error[256];                 /* the last failure, "" after a success */
};

/* A growing byte buffer with a hard maximum (the transfer fails past it). */
struct bytes {
    char *p;
    size_t n, cap, max;
};

static bool bytes_add(struct bytes *b, const char *p, size_t n)
{
    if (b->n + n + 1 > b->max) return false;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return false;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return true;
}

/* "<doing> <path>: <detail>" as the last failure. */
static void set_error(struct k8s_watch *w, const char *doing, const char *detail)
{
    pthread_mutex_lock(&w->lock);
    snprintf(w->error, sizeof(w->error), "%s %s: %s", doing, w->path, detail);
    pthread_mutex_unlock(&w->lock);
}

/* ---------------------------------------------------------------- transfers */

static int on_progress(void *userp, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    const struct k8s_watch *w = userp;
    return atomic_load(&w->stopping) ? 1 : 0;
}

/* A GET of url with kfdash's credentials; body goes to write(data). Returns the HTTP status,
 * or -1 with err set when the transfer failed. */
static long get(struct k8s_watch *w, const char *url, curl_write_callback write, void *data,
                long timeout_s, char *err, size_t err_size)
{
    char auth[K8S_AUTH_HEADER_MAX];
    if (k8s_client_auth_header(w->client, auth, sizeof(auth)) < 0 && !auth[0]) {
        snprintf(err, err_size, "cannot read kfdash's token");
        return -1;
    }
    CURL *c = curl_easy_init();
    if (!c) return -1;
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
    if (auth[0]) headers = curl_slist_append(headers, auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, data);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    const char *ca = k8s_client_ca_file(w->client);
    if (ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    if (k8s_client_cert_file(w->client)) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, k8s_client_cert_file(w->client));
        curl_easy_setopt(c, CURLOPT_SSLKEY, k8s_client_key_file(w->client));
    }
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(err, err_size, "%s", curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return status;
}

static size_t collect(char *p, size_t size, size_t n, void *userp)
{
    return bytes_add(userp, p, size * n) ? size * n : 0;
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
        char *escaped = cont[0] ? curl_easy_escape(NULL, cont, 0) : NULL;
        snprintf(url, sizeof(url), "%s%s%climit=%d%s%s", k8s_client_api(w->client), w->path,
                 strchr(w->path, '?') ? '&' : '?', PAGE_LIMIT, escaped ? "&continue=" : "",
                 escaped ? escaped : "");
        curl_free(escaped);
        struct bytes body = {.max = PAGE_MAX_BYTES};
        long status = get(w, url, collect, &body, 120, err, sizeof(err));
        cJSON *page = status == 200 ? cJSON_ParseWithLength(body.p, body.n) : NULL;
        free(body.p);
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
    struct bytes line; /* the event being received */
    char *rv;          /* updated as events pass */
    bool gone;         /* the server said 410: list again */
    bool events;       /* some events came in this chunk */
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

static size_t on_chunk(char *p, size_t size, size_t n, void *userp)
{
    struct stream *s = userp;
    size_t len = size * n;
    if (!bytes_add(&s->line, p, len)) return 0; /* one event too large: start over */
    size_t used = k8s_watch_lines(s->line.p, s->line.n, on_event, s);
    size_t rest = s->line.n - used;
    memmove(s->line.p, s->line.p + used, rest);
    s->line.n = rest;
    s->line.p[rest] = '\0';
    if (s->events) s->w->ops->settled(s->w->ctx);
    s->events = false;
    return s->gone ? 0 : len; /* 410: end this transfer */
}

/* Watches from rv; 0 when the server ended it normally, -ESTALE on 410, -1 on failure. */
static int watch(struct k8s_watch *w, char rv[RV_MAX])
{
    char url[URL_MAX], err[200] = "";
    snprintf(url, sizeof(url),
             "%s%s%cwatch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=%s",
             k8s_client_api(w->client), w->path, strchr(w->path, '?') ? '&' : '?', WATCH_TIMEOUT_S,
             rv);
    struct stream s = {.w = w, .line = {.max = EVENT_MAX_BYTES}, .rv = rv};
    long status = get(w, url, on_chunk, &s, WATCH_TIMEOUT_S + 30, err, sizeof(err));
    free(s.line.p);
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

int k8s_watch_start(struct k8s_client *c, const char *path, const struct k8s_watch_ops *ops,
                    void *ctx, struct k8s_watch **ret)
{
    struct k8s_watch *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return -ENOMEM;
    }
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
    pthread_mutex_lock(&w->lock);
    bool synced = w->synced;
    if (!synced || w->error[0])
        snprintf(detail, size, "%s%s", synced ? "synced; then " : "", w->error);
    else
        snprintf(detail, size, "%zu %s", w->n_objects, w->path);
    pthread_mutex_unlock(&w->lock);
    return synced;
}
