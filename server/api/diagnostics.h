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

struct http_request;

void api_diagnostics(struct http_request *r);
