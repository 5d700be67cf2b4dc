/* upstream: libcurl multi on a thread of its own; see upstream.h. */
#include "server/upstream.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/buf.h"

struct job {
    CURL *easy;                 /* the transfer */
    struct curl_slist *headers; /* request headers, freed with the job */
    struct buf body;            /* the answer, bounded by the call's max_response_bytes */
    upstream_done_fn *done;     /* told once */
    void *ctx;                  /* for done */
    struct job *next;           /* in upstream.pending, then in upstream.active */
    struct job *prev;           /* in upstream.active */
};

struct upstream {
    CURLM *multi;         /* every transfer under way */
    pthread_t thread;     /* drives multi */
    pthread_mutex_t lock; /* guards pending, n_calls and stopping */
    struct job *pending;  /* submitted, not yet added to multi */
    struct job *active;   /* added to multi; the engine thread's own */
    size_t n_calls;       /* pending plus under way */
    bool stopping;        /* no new calls; the thread exits */
};

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct job *j = userp;
    return buf_add(&j->body, data, size * n) == 0 ? size * n : 0; /* 0 fails the transfer */
}

static void job_free(struct job *j)
{
    curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->headers);
    buf_reset(&j->body);
    free(j);
}

/* Tells the caller how the call ended and frees the job. */
static void finish(struct job *j, CURLcode rc)
{
    struct upstream_result res = {0};
    if (rc == CURLE_OK) {
        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &res.status);
        res.body = buf_take(&j->body, &res.len);
        if (!res.body) res.body = strdup(""), res.len = 0;
        if (!res.body) res.error = -ENOMEM;
    } else {
        const char *url = NULL;
        curl_easy_getinfo(j->easy, CURLINFO_EFFECTIVE_URL, &url);
        bool too_big = rc == CURLE_WRITE_ERROR && buf_error(&j->body) == -E2BIG;
        res.error = too_big                           ? -EMSGSIZE
                    : rc == CURLE_OPERATION_TIMEDOUT  ? -ETIMEDOUT
                    : rc == CURLE_COULDNT_CONNECT     ? -ECONNREFUSED
                    : rc == CURLE_ABORTED_BY_CALLBACK ? -ECANCELED
                                                      : -EIO;
        snprintf(res.detail, sizeof(res.detail), "%.120s: %s", url ? url : "?",
                 too_big ? "answer too large" : curl_easy_strerror(rc));
    }
    j->done(j->ctx, &res);
    free(res.body);
    job_free(j);
}

static void unlink_active(struct upstream *u, struct job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        u->active = j->next;
    if (j->next) j->next->prev = j->prev;
}

static void uncount(struct upstream *u)
{
    pthread_mutex_lock(&u->lock);
    u->n_calls--;
    pthread_mutex_unlock(&u->lock);
}

static void *engine_main(void *arg)
{
    struct upstream *u = arg;
    for (;;) {
        pthread_mutex_lock(&u->lock);
        struct job *jobs = u->pending;
        u->pending = NULL;
        bool stopping = u->stopping;
        pthread_mutex_unlock(&u->lock);
        while (jobs) {
            struct job *j = jobs;
            jobs = j->next;
            if (!stopping && curl_multi_add_handle(u->multi, j->easy) == CURLM_OK) {
                j->prev = NULL;
                j->next = u->active;
                if (u->active) u->active->prev = j;
                u->active = j;
            } else {
                finish(j, CURLE_ABORTED_BY_CALLBACK);
                uncount(u);
            }
        }
        if (stopping) break;
        int running = 0;
        curl_multi_perform(u->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(u->multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *easy = msg->easy_handle;
            CURLcode rc = msg->data.result;
            struct job *j = NULL;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
            curl_multi_remove_handle(u->multi, easy);
            unlink_active(u, j);
            finish(j, rc);
            uncount(u);
        }
        curl_multi_poll(u->multi, NULL, 0, 1000, NULL);
    }
    /* Stopping: every transfer still under way ends as cancelled. */
    while (u->active) {
        struct job *j = u->active;
        curl_multi_remove_handle(u->multi, j->easy);
        unlink_active(u, j);
        finish(j, CURLE_ABORTED_BY_CALLBACK);
        uncount(u);
    }
    return NULL;
}

int upstream_new(struct upstream **ret)
{
    struct upstream *u = calloc(1, sizeof(*u));
    if (!u) return -ENOMEM;
    u->multi = curl_multi_init();
    if (!u->multi) {
        free(u);
        return -ENOMEM;
    }
    curl_multi_setopt(u->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
    pthread_mutex_init(&u->lock, NULL);
    if (pthread_create(&u->thread, NULL, engine_main, u) != 0) {
        pthread_mutex_destroy(&u->lock);
        curl_multi_cleanup(u->multi);
        free(u);
        return -EAGAIN;
    }
    *ret = u;
    return 0;
}

void upstream_free(struct upstream *u)
{
    if (!u) return;
    pthread_mutex_lock(&u->lock);
    u->stopping = true;
    pthread_mutex_unlock(&u->lock);
    curl_multi_wakeup(u->multi);
    pthread_join(u->thread, NULL);
    curl_multi_cleanup(u->multi);
    pthread_mutex_destroy(&u->lock);
    free(u);
}

static struct job *job_new(const struct upstream_call *call)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j) return NULL;
    buf_init(&j->body, call->max_response_bytes);
    j->easy = curl_easy_init();
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
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, call->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, call->timeout_ms);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (call->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, call->ca_file);
    if (call->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)call->body_len);
        ok = ok && curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, call->body) == CURLE_OK;
    }
    if (!ok) {
        job_free(j);
        return NULL;
    }
    return j;
}

int upstream_fetch(struct upstream *u, const struct upstream_call *call, upstream_done_fn *done,
                   void *ctx)
{
    struct job *j = job_new(call);
    if (!j) return -ENOMEM;
    j->done = done;
    j->ctx = ctx;
    pthread_mutex_lock(&u->lock);
    int r = u->stopping ? -ECANCELED : u->n_calls >= UPSTREAM_MAX_CALLS ? -EBUSY : 0;
    if (r == 0) {
        j->next = u->pending;
        u->pending = j;
        u->n_calls++;
    }
    pthread_mutex_unlock(&u->lock);
    if (r < 0) {
        job_free(j);
        return r;
    }
    curl_multi_wakeup(u->multi);
    return 0;
}
