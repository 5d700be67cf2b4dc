/*
 * h1_client: a driven engine's own HTTP/1.1 client, for streamed calls to plain-http upstreams
 * (the applications kfdash proxies to). On that path libcurl cost more than all the proxying
 * around it: it polls a kept-alive connection before reusing it, runs its timer twice a call and
 * copies a piece it offered when the caller pauses. This client writes a request in one call,
 * reads the answer when the owner's loop reports the socket ready, and keeps idle connections
 * per upstream in the loop's epoll set, where a close by the server shows at once.
 *
 * What it leaves to libcurl (upstream.c chooses per call): https, buffered calls, decompression
 * and a proxy from the environment. Names are found by h1_names (connect_to, IP literals, a
 * resolver thread); answers are read by h1_answer.
 *
 * Threads: h1_call_new from any thread; everything else on the thread that drives the engine.
 * Callbacks (the call's ops and the client's `ended`) run on that thread, from inside
 * h1_call_start, h1_client_event, h1_call_unpause and h1_client_expire.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/upstream.h"

struct h1_client;
struct h1_call;

/* A call is over: error 0 (the whole answer came) or -errno with detail. The call was taken out
 * of the client first; the callee frees it with h1_call_free. */
typedef void h1_ended_fn(void *owner, void *job, int error, const char *detail);

/* A client whose sockets go in epoll_fd (events for them come back through h1_client_event).
 * connect_to: NULL, or curl's --connect-to entries (h1_names.h); -EINVAL when malformed. */
int h1_client_new(int epoll_fd, const char *connect_to, h1_ended_fn *ended, void *owner,
                  struct h1_client **ret);
/* Closes idle connections and frees; calls must have ended or been aborted. NULL-safe. */
void h1_client_free(struct h1_client *c);

/* Any thread. 0 with *ret: the call is this client's (job is handed back in `ended`); 0 with
 * *ret NULL: it is not (https, a proxy from the environment, ...: use libcurl); -EINVAL for a
 * header line that would split the request (CR or LF in it), -ENOMEM. */
int h1_call_new(struct h1_client *c, const struct upstream_call *call,
                const struct upstream_stream_ops *ops, void *ctx, void *job, struct h1_call **ret);
void h1_call_free(struct h1_call *k);

/* Starts the call on a kept-alive connection or a new one; it may end at once. */
void h1_call_start(struct h1_client *c, struct h1_call *k);
/* The caller is ready again (either direction): offers held bytes, asks for body bytes. */
void h1_call_unpause(struct h1_client *c, struct h1_call *k);
/* Gives the call up without a word (its connection closes); the caller ends it itself. */
void h1_call_abort(struct h1_client *c, struct h1_call *k);

/* An epoll event: false when fd is not this client's. */
bool h1_client_event(struct h1_client *c, int fd, uint32_t events);
/* Monotonic ms when h1_client_expire must run; -1: no such time. */
int64_t h1_client_due(const struct h1_client *c);
/* Ends calls past their deadlines and closes connections idle too long. */
void h1_client_expire(struct h1_client *c);
