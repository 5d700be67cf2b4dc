/*
 * k8s/target: what an API server path names, and whether kfdash forwards calls to it.
 *
 * "/api/v1/namespaces/alice/pods/nb-0/log" is group "", version v1, namespace alice, resource
 * pods, name nb-0, subresource log. The allow-list names group/resources kfdash forwards, some
 * read-only. Pure; thread-safe once parsed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define K8S_SEGMENT_MAX 254

struct k8s_target {
    char group[K8S_SEGMENT_MAX]; /* "" for the core group */
    char version[K8S_SEGMENT_MAX];
    char ns[K8S_SEGMENT_MAX]; /* "" when cluster-scoped */
    char resource[K8S_SEGMENT_MAX];
    char name[K8S_SEGMENT_MAX];        /* "" for the collection */
    char subresource[K8S_SEGMENT_MAX]; /* "" when none */
};

/* Parses a normalised API path. -EINVAL when it is not a resource path (discovery, /version,
 * /openapi... are not forwarded) or a segment is not a valid name. */
int k8s_target_parse(const char *path, struct k8s_target *ret);

/* The RBAC verb of an HTTP method on the target (query decides list vs watch). */
const char *k8s_target_verb(const struct k8s_target *t, const char *method, bool watch);

struct k8s_allowlist;

/*
 * Parses "resource[/subresource][.group][:ro]" items, comma-separated, e.g.
 * "pods,pods/log,configmaps:ro,notebooks.kubeflow.org". -EINVAL naming the bad item in err.
 */
int k8s_allowlist_parse(const char *text, struct k8s_allowlist **ret, char err[128]);
void k8s_allowlist_free(struct k8s_allowlist *a);
/* 1 allowed, 0 not listed, -EROFS listed read-only and verb writes. */
int k8s_allowlist_check(const struct k8s_allowlist *a, const struct k8s_target *t,
                        const char *verb);
