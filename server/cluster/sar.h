/*
 * sar: "may this user do this exact thing?", asked of the API server as a SubjectAccessReview
 * (user, groups, namespace, verb, group, resource, subresource, name) and remembered for
 * SAR_TTL_S seconds in a bounded cache, so a page that makes ten calls asks once.
 *
 * Knows nothing of HTTP: the caller waits for done (a handler parks its request). Threads: any;
 * done runs on the engine's thread, or at once on the caller's (a remembered decision, a call
 * that cannot start).
 */
#pragma once

struct identity;
struct k8s_target;
struct kube;
struct sar;

#define SAR_TTL_S 5
#define SAR_SLOTS 4096

/* allowed: 1 yes, 0 no (reason from the API server, may be ""), -errno when it could not say. */
typedef void sar_done_fn(void *ctx, int allowed, const char *reason);

/* Reviews go to kube's API server with kfdash's own rights; kube must outlive it. */
int sar_new(struct kube *kube, struct sar **ret);
void sar_free(struct sar *s);

/* done runs exactly once. */
void sar_check(struct sar *s, const struct identity *who, const struct k8s_target *t,
               const char *verb, sar_done_fn *done, void *ctx);
