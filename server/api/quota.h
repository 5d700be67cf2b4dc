/*
 * api_quota: what a profile namespace may still use.
 *
 *   GET /api/namespaces/:namespace/quota    for anyone with a role there (routes.c):
 *       {"namespace", "profile": {"hard": {resource: quantity}} | null,
 *        "quotas": [{"name", "resources": [{"resource", "hard", "used", "hardValue",
 *                                            "usedValue"}]}], "truncated"}
 *
 * The ResourceQuotas (status.hard and status.used, which the API server's quota controller keeps,
 * e.g. Kubeflow's kf-resource-quota) are read as the user, so the API server decides whether they
 * may; the Profile's spec.resourceQuotaSpec (what the profile controller makes that quota from)
 * is read by kfdash itself, a Profile being cluster-scoped, and is null when there is none or it
 * cannot be read. Quantities are also given as numbers (cores, bytes, counts) for bars and for
 * the forms' warnings.
 *
 * Threads: handlers run on HTTP threads; quota_value is pure.
 */
#pragma once

#include <stdbool.h>

struct http_request;

void api_quota_get(struct http_request *r);

/* A Kubernetes quantity ("500m", "64Gi", "1e3", "4") as a number; false when it is not one. */
bool quota_value(const char *quantity, double *ret);
