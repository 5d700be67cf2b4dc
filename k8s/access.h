/*
 * k8s/access: who holds which role in which profile namespace, the way Kubeflow records it,
 * kept in memory from watches of Profiles, Namespaces and RoleBindings.
 *
 * A profile counts only when it is verified: its Namespace exists and carries the profile
 * controller's `owner` annotation equal to the Profile's spec.owner name (the controller
 * refuses to adopt any other namespace), so a Profile object made for a namespace someone else
 * holds grants nothing. In a verified profile namespace, roles come from the Profile's
 * spec.owner (User or Group: owner) and from RoleBindings bound to the ClusterRoles
 * kubeflow-admin, kubeflow-edit or kubeflow-view, for User, Group and ServiceAccount subjects;
 * such bindings anywhere else grant nothing here. Every change rebuilds an immutable snapshot
 * that is swapped in whole: readers take the current one without locking and may use it for
 * K8S_SNAPSHOT_GRACE_S seconds (a retired snapshot is freed only after that).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "k8s/watch.h"

struct cJSON;
struct k8s_access;
struct k8s_client;
struct upstream;
struct k8s_snapshot;

#define K8S_SNAPSHOT_GRACE_S 60

enum k8s_role { K8S_ROLE_NONE, K8S_ROLE_VIEW, K8S_ROLE_EDIT, K8S_ROLE_ADMIN, K8S_ROLE_OWNER };

/* One namespace a user may enter, with their highest role there. */
struct k8s_membership {
    const char *ns; /* borrowed from the snapshot */
    enum k8s_role role;
    const char *owner; /* the profile's owner (a user or group name), borrowed; NULL if none */
};

/* Starts the watches (engine and client must outlive the result). */
int k8s_access_start(struct upstream *engine, struct k8s_client *client, struct k8s_access **ret);

/* Without watches (tests, tools): objects are fed by hand, then published as a snapshot. */
enum k8s_access_kind { K8S_ACCESS_PROFILE, K8S_ACCESS_NAMESPACE, K8S_ACCESS_BINDING };
int k8s_access_new(struct k8s_access **ret);
void k8s_access_apply(struct k8s_access *a, enum k8s_access_kind kind, enum k8s_event event,
                      const struct cJSON *object);
void k8s_access_publish(struct k8s_access *a);
/* Stops the watches (before the engine goes); the last snapshot stays readable. Idempotent. */
void k8s_access_stop_watching(struct k8s_access *a);
void k8s_access_stop(struct k8s_access *a);
/* For /readyz: both watches have listed once. */
bool k8s_access_ready(struct k8s_access *a, char *detail, size_t size);

/* The current snapshot (never NULL once started; empty before the first list). */
const struct k8s_snapshot *k8s_access_snapshot(struct k8s_access *a);

/* ---- queries on a snapshot: pure, thread-safe ---- */

/* The highest role of the user (or any of their groups) in ns. */
enum k8s_role k8s_snapshot_role(const struct k8s_snapshot *s, const char *user,
                                const char *const *groups, size_t n_groups, const char *ns);
/* Every profile namespace the user may enter, sorted by name, into out (at most max; the
 * total is returned, so a larger out can be asked for). */
size_t k8s_snapshot_memberships(const struct k8s_snapshot *s, const char *user,
                                const char *const *groups, size_t n_groups,
                                struct k8s_membership *out, size_t max);
/* True when ns is a verified profile; *ret_owner (borrowed) set to its owner when given. */
bool k8s_snapshot_profile(const struct k8s_snapshot *s, const char *ns, const char **ret_owner);
/* True when a Profile object of that name exists, verified or not. */
bool k8s_snapshot_profile_object(const struct k8s_snapshot *s, const char *name);
/* How many Profile objects, verified or not, the user owns (spec.owner kind User). */
size_t k8s_snapshot_profiles_owned(const struct k8s_snapshot *s, const char *user);
/* True when the Namespace exists; *ret_owner (borrowed, NULL when none) set to its `owner`
 * annotation when given. */
bool k8s_snapshot_namespace(const struct k8s_snapshot *s, const char *ns, const char **ret_owner);
/* Verified profiles in the snapshot; the i-th (sorted by name) with its owner. */
size_t k8s_snapshot_profile_count(const struct k8s_snapshot *s);
const char *k8s_snapshot_profile_at(const struct k8s_snapshot *s, size_t i, const char **ret_owner);
/* Who holds role in ns through a RoleBinding (users, groups; "kind:name"), into out. */
size_t k8s_snapshot_members(const struct k8s_snapshot *s, const char *ns, enum k8s_role role,
                            const char **out, size_t max);

const char *k8s_role_name(enum k8s_role role); /* "owner", "admin", "edit", "view", "" */
