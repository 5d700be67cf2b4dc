/* k8s/guard: kfdash writes with its own rights only in verified profile namespaces, Dex's and
 * its own; each write path it has is tried here inside and outside those. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "k8s/access.h"
#include "k8s/guard.h"
#include "unit.h"

static const char *const reserved[] = {"kube-*", "default", "kubeflow", "istio-*"};
static const struct k8s_guard guard = {"kubeflow", "auth", reserved, 4};
static struct k8s_access *access_model;

static void feed(enum k8s_access_kind kind, const char *text)
{
    cJSON *j = fx_json(text);
    k8s_access_apply(access_model, kind, K8S_ADDED, j);
    cJSON_Delete(j);
}

/* alice: a verified profile; squat: a Profile whose namespace bob holds; team: a namespace
 * with no profile; kubeflow: the platform's. */
static const struct k8s_snapshot *world(void)
{
    if (!access_model) {
        ck_assert_int_eq(k8s_access_new(&access_model), 0);
        feed(K8S_ACCESS_PROFILE, "{\"metadata\":{\"name\":\"alice\"},\"spec\":{\"owner\":"
                                 "{\"kind\":\"User\",\"name\":\"alice@example.com\"}}}");
        feed(K8S_ACCESS_NAMESPACE, "{\"metadata\":{\"name\":\"alice\",\"annotations\":{\"owner\":"
                                   "\"alice@example.com\"}}}");
        feed(K8S_ACCESS_PROFILE, "{\"metadata\":{\"name\":\"squat\"},\"spec\":{\"owner\":"
                                 "{\"kind\":\"User\",\"name\":\"eve@example.com\"}}}");
        feed(K8S_ACCESS_NAMESPACE,
             "{\"metadata\":{\"name\":\"squat\",\"annotations\":{\"owner\":\"bob@example.com\"}}}");
        feed(K8S_ACCESS_NAMESPACE, "{\"metadata\":{\"name\":\"team\"}}");
        feed(K8S_ACCESS_NAMESPACE, "{\"metadata\":{\"name\":\"leftover\",\"annotations\":{"
                                   "\"owner\":\"eve@example.com\"}}}");
        feed(K8S_ACCESS_NAMESPACE, "{\"metadata\":{\"name\":\"kubeflow\"}}");
        k8s_access_publish(access_model);
    }
    return k8s_access_snapshot(access_model);
}

static int write(const char *method, const char *path, const char *body)
{
    char why[K8S_GUARD_WHY_MAX] = "";
    int e = k8s_guard_write(&guard, world(), method, path, body, why, sizeof(why));
    ck_assert(e == 0 || (e == -EPERM && *why));
    return e;
}

#define BINDING(role)                                                                              \
    "{\"metadata\":{\"name\":\"user-x\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\"," \
    "\"kind\":\"ClusterRole\",\"name\":\"" role "\"},\"subjects\":[{\"kind\":\"User\",\"name\":"   \
    "\"x@example.com\"}]}"

