/*
 * kube: kfdash's link to the Kubernetes API server: the client (where, and kfdash's own
 * credentials), the in-memory access model (k8s/access.h), and who the cluster admins are.
 * Started once at start-up when kube.api is set (or kfdash runs in a pod); read-only after.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "k8s/client.h"
#include "server/http/http.h"
#include "lib/upstream.h"

struct config;
struct identity;
struct k8s_client;
struct k8s_snapshot;

struct upstream;
struct upstream_result;

/* 0 also when no API server is configured (the routes that need one answer 503). */
int kube_start(const struct config *cfg, struct upstream *engine, char *err, size_t size);
void kube_stop(void);

/* NULL when no API server is configured. */
struct k8s_client *kube_client(void);
/* The current access snapshot (usable for K8S_SNAPSHOT_GRACE_S); NULL when not configured. */
const struct k8s_snapshot *kube_snapshot(void);
/*
 * kfdash calls the API server as itself, after its own checks (writing RoleBindings, Profiles,
 * Dex's Password objects), through kube_own_call's guard (a refusal answers 403). Parks r;
 * *answer is filled, then next runs. body (JSON) may be NULL; PATCH sends it as a JSON merge
 * patch.
 */
void kube_call(struct http_request *r, const char *method, const char *path, const char *body,
               struct upstream_result *answer, http_next_fn next);
/* The same, as the user (Impersonate-User/-Group): the API server decides with their rights. */
void kube_call_as(struct http_request *r, const struct identity *as, const char *method,
                  const char *path, const char *body, struct upstream_result *answer,
                  http_next_fn next);
/* Answers a failed kube_call: the API server's own message (4xx passed on, else 502). */
/* What a call made with kfdash's own credentials borrows until it is handed to the engine. */
#define KUBE_HEADERS_MAX 260
struct kube_own {
    char url[4096];
    char auth[K8S_AUTH_HEADER_MAX];
    const char *headers[KUBE_HEADERS_MAX + 2];
    char refusal[256]; /* why the guard refused, after -EPERM */
};
/*
 * A call to the API server as kfdash itself at path (relative to the API server), with its own
 * credentials and extra header lines (Content-Type, Accept; may be NULL). Its rights are
 * kfdash's, so it must pass the guard first (k8s/guard.h: only verified profile namespaces,
 * kfdash's and Dex's own): -EPERM with o->refusal set (and logged) when it does not; -ENOTCONN
 * with no API server. *ret borrows o, headers and body.
 */
int kube_own_call(struct kube_own *o, const char *method, const char *path,
                  const char *const *headers, const char *body, long timeout_ms,
                  size_t max_response_bytes, struct upstream_call *ret);
struct k8s_guard;
/* Where kfdash may write as itself (for checks that want to refuse early, with a clear 4xx). */
const struct k8s_guard *kube_guard(void);
void kube_reply_failure(struct http_request *r, const struct upstream_result *a, const char *doing);
/* Named in kubeflow.cluster_admins, or in a group of kubeflow.cluster_admin_groups. */
bool kube_is_cluster_admin(const struct identity *who);
/* The route's :namespace, which the gate checked against the route's least role (routes.c);
 * NULL after replying 503 without an API server. *ret_s (may be NULL): the current snapshot. */
const char *kube_enter_namespace(struct http_request *r, const struct k8s_snapshot **ret_s);
