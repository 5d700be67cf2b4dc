/* k8s/access: a Profile counts only when the profile controller made its namespace for its
 * owner; roles count only inside such namespaces. */
#include <stdio.h>

#include "fixtures.h"
#include "k8s/access.h"
#include "unit.h"

static void feed(struct k8s_access *a, enum k8s_access_kind kind, enum k8s_event ev,
                 const char *text)
{
    cJSON *j = fx_json(text);
    k8s_access_apply(a, kind, ev, j);
    cJSON_Delete(j);
}

static void profile(struct k8s_access *a, const char *name, const char *owner)
{
    char text[512];
    snprintf(
        text, sizeof(text),
        "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"owner\":{\"kind\":\"User\",\"name\":\"%s\"}}}",
        name, owner);
    feed(a, K8S_ACCESS_PROFILE, K8S_ADDED, text);
}

static void namespace(struct k8s_access *a, enum k8s_event ev, const char *name, const char *owner)
{
    char text[512];
    if (owner)
        snprintf(text, sizeof(text),
                 "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"owner\":\"%s\"}}}", name,
                 owner);
    else
        snprintf(text, sizeof(text), "{\"metadata\":{\"name\":\"%s\"}}", name);
    feed(a, K8S_ACCESS_NAMESPACE, ev, text);
}

static void binding(struct k8s_access *a, const char *ns, const char *role, const char *user)
{
    char text[768];
    snprintf(text, sizeof(text),
             "{\"metadata\":{\"name\":\"b-%s\",\"namespace\":\"%s\"},\"roleRef\":{\"kind\":"
             "\"ClusterRole\",\"name\":\"%s\"},\"subjects\":[{\"kind\":\"User\",\"name\":\"%s\"}]}",
             user, ns, role, user);
    feed(a, K8S_ACCESS_BINDING, K8S_ADDED, text);
}

static enum k8s_role role(struct k8s_access *a, const char *user, const char *ns)
{
    return k8s_snapshot_role(k8s_access_snapshot(a), user, NULL, 0, ns);
}

START_TEST(a_profile_counts_when_its_namespace_names_its_owner)
{
    struct k8s_access *a;
    ck_assert_int_eq(k8s_access_new(&a), 0);
    profile(a, "alice", "alice@example.com");
    namespace(a, K8S_ADDED, "alice", "alice@example.com");
    binding(a, "alice", "kubeflow-view", "carol@example.com");
    k8s_access_publish(a);
    const struct k8s_snapshot *s = k8s_access_snapshot(a);
    const char *owner = NULL;
    ck_assert(k8s_snapshot_profile(s, "alice", &owner));
    ck_assert_str_eq(owner, "alice@example.com");
    ck_assert_int_eq(role(a, "alice@example.com", "alice"), K8S_ROLE_OWNER);
    ck_assert_int_eq(role(a, "carol@example.com", "alice"), K8S_ROLE_VIEW);
    k8s_access_stop(a);
}
END_TEST

START_TEST(a_profile_for_a_namespace_someone_else_holds_grants_nothing)
{
    struct k8s_access *a;
    ck_assert_int_eq(k8s_access_new(&a), 0);
    profile(a, "kubeflow", "eve@example.com"); /* no owner annotation: the platform's */
    namespace(a, K8S_ADDED, "kubeflow", NULL);
    profile(a, "team", "eve@example.com"); /* held by bob */
    namespace(a, K8S_ADDED, "team", "bob@example.com");
    profile(a, "nowhere", "eve@example.com"); /* no namespace at all */
    binding(a, "kubeflow", "kubeflow-edit", "eve@example.com");
    binding(a, "team", "kubeflow-admin", "eve@example.com");
    k8s_access_publish(a);
    const struct k8s_snapshot *s = k8s_access_snapshot(a);
    ck_assert(!k8s_snapshot_profile(s, "kubeflow", NULL));
    ck_assert(!k8s_snapshot_profile(s, "team", NULL));
    ck_assert(!k8s_snapshot_profile(s, "nowhere", NULL));
    ck_assert_int_eq(role(a, "eve@example.com", "kubeflow"), K8S_ROLE_NONE);
    ck_assert_int_eq(role(a, "eve@example.com", "team"), K8S_ROLE_NONE);
    struct k8s_membership m[4];
    ck_assert_uint_eq(k8s_snapshot_memberships(s, "eve@example.com", NULL, 0, m, 4), 0);
    /* Still counted against her registrations, and still in the way of a new one. */
    ck_assert_uint_eq(k8s_snapshot_profiles_owned(s, "eve@example.com"), 3);
    ck_assert(k8s_snapshot_profile_object(s, "team"));
    const char *holder = NULL;
    ck_assert(k8s_snapshot_namespace(s, "team", &holder));
    ck_assert_str_eq(holder, "bob@example.com");
    k8s_access_stop(a);
}
END_TEST

START_TEST(a_profile_stops_counting_when_its_namespace_goes_or_changes_hands)
{
    struct k8s_access *a;
    ck_assert_int_eq(k8s_access_new(&a), 0);
    profile(a, "bob", "bob@example.com");
    namespace(a, K8S_ADDED, "bob", "bob@example.com");
    k8s_access_publish(a);
    ck_assert_int_eq(role(a, "bob@example.com", "bob"), K8S_ROLE_OWNER);
    namespace(a, K8S_MODIFIED, "bob", "mallory@example.com");
    k8s_access_publish(a);
    ck_assert_int_eq(role(a, "bob@example.com", "bob"), K8S_ROLE_NONE);
    namespace(a, K8S_MODIFIED, "bob", "bob@example.com");
    k8s_access_publish(a);
    ck_assert_int_eq(role(a, "bob@example.com", "bob"), K8S_ROLE_OWNER);
    namespace(a, K8S_DELETED, "bob", "bob@example.com");
    k8s_access_publish(a);
    ck_assert(!k8s_snapshot_profile(k8s_access_snapshot(a), "bob", NULL));
    k8s_access_stop(a);
}
END_TEST

RUN_SUITE("access", a_profile_counts_when_its_namespace_names_its_owner,
          a_profile_for_a_namespace_someone_else_holds_grants_nothing,
          a_profile_stops_counting_when_its_namespace_goes_or_changes_hands)
