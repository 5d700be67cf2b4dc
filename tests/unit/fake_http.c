/* fake_http: see fake_http.h. */
#include "fake_http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth/headers.h"
#include "auth/identity.h"
#include "lib/buf.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/http/path.h"
#include "server/kfdash.h"

#define FAKE_HEADERS_MAX 64
#define FAKE_PARAMS_MAX  8
#define FAKE_OWNED_MAX   32

struct http_request {
    const struct kfdash *k;
    char *method, *path, *raw_path, *raw_query;
    char *headers[2 * FAKE_HEADERS_MAX]; /* name, value */
    size_t n_headers;
    struct buf cookies; /* "a=1; b=2" */
    struct buf body;
    struct sockaddr_in peer;
    const struct route *route;
    char *params[2 * FAKE_PARAMS_MAX];
    size_t n_params;
    struct identity *who;
    void *ctx;
    void (*ctx_free)(void *);
    char *owned[FAKE_OWNED_MAX]; /* strings handed out (queries, cookies) */
    size_t n_owned;
    /* the reply */
    unsigned status;
    struct buf reply;
    char *reply_headers[2 * FAKE_HEADERS_MAX];
    size_t n_reply_headers;
    /* parking */
    void (*on_end)(void *);
    void *on_end_ctx;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool parked;
    http_next_fn next; /* set by a resume */
};

static char *keep(struct http_request *r, char *s)
{
    if (s && r->n_owned < FAKE_OWNED_MAX) r->owned[r->n_owned++] = s;
    return s;
}

struct http_request *fake_request(const struct kfdash *k, const char *method, const char *target)
{
    struct http_request *r = calloc(1, sizeof(*r));
    if (!r) abort();
    r->k = k;
    r->method = strdup(method);
    const char *q = strchr(target, '?');
    size_t path_len = q ? (size_t)(q - target) : strlen(target);
    if (path_normalize(target, path_len, &r->path, &r->raw_path) < 0) abort(); /* http.c: 400 */
    r->raw_query = strdup(q ? q + 1 : "");
    buf_init(&r->cookies, 1 << 16);
    buf_init(&r->body, 1 << 24);
    buf_init(&r->reply, 1 << 26);
    r->peer.sin_family = AF_INET;
    r->peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    fake_header(r, "Host", "127.0.0.1:8080");
    return r;
}

void fake_free(struct http_request *r)
{
    if (!r) return;
    if (r->ctx_free) r->ctx_free(r->ctx);
    if (r->on_end) r->on_end(r->on_end_ctx);
    identity_free(r->who);
    for (size_t i = 0; i < 2 * r->n_headers; i++) free(r->headers[i]);
    for (size_t i = 0; i < 2 * r->n_params; i++) free(r->params[i]);
    for (size_t i = 0; i < 2 * r->n_reply_headers; i++) free(r->reply_headers[i]);
    for (size_t i = 0; i < r->n_owned; i++) free(r->owned[i]);
    buf_reset(&r->cookies);
    buf_reset(&r->body);
    buf_reset(&r->reply);
    free(r->method);
    free(r->path);
    free(r->raw_path);
    free(r->raw_query);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->changed);
    free(r);
}

void fake_header(struct http_request *r, const char *name, const char *value)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[2 * i], name) == 0) {
            free(r->headers[2 * i + 1]);
            r->headers[2 * i + 1] = strdup(value);
            return;
        }
    if (r->n_headers == FAKE_HEADERS_MAX) abort();
    r->headers[2 * r->n_headers] = strdup(name);
    r->headers[2 * r->n_headers + 1] = strdup(value);
    r->n_headers++;
}

void fake_cookie(struct http_request *r, const char *name, const char *value)
{
    buf_addf(&r->cookies, "%s%s=%s", r->cookies.n ? "; " : "", name, value);
    fake_header(r, "Cookie", buf_str(&r->cookies));
}

void fake_body(struct http_request *r, const char *body)
{
    buf_reset(&r->body);
    buf_init(&r->body, 1 << 24);
    buf_adds(&r->body, body);
}

void fake_peer(struct http_request *r, const char *ip)
{
    inet_pton(AF_INET, ip, &r->peer.sin_addr);
}

void fake_route(struct http_request *r, const struct route *route, const char *const *params)
{
    r->route = route;
    for (size_t i = 0; params && params[i] && r->n_params < FAKE_PARAMS_MAX; i += 2) {
        r->params[2 * r->n_params] = strdup(params[i]);
        r->params[2 * r->n_params + 1] = strdup(params[i + 1]);
        r->n_params++;
    }
}