START_TEST(contributor_bindings_only_in_a_verified_profile_and_only_to_kubeflow_roles)
{
    ck_assert_int_eq(write("POST",
                           "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
                           BINDING("kubeflow-edit")),
                     0);
    ck_assert_int_eq(write("POST",
                           "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
                           BINDING("kubeflow-view")),
                     0);
    ck_assert_int_eq(
        write("DELETE", "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings/user-x",
              NULL),
        0);
    /* Elsewhere, or to a bigger role: refused. */
    const char *elsewhere[] = {"kubeflow", "kube-system", "squat", "team", "nobody"};
    for (size_t i = 0; i < 5; i++) {
        char path[256];
        snprintf(path, sizeof(path),
                 "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings", elsewhere[i]);
        ck_assert_msg(write("POST", path, BINDING("kubeflow-edit")) == -EPERM, "%s", path);
    }
    ck_assert_int_eq(write("POST",
                           "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
                           BINDING("cluster-admin")),
                     -EPERM);
    ck_assert_int_eq(write("POST",
                           "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
                           BINDING("kubeflow-admin")),
                     -EPERM);
    ck_assert_int_eq(write("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                           BINDING("kubeflow-edit")),
                     -EPERM);
}
END_TEST

START_TEST(authorization_policies_only_in_a_verified_profile)
{
    const char *body = "{\"metadata\":{\"name\":\"p\"},\"spec\":{}}";
    ck_assert_int_eq(write("POST",
                           "/apis/security.istio.io/v1beta1/namespaces/alice/authorizationpolicies",
                           body),
                     0);
    ck_assert_int_eq(
        write("POST",
              "/apis/security.istio.io/v1beta1/namespaces/istio-system/authorizationpolicies",
              body),
        -EPERM);
    ck_assert_int_eq(
        write("DELETE", "/apis/security.istio.io/v1beta1/namespaces/squat/authorizationpolicies/p",
              NULL),
        -EPERM);
}
END_TEST

#define PROFILE(name, owner)                                                                       \
    "{\"metadata\":{\"name\":\"" name                                                              \
    "\"},\"spec\":{\"owner\":{\"kind\":\"User\",\"name\":\"" owner "\"}}}"

START_TEST(profiles_are_made_only_for_names_nobody_holds)
{
    const char *profiles = "/apis/kubeflow.org/v1/profiles";
    ck_assert_int_eq(write("POST", profiles, PROFILE("fresh", "eve@example.com")), 0);
    /* Its namespace exists already, made for this very owner: the controller adopts it. */
    ck_assert_int_eq(write("POST", profiles, PROFILE("leftover", "eve@example.com")), 0);
    ck_assert_int_eq(write("POST", profiles, PROFILE("leftover", "mallory@example.com")), -EPERM);
    ck_assert_int_eq(write("POST", profiles, PROFILE("team", "eve@example.com")), -EPERM);
    ck_assert_int_eq(write("POST", profiles, PROFILE("kubeflow", "eve@example.com")), -EPERM);
    ck_assert_int_eq(write("POST", profiles, PROFILE("kube-system", "eve@example.com")), -EPERM);
    ck_assert_int_eq(write("POST", profiles, PROFILE("kube-anything", "eve@example.com")), -EPERM);
    ck_assert_int_eq(write("POST", profiles, PROFILE("auth", "eve@example.com")), -EPERM);
    ck_assert_int_eq(write("POST", profiles, PROFILE("alice", "eve@example.com")), -EPERM);
    ck_assert_int_eq(write("POST", profiles,
                           "{\"metadata\":{\"name\":\"g\"},\"spec\":{\"owner\":{\"kind\":\"Group\","
                           "\"name\":\"x\"}}}"),
                     -EPERM);
    ck_assert_int_eq(write("DELETE", "/apis/kubeflow.org/v1/profiles/alice", NULL), 0);
    ck_assert_int_eq(write("DELETE", "/apis/kubeflow.org/v1/profiles/squat", NULL), -EPERM);
    ck_assert_int_eq(write("PUT", "/apis/kubeflow.org/v1/profiles/alice", PROFILE("alice", "x")),
                     -EPERM);
}
END_TEST

START_TEST(the_reasons_say_which_rule_refused_a_new_profile)
{
    char why[K8S_GUARD_WHY_MAX];
    ck_assert_int_eq(
        k8s_guard_new_profile(&guard, world(), "kubeflow", "eve@example.com", why, sizeof(why)),
        -EACCES);
    ck_assert_ptr_nonnull(strstr(why, "reserved"));
    ck_assert_int_eq(
        k8s_guard_new_profile(&guard, world(), "team", "eve@example.com", why, sizeof(why)),
        -EEXIST);
    ck_assert_ptr_nonnull(strstr(why, "exists already"));
    ck_assert(k8s_guard_reserved(&guard, "auth"));
    ck_assert(k8s_guard_reserved(&guard, "istio-system"));
    ck_assert(!k8s_guard_reserved(&guard, "kubeflowers"));
}
END_TEST

START_TEST(dex_users_and_shared_state_only_in_their_own_namespaces)
{
    ck_assert_int_eq(write("POST", "/apis/dex.coreos.com/v1/namespaces/auth/passwords", "{}"), 0);
    ck_assert_int_eq(write("PUT", "/apis/dex.coreos.com/v1/namespaces/auth/passwords/x", "{}"), 0);
    ck_assert_int_eq(write("POST", "/apis/dex.coreos.com/v1/namespaces/alice/passwords", "{}"),
                     -EPERM);
    ck_assert_int_eq(write("PATCH", "/api/v1/namespaces/kubeflow/secrets/kfdash-s-1?x=1", "{}"), 0);
    ck_assert_int_eq(write("POST", "/api/v1/namespaces/alice/secrets", "{}"), -EPERM);
    ck_assert_int_eq(write("POST", "/api/v1/namespaces/kubeflow/pods", "{}"), -EPERM);
}
END_TEST

START_TEST(reviews_and_reads_pass_anything_else_is_refused)
{
    ck_assert_int_eq(write("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", "{}"), 0);
    ck_assert_int_eq(write("POST", "/apis/authentication.k8s.io/v1/tokenreviews", "{}"), 0);
    ck_assert_int_eq(write("GET", "/api/v1/namespaces/kube-system/secrets", NULL), 0);
    ck_assert_int_eq(write("POST", "/api/v1/namespaces", "{}"), -EPERM);
    ck_assert_int_eq(write("POST", "/apis/kubeflow.org/v1/namespaces/alice/notebooks", "{}"),
                     -EPERM);
    ck_assert_int_eq(
        write("POST",
              "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/../kube-system/rolebindings",
              BINDING("kubeflow-edit")),
        -EPERM);
    ck_assert_int_eq(write("POST",
                           "/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
                           "not json"),
                     -EPERM);
    ck_assert_int_eq(write("POST", "/healthz", NULL), -EPERM);
}
END_TEST

RUN_SUITE("guard", contributor_bindings_only_in_a_verified_profile_and_only_to_kubeflow_roles,
          authorization_policies_only_in_a_verified_profile,
          profiles_are_made_only_for_names_nobody_holds,
          the_reasons_say_which_rule_refused_a_new_profile,
          dex_users_and_shared_state_only_in_their_own_namespaces,
          reviews_and_reads_pass_anything_else_is_refused)
