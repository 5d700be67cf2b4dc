/*
 * shared_state: sessions and personal access tokens that every replica sees (shared_state =
 * kubernetes), so replicas behind one Service accept each other's sessions and tokens, and a
 * sign-out or a revoked token ends everywhere.
 *
 * Each replica's SQLite store stays the only thing the request path reads. This module writes
 * what this replica records through to Secrets in kfdash's own namespace (kfdash's own
 * credentials), watches those Secrets and mirrors other replicas' changes into the store, and
 * sweeps the Secrets of expired sessions and tokens. A session Secret holds the sealed refresh
 * token (useless without the session key) and the session's id, email and expiry; a sign-out
 * leaves a tombstone (revoked) until the session would have expired, so a replica started later
 * still refuses the cookie. A token Secret holds only the SHA-256 of the token, never the token.
 *
 * Threads: the parked writes run from HTTP threads and resume the request on one; the unparked
 * ones may be called from any thread; the watch and the sweep run on threads of their own. With
 * shared_state = local every function is a no-op (the parked ones resume at once, written).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "server/http/http.h"

struct config;
struct store;
struct upstream;
struct upstream_result;

/* Starts mirroring when cfg->shared_state is "kubernetes"; needs kube_start done. -errno with
 * a reason in err (no Kubernetes API configured, out of memory). */
int shared_state_start(const struct config *cfg, struct store *store, struct upstream *engine,
                       char *err, size_t size);
/* Stops the watch and the sweep; before the engine goes. Idempotent. */
void shared_state_stop(void);
/* True when writes go to the cluster. */
bool shared_state_on(void);

/* ---- parked writes: r waits, *answer is filled, then next runs ---- */

/* The Secret of a new session (sealed_refresh may be NULL). */
void shared_state_put_session(struct http_request *r, const char *id, const char *email,
                              time_t expires, const char *sealed_refresh,
                              struct upstream_result *answer, http_next_fn next);
/* A sign-out: the session's Secret becomes a tombstone until expires. */
void shared_state_end_session(struct http_request *r, const char *id, const char *email,
                              time_t expires, struct upstream_result *answer, http_next_fn next);
/* The Secret of a new personal access token (hash: SHA-256 of the token). */
void shared_state_put_token(struct http_request *r, const unsigned char hash[32], const char *id,
                            const char *email, const char *groups, const char *name, time_t created,
                            time_t expires, struct upstream_result *answer, http_next_fn next);
void shared_state_delete_token(struct http_request *r, const char *id,
                               struct upstream_result *answer, http_next_fn next);
/* The parked write took (a deletion of what was already gone counts). */
bool shared_state_written(const struct upstream_result *answer);

/* ---- unparked writes, best effort (failures are logged) ---- */

/* The provider rotated the session's refresh token. */
void shared_state_session_renewed(const char *id, const char *email, time_t expires,
                                  const char *sealed_refresh);
/* The provider refused to renew the session: it ends everywhere. */
void shared_state_session_ended(const char *id, const char *email, time_t expires);