void fake_identity(struct http_request *r, struct identity *who)
{
    http_request_set_identity(r, who);
}

/* ---------------------------------------------------------------- what was answered */

unsigned fake_status(const struct http_request *r)
{
    return r->status;
}

const char *fake_reply_body(const struct http_request *r)
{
    return buf_str(&r->reply);
}

const char *fake_reply_header_at(const struct http_request *r, const char *name, size_t n)
{
    for (size_t i = 0; i < r->n_reply_headers; i++)
        if (strcasecmp(r->reply_headers[2 * i], name) == 0 && n-- == 0)
            return r->reply_headers[2 * i + 1];
    return NULL;
}

const char *fake_reply_header(const struct http_request *r, const char *name)
{
    return fake_reply_header_at(r, name, 0);
}

bool fake_parked(const struct http_request *r)
{
    return r->parked && !r->next;
}

cJSON *fake_reply_json(const struct http_request *r)
{
    return cJSON_Parse(buf_str(&r->reply));
}

bool fake_settle(struct http_request *r, long timeout_ms)
{
    while (!r->status && r->parked)
        if (!fake_wait(r, timeout_ms)) return false;
    return r->status != 0;
}

bool fake_wait(struct http_request *r, long timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&r->lock);
    while (!r->next)
        if (pthread_cond_timedwait(&r->changed, &r->lock, &until) == ETIMEDOUT) break;
    http_next_fn next = r->next;
    r->next = NULL;
    r->parked = false;
    pthread_mutex_unlock(&r->lock);
    if (next) next(r);
    return next != NULL;
}

/* ---------------------------------------------------------------- http.h: replies */

static void add_reply_header(struct http_request *r, const char *name, const char *value)
{
    if (r->n_reply_headers == FAKE_HEADERS_MAX) return;
    r->reply_headers[2 * r->n_reply_headers] = strdup(name);
    r->reply_headers[2 * r->n_reply_headers + 1] = strdup(value);
    r->n_reply_headers++;
}

static void answer(struct http_request *r, unsigned status, const char *content_type,
                   const void *body, size_t len, const char *const *headers)
{
    if (r->status) abort(); /* exactly one reply per request */
    r->status = status;
    buf_add(&r->reply, body, len);
    if (content_type) add_reply_header(r, "Content-Type", content_type);
    for (size_t i = 0; headers && headers[i]; i += 2)
        add_reply_header(r, headers[i], headers[i + 1]);
}

void http_reply_static(struct http_request *r, unsigned status, const char *content_type,
                       const void *body, size_t len, const char *const *headers)
{
    answer(r, status, content_type, body, len, headers);
}

void http_reply_copy(struct http_request *r, unsigned status, const char *content_type,
                     const void *body, size_t len, const char *const *headers)
{
    answer(r, status, content_type, body, len, headers);
}

void http_reply_take(struct http_request *r, unsigned status, const char *content_type, void *body,
                     size_t len, const char *const *headers)
{
    answer(r, status, content_type, body, len, headers);
    free(body);
}

void http_reply_fd(struct http_request *r, unsigned status, const char *content_type, int fd,
                   uint64_t size, const char *const *headers)
{
    char piece[4096];
    answer(r, status, content_type, "", 0, headers);
    ssize_t n;
    while ((n = read(fd, piece, sizeof(piece))) > 0) buf_add(&r->reply, piece, (size_t)n);
    close(fd);
}

void http_reply_stream(struct http_request *r, unsigned status, uint64_t size,
                       const char *const *headers, http_stream_read_fn read_fn, void *ctx)
{
    answer(r, status, NULL, "", 0, headers); /* the body is the proxy's: not read here */
}

void http_reply_relayed(struct http_request *r, unsigned status, const char *const *headers,
                        char *body, size_t len)
{
    answer(r, status, NULL, body, len, headers);
    free(body);
}

void http_stream_sleep(struct http_request *r) {}

void http_stream_wake(struct http_request *r) {}

bool http_request_client_gone(const struct http_request *r)
{
    return false;
}

void http_reply_upgrade(struct http_request *r, const char *const *headers,
                        http_upgraded_fn upgraded, void *ctx)
{
    answer(r, 101, NULL, "", 0, headers);
}

void http_upgraded_close(struct http_upgraded *handle) {}

int http_request_add_reply_header(struct http_request *r, const char *name, const char *value)
{
    add_reply_header(r, name, value);
    return 0;
}

/* ---------------------------------------------------------------- http.h: the request */

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

