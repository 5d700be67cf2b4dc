/*
 * upstream: the engine that talks to other servers (Dex, the apiserver, the proxied apps)
 * without blocking the HTTP threads.
 *
 * One thread drives libcurl's multi interface: the engine's own, or (a driven engine) the
 * thread that made it, inside its own event loop. A driven engine sends streamed calls to
 * plain-http servers through its own HTTP/1.1 client instead (h1_client.h: the proxy's path);
 * callers see the same calls either way. A handler submits a call and parks its request
 * (http_request_suspend); the engine calls `done` on its own thread when the answer is in (or the
 * call failed), and `done` resumes the request. Every call has a timeout and a response size
 * limit; the number of calls under way is bounded, past it submitting fails with -EBUSY.
 *
 * Threads: upstream_fetch may be called from any thread; `done` runs on the engine thread (a
 * driven engine's: the thread that drives it) and must not block.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct upstream;

/* Calls queued or under way, at most, in any engine. */
#define UPSTREAM_MAX_CALLS  1024
#define UPSTREAM_DETAIL_MAX 200

/*
 * TLS credentials: each from a file, or PEM bytes in memory (handed to libcurl as they are,
 * never written anywhere). NULL/0 for what is not used.
 */
struct upstream_tls {
    const char *ca_file; /* the CAs to trust instead of the system's */
    const char *ca_pem;
    size_t ca_pem_len;
    const char *cert_file; /* a client certificate */
    const char *cert_pem;
    size_t cert_pem_len;
    const char *key_file; /* its key */
    const char *key_pem;
    size_t key_pem_len;
};

struct upstream_call {
    const char *method;             /* "GET", "POST", ... */
    const char *url;                /* http or https */
    const char *const *headers;     /* "Name: value" lines, NULL-terminated; NULL for none */
    const char *body;               /* request body (copied), NULL for none */
    size_t body_len;                /* bytes in body */
    long timeout_ms;                /* the whole call, connect included; 0 = no limit (streams) */
    long connect_timeout_ms;        /* connecting; 0 = timeout_ms */
    long idle_timeout_s;            /* 0, or fail when the answer stalls this long (streams) */
    size_t max_response_bytes;      /* a longer answer fails with -EMSGSIZE */
    const struct upstream_tls *tls; /* TLS credentials; NULL: the system's CAs, no client cert */
    bool decompress; /* streamed calls: ask for a compressed answer and undo it (upstream_fetch
                        always does; a proxy never may) */
    /* upstream_stream only: the request body comes from ops->read instead of body; its size
     * (Content-Length), or -1 to send it chunked. */
    bool body_streams;
    long long streamed_body_size;
};

struct upstream_result {
    int error;                        /* 0 when an HTTP answer came; else -ETIMEDOUT, -ECONNREFUSED,
                                         -EMSGSIZE, -ECANCELED (engine stopping), -EIO */
    char detail[UPSTREAM_DETAIL_MAX]; /* what went wrong, for logs and error pages */
    long status;                      /* the HTTP status when error is 0 */
    char *body;                       /* the answer, NUL-terminated; the callee may take it */
    size_t len;                       /* bytes in body */
    time_t date;                      /* the answer's Date header; 0 when absent or unparsable */
    long max_age_s;                   /* its Cache-Control max-age; -1 when absent */
};

/* Runs on the engine thread once per submitted call; result is freed after it returns unless
 * the callee set result->body to NULL after taking it. */
typedef void upstream_done_fn(void *ctx, struct upstream_result *result);

/* connect_to: NULL, or comma-separated HOST:PORT:TO_HOST:TO_PORT (as curl --connect-to) that
 * every call honours. max_calls: calls queued or under way at most (0 or more than
 * UPSTREAM_MAX_CALLS: that). */
int upstream_new(const char *connect_to, size_t max_calls, struct upstream **ret);
/* Fails every call still under way with -ECANCELED, stops the thread and frees; NULL-safe. A
 * driven engine is freed by the thread that drives it. */
void upstream_free(struct upstream *u);

/*
 * A driven engine has no thread of its own: the thread that made it runs it inside its own
 * event loop (an HTTP worker, so that a proxied request and its upstream call never change
 * threads). The loop watches upstream_fd for reading and calls upstream_drive when it is
 * readable, when upstream_due_ms comes, and after any work of its own that may have submitted
 * calls (calls submitted from the driving thread do not wake the loop). Other threads may
 * submit, unpause and cancel as with any engine.
 */
