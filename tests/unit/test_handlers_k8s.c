/*
 * handlers_k8s: /api/k8s/<API server path> (server/api/k8s.c): which paths and resources are
 * forwarded at all, what is read-only, who may ask about a namespace or the whole cluster. Each
 * of those refusals comes at once, before any SubjectAccessReview; what passes them waits on
 * the review, which here cannot be made (the API server is down).
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "handlers.h"
#include "server/cluster/kube.h"

#define ALICE TEAM_ALICE
#define BOB   TEAM_BOB
#define CAROL TEAM_CAROL
#define EVE   "eve@example.com"
#define ADMIN TEAM_ADMIN

static struct server_fixture f;
static struct table t;

/* The team of handlers.h. */
static void start(const char *const *args)
{
    team_start(&f, &t, args);
}

static void stop(void)
{
    team_stop(&f, &t);
}

/* method target as email: the handler's first answer, before anything is waited for (0 when
 * it waits: on the SubjectAccessReview). The request stays for the caller to settle and free. */
static struct http_request *ask(const char *method, const char *target, const char *email,
                                unsigned *ret_at_once)
{
    struct http_request *r = routed(&f, &t, method, target, false);
    proved(r, IDENTITY_SESSION, email);
    http_request_run_route(r);
    *ret_at_once = fake_status(r);
    ck_assert(fake_settle(r, HANDLER_WAIT_MS));
    return r;
}

/* method target as email is refused at once with status and message. */
static void refused_at_once(const char *method, const char *target, const char *email,
                            unsigned status, const char *message)
{
    unsigned at_once;
    struct http_request *r = ask(method, target, email, &at_once);
    ck_assert_msg(at_once == status, "%s %s as %s: %u (%s), wanted %u at once", method, target,
                  email, fake_status(r), fake_reply_body(r), status);
    ck_assert_str_eq(error_of(r), message);
    fake_free(r);
}

/* method target as email passes kfdash's own checks: it waits for the review, which the API
 * server cannot give. */
