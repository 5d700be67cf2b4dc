/*
 * kube: kfdash's link to the Kubernetes API server: the client (where, and kfdash's own
 * credentials), the in-memory access model (k8s/access.h), who the cluster admins are, and the
 * calls kfdash makes, as itself (behind the write guard) or as a user (impersonated).
 *
 * Knows nothing of HTTP serving: it builds calls for the engine (lib/upstream.h); handlers park
 * their requests on them (server/api/calls.h). Made once at start-up; read-only after, so any
 * thread may use it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "k8s/access.h"
#include "k8s/client.h"
#include "lib/buf.h"
#include "lib/upstream.h"

struct config;
struct identity;
struct k8s_access;
struct k8s_guard;
struct k8s_snapshot;
struct kube;

/* Without kube.api, a kubeconfig or a pod's ServiceAccount, *ret is a kube that is off
 * (kube_on false): the routes that need an API server answer 503. engine is kfdash's own
 * (server/kfdash.h own_engine): its watches and its own calls go there. */
int kube_new(const struct config *cfg, struct upstream *engine, struct kube **ret, char *err,
             size_t size);
/* At shutdown, before the engine goes: the watches stop, the last snapshot stays. NULL-safe. */
void kube_stop_watching(struct kube *k);
/* Tests and tools: a kube over an access model fed by hand (k8s/access.h k8s_access_new;
 * taken), whose calls go to api (http://...; NULL: none, kube_on false) through engine. */
int kube_new_offline(const struct config *cfg, struct upstream *engine, const char *api,
                     struct k8s_access *access, struct kube **ret);
void kube_free(struct kube *k);
/* A health check (server/http/health.h): the access model's caches are filled. */
bool kube_ready(void *kube, char *detail, size_t size);

bool kube_on(const struct kube *k);
/* NULL when off. */
struct k8s_client *kube_client(const struct kube *k);
/* The engine for kfdash's own calls (watches, reviews, shared state). */
struct upstream *kube_engine(const struct kube *k);
/* The current access snapshot (usable for K8S_SNAPSHOT_GRACE_S); NULL when off. */
const struct k8s_snapshot *kube_snapshot(const struct kube *k);
/* Where kfdash may write as itself (for checks that want to refuse early, with a clear 4xx). */
const struct k8s_guard *kube_guard(const struct kube *k);
/* Named in kubeflow.cluster_admins, or in a group of kubeflow.cluster_admin_groups. */
bool kube_is_cluster_admin(const struct kube *k, const struct identity *who);
/* May who enter ns: their role there from the current snapshot (the highest of theirs and their
 * groups'), K8S_ROLE_ADMIN for a cluster admin with none; K8S_ROLE_NONE when off. */
enum k8s_role kube_role(const struct kube *k, const struct identity *who, const char *ns);

/* A call to the API server, built by kube_own_call or kube_user_call (which initialise every
 * field, whatever the memory held); what it points to lives in here until kube_call_reset. */
#define KUBE_HEADERS_MAX 260
struct kube_call {
    struct upstream_call call; /* for the engine, which copies what it needs at once */
    char url[4096];
    char auth[K8S_AUTH_HEADER_MAX];
    const char *headers[KUBE_HEADERS_MAX + 2];
    struct buf impersonation; /* the Impersonate-* lines, NUL-separated */
    char refusal[256];        /* why the guard refused, after -EPERM */
};
void kube_call_reset(struct kube_call *c);

/*
 * A call as kfdash itself at path (relative to the API server), with its own credentials and
 * extra header lines (Content-Type, Accept; may be NULL). Its rights are kfdash's, so it must
 * pass the guard first (k8s/guard.h: only verified profile namespaces, kfdash's and Dex's
 * own): -EPERM with c->refusal set (and logged) when it does not; -ENOTCONN when off.
 */
int kube_own_call(struct kube *k, struct kube_call *c, const char *method, const char *path,
                  const char *const *headers, const char *body, long timeout_ms,
                  size_t max_response_bytes);
/*
 * A call as the user `as` (Impersonate-User/-Group): the API server decides with their rights.
 * JSON in and out (PATCH sends a JSON merge patch); body may be NULL. With as NULL, the same as
 * kfdash itself, through the guard. -ENOTCONN when off, -ENOMEM, -EPERM as above.
 */
int kube_user_call(struct kube *k, struct kube_call *c, const struct identity *as,
                   const char *method, const char *path, const char *body);
