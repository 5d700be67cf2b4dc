/*
 * dashboard: Kubeflow's dashboard-config (`links` and `settings`) and the two routes that serve
 * it, GET /api/dashboard-links and GET /api/dashboard-settings.
 *
 * Loaded and validated once at start-up (from the config or the mounted ConfigMap files) and
 * served as prepared bytes; read-only afterwards, so any thread may serve it.
 */
#pragma once

#include "server/config.h"

struct dashboard;
struct http_request;

#define DASHBOARD_ERROR_MAX 512

/* The prepared bodies (server/kfdash.h): -EINVAL with a one-line reason in err when the links or
 * settings are malformed. */
int dashboard_new(const struct config *c, struct dashboard **ret, char err[DASHBOARD_ERROR_MAX]);
void dashboard_free(struct dashboard *d);

/* Checks Kubeflow's `links` shape; 0 or -EINVAL with the offending path in err. */
int dashboard_validate_links(const struct cJSON *links, char err[DASHBOARD_ERROR_MAX]);

void dashboard_get_links(struct http_request *req);
void dashboard_get_settings(struct http_request *req);