static void reviewed(const char *method, const char *target, const char *email)
{
    unsigned at_once;
    struct http_request *r = ask(method, target, email, &at_once);
    ck_assert_msg(at_once == 0, "%s %s as %s: answered %u at once (%s)", method, target, email,
                  at_once, fake_reply_body(r));
    ck_assert_refused(r, 503, "the Kubernetes API server could not check this request");
    fake_free(r);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(only_resource_paths_are_forwarded)
{
    start(NULL);
    const char *paths[] = {"/api/k8s/healthz", "/api/k8s/livez", "/api/k8s/apis/apps/v1/x/y/z/w/v",
                           "/api/k8s/api/v1/namespaces/Not_A_Name/pods", "/api/k8s/metrics"};
    for (size_t i = 0; i < N(paths); i++)
        refused_at_once("GET", paths[i], ADMIN, 404,
                        "not a Kubernetes resource path kfdash forwards");
    stop();
}
END_TEST

START_TEST(discovery_is_read_by_anyone_signed_in_and_only_read)
{
    start(NULL);
    /* what kubectl reads first goes to the API server as the user (here: it cannot be reached) */
    const char *paths[] = {"/api/k8s/version",    "/api/k8s/api",
                           "/api/k8s/api/v1",     "/api/k8s/apis",
                           "/api/k8s/apis/apps",  "/api/k8s/apis/apps/v1",
                           "/api/k8s/openapi/v2", "/api/k8s/openapi/v3/apis/apps/v1"};
    for (size_t i = 0; i < N(paths); i++) {
        unsigned at_once;
        struct http_request *r = ask("GET", paths[i], "eve@example.com", &at_once);
        ck_assert_msg(fake_status(r) == 502, "GET %s: %u %s", paths[i], fake_status(r),
                      fake_reply_body(r));
        fake_free(r);
    }
    const char *writes[] = {"POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < N(writes); i++) {
        refused_at_once(writes[i], "/api/k8s/apis/apps/v1", ADMIN, 405, "discovery is read-only");
    }
    stop();
}
END_TEST

START_TEST(resources_outside_the_allow_list_are_refused_even_to_admins)
{
    start(NULL);
    const char *paths[] = {
        "/api/k8s/api/v1/namespaces/alice/secrets",
        "/api/k8s/api/v1/namespaces/alice/secrets/token",
        "/api/k8s/api/v1/namespaces/alice/pods/nb-0/exec",
        "/api/k8s/api/v1/namespaces/alice/serviceaccounts/default/token",
        "/api/k8s/apis/rbac.authorization.k8s.io/v1/namespaces/alice/rolebindings",
        "/api/k8s/apis/rbac.authorization.k8s.io/v1/clusterroles",
        "/api/k8s/api/v1/nodes"};
    for (size_t i = 0; i < N(paths); i++) {
        refused_at_once("GET", paths[i], ADMIN, 403,
                        "kfdash does not forward calls to this resource");
        refused_at_once("GET", paths[i], ALICE, 403,
                        "kfdash does not forward calls to this resource");
    }
    /* pods of another API group are not pods */
    refused_at_once("GET", "/api/k8s/apis/example.com/v1/namespaces/alice/pods", ALICE, 403,
                    "kfdash does not forward calls to this resource");
    stop();
}
END_TEST

START_TEST(read_only_resources_refuse_every_write)
{
    start(NULL);
    const char *methods[] = {"POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < N(methods); i++) {
        const char *one = strcmp(methods[i], "POST") == 0 ? "" : "/x";
        char target[256];
        snprintf(target, sizeof(target), "/api/k8s/api/v1/namespaces/alice/services%s", one);
        refused_at_once(methods[i], target, ALICE, 403,
                        "this resource is read-only through kfdash");
        snprintf(target, sizeof(target), "/api/k8s/api/v1/namespaces/alice/configmaps%s", one);
        refused_at_once(methods[i], target, ADMIN, 403,
                        "this resource is read-only through kfdash");
        snprintf(target, sizeof(target), "/api/k8s/apis/kubeflow.org/v1/profiles%s", one);
        refused_at_once(methods[i], target, ADMIN, 403,
                        "this resource is read-only through kfdash");
    }
    /* reading them is another matter */
    reviewed("GET", "/api/k8s/api/v1/namespaces/alice/services", ALICE);
    reviewed("GET", "/api/k8s/api/v1/namespaces/alice/configmaps?watch=true", CAROL);
    stop();
}
END_TEST

START_TEST(the_allow_list_is_the_configured_one)
{
    const char *args[] = {"--k8s-allowed-resources", "pods:ro,configmaps", NULL};
    start(args);
    refused_at_once("DELETE", "/api/k8s/api/v1/namespaces/alice/pods/nb-0", BOB, 403,
                    "this resource is read-only through kfdash");
    refused_at_once("GET", "/api/k8s/api/v1/namespaces/alice/events", BOB, 403,
                    "kfdash does not forward calls to this resource");
    reviewed("GET", "/api/k8s/api/v1/namespaces/alice/pods/nb-0", BOB);
    reviewed("POST", "/api/k8s/api/v1/namespaces/alice/configmaps", BOB);
    stop();
}
END_TEST

START_TEST(a_namespace_is_for_those_with_a_role_in_it_and_admins)
{
    start(NULL);
    sfx_profile(&f, "dave", "dave@example.com");
    refused_at_once("GET", "/api/k8s/api/v1/namespaces/alice/pods", EVE, 403,
                    "you have no role in this namespace");
    refused_at_once("GET", "/api/k8s/api/v1/namespaces/dave/pods", ALICE, 403,
                    "you have no role in this namespace");
    refused_at_once("DELETE", "/api/k8s/api/v1/namespaces/dave/pods/x", BOB, 403,
                    "you have no role in this namespace");
    /* a namespace that is no profile is no one's */
    refused_at_once("GET", "/api/k8s/api/v1/namespaces/kube-system/pods", ALICE, 403,
                    "you have no role in this namespace");
    /* a role (any) or an admin: the review decides the verb */
    reviewed("GET", "/api/k8s/api/v1/namespaces/alice/pods", ALICE);
    reviewed("DELETE", "/api/k8s/api/v1/namespaces/alice/pods/nb-0", BOB);
    reviewed("DELETE", "/api/k8s/api/v1/namespaces/alice/pods/nb-0", CAROL);
    reviewed("GET", "/api/k8s/api/v1/namespaces/dave/pods/nb-0/log", ADMIN);
    stop();
}
END_TEST

START_TEST(cluster_wide_resources_are_for_cluster_admins)
{
    start(NULL);
    const char *paths[] = {"/api/k8s/api/v1/namespaces", "/api/k8s/api/v1/pods",
                           "/api/k8s/apis/kubeflow.org/v1/profiles",
                           "/api/k8s/apis/storage.k8s.io/v1/storageclasses"};
    for (size_t i = 0; i < N(paths); i++) {
        refused_at_once("GET", paths[i], ALICE, 403,
                        "cluster-wide resources are for cluster admins");
        reviewed("GET", paths[i], ADMIN);
    }
    stop();
}
END_TEST

START_TEST(without_an_api_server_nothing_is_forwarded)
{
    start(NULL);
    struct kube *real = f.k.kube, *off = NULL;
    ck_assert_int_eq(kube_new_offline(&f.cfg, f.k.engine, NULL, NULL, &off), 0);
    f.k.kube = off;
    refused_at_once("GET", "/api/k8s/api/v1/namespaces/alice/pods", ALICE, 503,
                    "no Kubernetes API server is configured (kube.api)");
    f.k.kube = real;
    kube_free(off);
    stop();
}
END_TEST

RUN_SUITE("handlers_k8s", only_resource_paths_are_forwarded,
          discovery_is_read_by_anyone_signed_in_and_only_read,
          resources_outside_the_allow_list_are_refused_even_to_admins,
          read_only_resources_refuse_every_write, the_allow_list_is_the_configured_one,
          a_namespace_is_for_those_with_a_role_in_it_and_admins,
          cluster_wide_resources_are_for_cluster_admins, without_an_api_server_nothing_is_forwarded)
