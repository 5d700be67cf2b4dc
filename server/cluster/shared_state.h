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
 * Knows nothing of HTTP: a handler that waits for a write parks its own request (done resumes
 * it). Threads: writes may start on any thread; the watch and the sweep run on threads of
 * their own. With shared_state = local there is no shared_state (NULL), and every write is
 * done at once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct config;
struct kube;
struct shared_state;
struct store;

/* Starts mirroring when cfg->shared_state is "kubernetes" (*ret stays NULL otherwise: every
 * write below is then done at once); store and kube must outlive it. -errno with a reason in
 * err (no Kubernetes API, no pod namespace, out of memory). */
int shared_state_new(const struct config *cfg, struct store *store, struct kube *kube,
                     struct shared_state **ret, char *err, size_t size);
/* Stops the watch and the sweep, before the engine goes; NULL-safe. */
void shared_state_free(struct shared_state *ss);
/* True when writes go to the cluster (ss is not NULL). */
bool shared_state_on(const struct shared_state *ss);
/* A health check (server/http/health.h): the Secrets are listed. */
bool shared_state_ready(void *shared_state, char *detail, size_t size);

/* ---- writes the caller waits for: done runs once, on the engine's thread, or at once when the
 * write cannot start or shared state is off (then written is true) ---- */

/* Whether it was written (a deletion of what was already gone counts). */
typedef void shared_state_done_fn(void *ctx, bool written);

/* The Secret of a new session (sealed_refresh may be NULL). */
void shared_state_put_session(struct shared_state *ss, const char *id, const char *email,
                              time_t expires, const char *sealed_refresh,
                              shared_state_done_fn *done, void *ctx);
/* A sign-out: the session's Secret becomes a tombstone until expires. */
void shared_state_end_session(struct shared_state *ss, const char *id, const char *email,
                              time_t expires, shared_state_done_fn *done, void *ctx);
/* The Secret of a new personal access token (hash: SHA-256 of the token). */
void shared_state_put_token(struct shared_state *ss, const unsigned char hash[32], const char *id,
                            const char *email, const char *groups, const char *name, time_t created,
                            time_t expires, shared_state_done_fn *done, void *ctx);
void shared_state_delete_token(struct shared_state *ss, const char *id, shared_state_done_fn *done,
                               void *ctx);

/* ---- writes nobody waits for, best effort (failures are logged) ---- */

/* The provider rotated the session's refresh token. */
void shared_state_session_renewed(struct shared_state *ss, const char *id, const char *email,
                                  time_t expires, const char *sealed_refresh);
/* The provider refused to renew the session: it ends everywhere. */
void shared_state_session_ended(struct shared_state *ss, const char *id, const char *email,
                                time_t expires);
