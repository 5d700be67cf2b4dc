/*
 * upstream: the engine that talks to other servers (Dex, the apiserver, later the proxied apps)
 * without blocking the HTTP threads.
 *
 * One thread drives libcurl's multi interface. A handler submits a call and parks its request
 * (http_request_suspend); the engine calls `done` on its own thread when the answer is in (or the
 * call failed), and `done` resumes the request. Every call has a timeout and a response size
 * limit; the number of calls under way is bounded, past it submitting fails with -EBUSY.
 *
 * Threads: upstream_fetch may be called from any thread; `done` runs on the engine thread and
 * must not block.
 */
#pragma once

#include <stddef.h>

struct upstream;

/* Calls queued or under way, at most. */
#define UPSTREAM_MAX_CALLS  1024
#define UPSTREAM_DETAIL_MAX 200

struct upstream_call {
    const char *method;         /* "GET", "POST", ... */
    const char *url;            /* http or https */
    const char *const *headers; /* "Name: value" lines, NULL-terminated; NULL for none */
    const char *body;           /* request body (copied), NULL for none */
    size_t body_len;            /* bytes in body */
    long timeout_ms;            /* the whole call, connect included */
    size_t max_response_bytes;  /* a longer answer fails with -EMSGSIZE */
    const char *ca_file;        /* PEM bundle to trust instead of the system's; NULL for those */
};

struct upstream_result {
    int error;                        /* 0 when an HTTP answer came; else -ETIMEDOUT, -ECONNREFUSED,
                                         -EMSGSIZE, -ECANCELED (engine stopping), -EIO */
    char detail[UPSTREAM_DETAIL_MAX]; /* what went wrong, for logs and error pages */
    long status;                      /* the HTTP status when error is 0 */
    char *body;                       /* the answer, NUL-terminated; the callee may take it */
    size_t len;                       /* bytes in body */
};

/* Runs on the engine thread once per submitted call; result is freed after it returns unless
 * the callee set result->body to NULL after taking it. */
typedef void upstream_done_fn(void *ctx, struct upstream_result *result);

int upstream_new(struct upstream **ret);
/* Fails every call still under way with -ECANCELED, stops the thread and frees; NULL-safe. */
void upstream_free(struct upstream *u);

/* Submits a call. 0: done will be called exactly once. -EBUSY when too many are under way,
 * -ENOMEM, -ECANCELED when stopping: done will not be called. */
int upstream_fetch(struct upstream *u, const struct upstream_call *call, upstream_done_fn *done,
                   void *ctx);