int upstream_new_driven(const char *connect_to, size_t max_calls, struct upstream **ret);
int upstream_fd(const struct upstream *u);
/* One round that does not block: new calls start, ready sockets are served, finished calls
 * are handed back (their callbacks run here). */
void upstream_drive(struct upstream *u);
/* Milliseconds until the engine must be driven even if its fd stays quiet; -1: no such time. */
long upstream_due_ms(const struct upstream *u);
/* Whether calls or commands wait for the next round (those from the driving thread do not
 * wake its loop). */
bool upstream_pending(struct upstream *u);

/* A short phrase for a failed call's error, fit for users (the result's detail, which names
 * the URL, is for logs): "timed out", "connection refused", ... */
const char *upstream_error_text(int error);

/* Submits a call. 0: done will be called exactly once. -EBUSY when too many are under way,
 * -ENOMEM, -ECANCELED when stopping: done will not be called. */
int upstream_fetch(struct upstream *u, const struct upstream_call *call, upstream_done_fn *done,
                   void *ctx);

/* ---- streamed calls: the answer is handed over piece by piece, never held whole ---- */

#define UPSTREAM_HEAD_MAX 100 /* header lines of an answer; more fails the call */
#define UPSTREAM_PAUSE    ((size_t)-1)

/* Called on the engine thread, in this order; none may block. */
struct upstream_stream_ops {
    /* The answer's head: its status and "Name: value" lines (borrowed for the call). */
    void (*head)(void *ctx, long status, const char *const *lines, size_t n);
    /* A piece of the body: return len when taken, or UPSTREAM_PAUSE to get it again after
     * upstream_unpause. */
    size_t (*data)(void *ctx, const char *p, size_t len);
    /* The end, always called once: 0, or -errno with detail (head may not have come). */
    void (*done)(void *ctx, int error, const char *detail);
    /* When the call's body streams: fill out with up to max bytes of it and return how many,
     * 0 at its end, or UPSTREAM_PAUSE to be asked again after upstream_unpause. */
    size_t (*read)(void *ctx, char *out, size_t max);
};

/* As upstream_fetch, streamed; *ret_id names the call for unpause and cancel. */
int upstream_stream(struct upstream *u, const struct upstream_call *call,
                    const struct upstream_stream_ops *ops, void *ctx, uint64_t *ret_id);
/* From any thread: hand the paused body on again / give the call up (done still follows).
 * Harmless once the call has ended. */
void upstream_unpause(struct upstream *u, uint64_t id);
void upstream_cancel(struct upstream *u, uint64_t id);

/* ---- raw connections (for WebSocket tunnels): libcurl resolves and connects, then lets go ---- */

struct upstream_conn;
/* Engine thread: conn (yours, close with upstream_conn_close) or NULL with -errno and detail. */
typedef void upstream_conn_fn(void *ctx, struct upstream_conn *conn, int error, const char *detail);
/* Connects to the host and port of url (http only: the socket is used as it is). */
int upstream_connect(struct upstream *u, const char *url, long timeout_ms,
                     upstream_conn_fn *connected, void *ctx);
int upstream_conn_fd(const struct upstream_conn *c);
void upstream_conn_close(struct upstream_conn *c);

/* ---- for threads of their own that may block (watches, key refreshers); never HTTP threads ----
 */

/* A streamed call whose answer its owner pulls, waiting as a file read waits. */
struct upstream_reader;

/* Starts call. While the owner waits, tick(tick_ctx) (may be NULL) runs about every 100 ms on
 * the owner's thread. 0, or -EBUSY / -ENOMEM / -ECANCELED as upstream_stream. */
int upstream_reader_open(struct upstream *u, const struct upstream_call *call, void (*tick)(void *),
                         void *tick_ctx, struct upstream_reader **ret);
/* Waits for the answer's head: its status, or -errno (upstream_reader_error says why). */
long upstream_reader_status(struct upstream_reader *r);
/* Waits for body bytes: how many were copied to out, 0 at the end of the answer, or -errno. */
long upstream_reader_read(struct upstream_reader *r, char *out, size_t max);
/* The whole answer as upstream_fetch gives it (bounded by the call's max_response_bytes;
 * free ret->body): 0, or -errno with ret->error and ret->detail set. */
int upstream_reader_whole(struct upstream_reader *r, struct upstream_result *ret);
/* Why the call failed ("" while it has not). */
const char *upstream_reader_error(struct upstream_reader *r);
/* From any thread: gives the call up; the owner's waits end with -ECANCELED. */
void upstream_reader_cancel(struct upstream_reader *r);
/* Gives up the call if still under way, and frees; NULL-safe. */
void upstream_reader_close(struct upstream_reader *r);
