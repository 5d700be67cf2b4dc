/*
 * api_diagnostics: the stack's troubleshooting, as checks. GET /api/diagnostics lists, through
 * kfdash's own ServiceAccount, what commonly keeps notebooks from starting (no default
 * StorageClass, Pending volume claims and pods, notebooks not ready, each with the reason
 * Kubernetes recorded) and whether the peers answer (apiserver, Dex, MLflow),
 * with the clock compared against Dex's. Every finding says the fix in plain words.
 *
 * Cluster admins see findings in every namespace, other users only in namespaces where they
 * hold a role; the StorageClass and reachability checks are everyone's. A step that fails (RBAC,
 * a timeout) becomes a failed check, never an error answer. Holds no state between requests.
 */
#pragma once

struct api_diagnostics;
struct http_request;

/* The lists diagnoses share (server/kfdash.h). */
int api_diagnostics_new(struct api_diagnostics **ret);
void api_diagnostics_free(struct api_diagnostics *a);

void api_diagnostics(struct http_request *r);
