/*
 * k8s/guard: where kfdash may write with its own rights.
 *
 * kfdash's ServiceAccount impersonates anyone and binds roles in any namespace, so every write
 * it makes as itself on a user's request is a privilege boundary. Such a write lands only in:
 * - a verified profile namespace (k8s/access.h): contributors' RoleBindings (to kubeflow-edit
 *   or kubeflow-view, nothing else) and their Istio AuthorizationPolicies;
 * - the Profiles themselves: a new one only for a name no one holds (k8s_guard_new_profile),
 *   a deletion only of a verified one;
 * - Dex's namespace: its Password objects (the Users page);
 * - kfdash's own namespace: the Secrets of its shared state.
 * Reviews (SubjectAccessReview, TokenReview) create nothing and pass; reads pass (the callers
 * scope them). Everything else is refused. The server calls k8s_guard_write before every call
 * it makes as itself (server/cluster/kube.c). Pure and thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct k8s_snapshot;

#define K8S_GUARD_WHY_MAX 256

struct k8s_guard {
    const char *own_namespace;   /* kfdash's own (its shared state); "" = none */
    const char *dex_namespace;   /* where Dex keeps its Password objects; "" = none */
    const char *const *reserved; /* namespace names no profile may take; "kube-*" is a prefix */
    size_t n_reserved;
};

/* True when ns matches one of g's reserved names or is kfdash's or Dex's own namespace. */
bool k8s_guard_reserved(const struct k8s_guard *g, const char *ns);

/*
 * May a new Profile called name, owned by user owner, be made? 0 when yes. -EACCES (why set)
 * for a reserved name, -EEXIST when a Profile of that name exists or the Namespace exists
 * without the profile controller's owner annotation naming owner (someone else holds it).
 */
int k8s_guard_new_profile(const struct k8s_guard *g, const struct k8s_snapshot *s, const char *name,
                          const char *owner, char *why, size_t size);

/*
 * May kfdash, as itself, send method to path (relative to the API server, query allowed) with
 * body (JSON, may be NULL)? 0 when yes, -EPERM with why set when not.
 */
int k8s_guard_write(const struct k8s_guard *g, const struct k8s_snapshot *s, const char *method,
                    const char *path, const char *body, char *why, size_t size);