const char *http_request_param(const struct http_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[2 * i], name) == 0) return r->params[2 * i + 1];
    return NULL;
}

const char *http_request_query(struct http_request *r, const char *name)
{
    const char *q = r->raw_query;
    size_t n = strlen(name);
    while (*q) {
        size_t len = strcspn(q, "&");
        if (strncmp(q, name, n) == 0 && (q[n] == '=' || n == len)) {
            const char *v = q[n] == '=' ? q + n + 1 : q + len;
            char *value = NULL;
            if (path_decode_component(v, (size_t)(q + len - v), 1, &value) < 0) return NULL;
            return keep(r, value);
        }
        q += len + (q[len] == '&');
    }
    return NULL;
}

static const char *header_value(const struct http_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[2 * i], name) == 0) return r->headers[2 * i + 1];
    return NULL;
}

const char *http_request_header(const struct http_request *r, const char *name)
{
    if (auth_header_is_identity(name, r->k && r->k->cfg ? r->k->cfg->userid_header : ""))
        return NULL;
    return header_value(r, name);
}

const char *http_request_trusted_header(const struct http_request *r, const char *name)
{
    return header_value(r, name);
}

void http_request_each_header(const struct http_request *r,
                              void (*fn)(void *cls, const char *name, const char *value), void *cls)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (http_request_header(r, r->headers[2 * i]))
            fn(cls, r->headers[2 * i], r->headers[2 * i + 1]);
}

const char *http_request_cookie(const struct http_request *r, const char *name)
{
    const char *c = header_value(r, "Cookie");
    size_t n = strlen(name);
    while (c && *c) {
        while (*c == ' ') c++;
        size_t len = strcspn(c, ";");
        if (strncmp(c, name, n) == 0 && c[n] == '=')
            return keep((struct http_request *)r, strndup(c + n + 1, len - n - 1));
        c += len + (c[len] == ';');
    }
    return NULL;
}

const char *http_request_id(const struct http_request *r)
{
    return "fake";
}

const struct sockaddr *http_request_peer(const struct http_request *r)
{
    return (const struct sockaddr *)&r->peer;
}

const struct http_server *http_request_server(const struct http_request *r)
{
    return NULL;
}

struct upstream *http_request_engine(const struct http_request *r)
{
    return NULL; /* no worker loops here: handlers use the application's shared engine */
}

void *http_request_app(const struct http_request *r)
{
    return (void *)r->k;
}

const char *http_request_body(const struct http_request *r, size_t *ret_len)
{
    *ret_len = r->body.n;
    return buf_str(&r->body);
}

bool http_request_is_https(const struct http_request *r)
{
    return false; /* no trusted proxy in front of a fake request */
}

int http_request_origin(const struct http_request *r, char *out, size_t size)
{
    const char *host = header_value(r, "Host");
    if (!host) return -EINVAL;
    int n = snprintf(out, size, "http://%s", host);
    return n > 0 && (size_t)n < size ? 0 : -E2BIG;
}

void http_request_run_route(struct http_request *r)
{
    r->route->handler(r);
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

unsigned http_request_route_flags(const struct http_request *r)
{
    return r->route ? r->route->flags : 0;
}

bool http_request_streams_body(const struct http_request *r)
{
    return http_request_route_flags(r) & ROUTE_STREAM_BODY;
}

void http_request_take_body(struct http_request *r, http_body_fn fn, void *ctx)
{
    fn(ctx, buf_str(&r->body), r->body.n);
    fn(ctx, NULL, 0);
}

void http_request_hold_body(struct http_request *r) {}

void http_request_release_body(struct http_request *r) {}

void http_request_set_context(struct http_request *r, void *ctx, void (*free_fn)(void *))
{
    if (r->ctx_free && r->ctx != ctx) r->ctx_free(r->ctx);
    r->ctx = ctx;
    r->ctx_free = free_fn;
}

void http_request_on_end(struct http_request *r, void (*fn)(void *), void *ctx)
{
    r->on_end = fn;
    r->on_end_ctx = ctx;
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

void http_request_suspend(struct http_request *r)
{
    pthread_mutex_lock(&r->lock);
    r->parked = true;
    pthread_mutex_unlock(&r->lock);
}

void http_request_resume(struct http_request *r, http_next_fn next)
{
    pthread_mutex_lock(&r->lock);
    r->next = next;
    pthread_cond_broadcast(&r->changed);
    pthread_mutex_unlock(&r->lock);
}

bool http_server_draining(const struct http_server *s)
{
    return false;
}

const struct metrics *http_server_metrics(const struct http_server *s)
{
    return NULL;
}
