/*
 * dashboard: Kubeflow's dashboard-config (`links` and `settings`) and the two routes that serve
 * it, GET /api/dashboard-links and GET /api/dashboard-settings.
 *
 * Two sources. At start-up: dashboard.links and dashboard.settings, or the files `links` and
 * `settings` of dashboard.config_dir (a mounted ConfigMap), validated once. And, with an API
 * server, Kubeflow's way: the ConfigMap kubeflow.dashboard_configmap (DASHBOARD_CONFIGMAP) in
 * kubeflow.pod_namespace, read through the API server by name and followed with a watch, so an
 * edit applies at once, without a restart. While that ConfigMap exists it is what is served
 * (Kubeflow's answers: its JSON as it is, 500 {"error": "Cannot load dashboard menu link"} or
 * "Cannot load dashboard settings" when a key is missing or not JSON); when it does not, the
 * start-up links and settings are.
 *
 * Threads: the watch thread writes; any thread serves. The two bodies change together, under
 * one lock, and each request gets its own copy.
 */
#pragma once

#include "k8s/watch.h"
#include "server/config.h"

struct dashboard;
struct http_request;
struct kube;

#define DASHBOARD_ERROR_MAX 512

/* The start-up bodies (server/kfdash.h): -EINVAL with a one-line reason in err when the links or
 * settings are malformed. */
int dashboard_new(const struct config *c, struct dashboard **ret, char err[DASHBOARD_ERROR_MAX]);
/* Stops following (if it did) and frees; NULL-safe. */
void dashboard_free(struct dashboard *d);

/* Follows the ConfigMap c->dashboard_configmap in c->pod_namespace through kube (its engine and
 * client must outlive the watch: dashboard_stop_following first) when an API server is
 * configured and the name is not empty; else does nothing. -errno with a reason in err. */
int dashboard_follow(struct dashboard *d, const struct config *c, struct kube *kube, char *err,
                     size_t size);
/* Stops the watch; the bodies stay as they were. NULL-safe, idempotent. */
void dashboard_stop_following(struct dashboard *d);
/* Whether it follows a ConfigMap (dashboard_follow started a watch). */
bool dashboard_following(const struct dashboard *d);
/* A health check (server/http/health.h): the ConfigMap has been listed (found or not). */
bool dashboard_ready(void *dashboard, char *detail, size_t size);

/* What the watch reports, with the struct dashboard as ctx: a full list begins, a ConfigMap
 * added, changed or deleted, the list or a batch of events settled. Exposed for tests. */
extern const struct k8s_watch_ops dashboard_configmap_ops;

/* Checks Kubeflow's `links` shape; 0 or -EINVAL with the offending path in err. */
int dashboard_validate_links(const struct cJSON *links, char err[DASHBOARD_ERROR_MAX]);

void dashboard_get_links(struct http_request *req);
void dashboard_get_settings(struct http_request *req);
