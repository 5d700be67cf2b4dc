/*
 * k8s: /api/k8s/<API server path>, the Kubernetes API as the user may use it.
 *
 * Only allow-listed group/resources pass (k8s.allowed_resources). A namespaced call needs a
 * role in that profile namespace (or a cluster admin) and a SubjectAccessReview allowing the
 * exact verb, group, resource, subresource and name; a cluster-scoped call needs a cluster
 * admin and the review. Then the call goes on as the user (Impersonate-User/-Group with
 * kfdash's own credentials), so the API server checks once more; answers stream (watches
 * too) and the API server's errors pass through as its Status JSON.
 */
#pragma once

struct config;
struct http_request;

struct api_k8s;

/* The allow-list of k8s.allowed_resources (server/kfdash.h); -EINVAL with why in err. */
int api_k8s_new(const struct config *cfg, struct api_k8s **ret, char err[128]);
void api_k8s_free(struct api_k8s *a);
void api_k8s_forward(struct http_request *r);
/* After the caller's own checks: streams an API server call (path and query) made as the
 * user (impersonated, so the API server decides too); its answer, watches and errors pass
 * through as they come. accept: the Accept line to send instead of the client's, or NULL. */
void api_k8s_forward_as_user(struct http_request *r, const char *path, const char *accept);
/* For pods/log: the log as text, or the API server's Status JSON when there is none (asking for
 * text alone turns every failure into 406). */
#define API_K8S_LOG_ACCEPT "text/plain, application/json;q=0.9"
