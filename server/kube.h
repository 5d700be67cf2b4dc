/*
 * kube: kfdash's link to the Kubernetes API server: the client (where, and kfdash's own
 * credentials), the in-memory access model (k8s/access.h), and who the cluster admins are.
 * Started once at start-up when kube.api is set (or kfdash runs in a pod); read-only after.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "server/http.h"
#include "server/upstream.h"

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
 * Dex's Password objects). Parks r; *answer is filled, then next runs. body (JSON) may be NULL;
 * PATCH sends it as a JSON merge patch.
 */
void kube_call(struct http_request *r, const char *method, const char *path, const char *body,
               struct upstream_result *answer, http_next_fn next);
/* The same, as the user (Impersonate-User/-Group): the API server decides with their rights. */
void kube_call_as(struct http_request *r, const struct identity *as, const char *method,
                  const char *path, const char *body, struct upstream_result *answer,
                  http_next_fn next);
/* Answers a failed kube_call: the API server's own message (4xx passed on, else 502). */
/* A call to the API server as kfdash itself: url, headers (its Authorization line among them) and
 * body as given, with the CA and client certificate of kfdash's own credentials. */
struct upstream_call kube_own_call(const char *method, const char *url, const char *const *headers,
                                   const char *body, long timeout_ms, size_t max_response_bytes);
void kube_reply_failure(struct http_request *r, const struct upstream_result *a, const char *doing);
/* Named in kubeflow.cluster_admins, or in a group of kubeflow.cluster_admin_groups. */
bool kube_is_cluster_admin(const struct identity *who);
/* The route's :namespace when the caller may look into it (a role there, or a cluster admin);
 * NULL after replying 503, 400 or 403 otherwise. *ret_s (may be NULL): the snapshot asked. */
const char *kube_enter_namespace(struct http_request *r, const struct k8s_snapshot **ret_s);
