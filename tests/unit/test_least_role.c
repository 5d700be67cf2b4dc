/* server/least_role and the route table: every route into a namespace states its least role,
 * and viewers never reach what runs code. */
#include <stdlib.h>
#include <string.h>

#include "server/gate/least_role.h"
#include "server/routes.h"
#include "unit.h"

START_TEST(viewers_read_contributors_write_owners_manage)
{
    struct least_role_refusal no;
    ck_assert(least_role_met(ROUTE_VIEWER, K8S_ROLE_VIEW, false, false, &no));
    ck_assert(!least_role_met(ROUTE_CONTRIBUTOR, K8S_ROLE_VIEW, false, false, &no));
    ck_assert_uint_eq(no.status, 403);
    ck_assert_ptr_nonnull(strstr(no.message, "contributor"));
    ck_assert(least_role_met(ROUTE_CONTRIBUTOR, K8S_ROLE_EDIT, false, false, &no));
    ck_assert(least_role_met(ROUTE_CONTRIBUTOR, K8S_ROLE_ADMIN, false, false, &no));
    ck_assert(!least_role_met(ROUTE_OWNER, K8S_ROLE_ADMIN, false, false, &no));
    ck_assert(least_role_met(ROUTE_OWNER, K8S_ROLE_OWNER, false, false, &no));
    ck_assert(!least_role_met(ROUTE_VIEWER, K8S_ROLE_NONE, false, false, &no));
    ck_assert(!least_role_met(ROUTE_CLUSTER_ADMIN, K8S_ROLE_OWNER, false, false, &no));
    ck_assert(least_role_met(ROUTE_CLUSTER_ADMIN, K8S_ROLE_NONE, true, false, &no));
    ck_assert(least_role_met(ROUTE_ANYONE, K8S_ROLE_NONE, false, false, &no));
}
END_TEST

START_TEST(cluster_admins_pass_but_not_into_applications_on_kfdashs_origin)
{
    struct least_role_refusal no;
    ck_assert(least_role_met(ROUTE_OWNER, K8S_ROLE_NONE, true, false, &no));
    ck_assert(!least_role_met(ROUTE_CONTRIBUTOR, K8S_ROLE_NONE, true, true, &no));
    ck_assert_ptr_nonnull(strstr(no.message, "origin"));
    ck_assert(least_role_met(ROUTE_CONTRIBUTOR, K8S_ROLE_EDIT, true, true, &no));
    /* A viewer reads a Spark UI on its own host, not on kfdash's origin. */
    ck_assert(least_role_met(ROUTE_VIEWER, K8S_ROLE_VIEW, false, false, &no));
    ck_assert(!least_role_met(ROUTE_VIEWER, K8S_ROLE_VIEW, false, true, &no));
}
END_TEST

/* The rule the gate relies on: a route with :namespace names a namespace role, and a route
 * with a namespace role has :namespace. */
static void check_table(const struct route *table, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct route *r = &table[i];
        enum route_role need = route_role(r);
        bool namespaced = strstr(r->pattern, "/:namespace") != NULL;
        bool ns_role = need == ROUTE_VIEWER || need == ROUTE_CONTRIBUTOR || need == ROUTE_OWNER;
        if (r->flags & ROUTE_PUBLIC) {
            ck_assert_msg(need == ROUTE_ANYONE, "public %s names a role", r->pattern);
            continue;
        }
        ck_assert_msg(namespaced == ns_role, "%s %s: :namespace and role disagree",
                      r->method ? r->method : "*", r->pattern);
    }
}

START_TEST(every_namespaced_route_names_its_least_role)
{
    for (int apps = 0; apps < 2; apps++) {
        struct route *t;
        size_t n_own, n;
        ck_assert_int_eq(routes_assemble(apps, &t, &n_own, &n), 0);
        check_table(t, n);
        ck_assert(apps ? n > n_own : n == n_own);
        free(t);
    }
    check_table(sidecar_routes, n_sidecar_routes);
}
END_TEST

/* The least role of a route of kfdash's own origin (apps: false, path mode) or, with apps, of
 * an application host (own: false). */
static enum route_role role_in(bool apps, bool own, const char *method, const char *path)
{
    struct route *t;
    size_t n_own, n;
    ck_assert_int_eq(routes_assemble(apps, &t, &n_own, &n), 0);
    struct route_match m;
    const struct route *slice = own ? t : t + n_own;
    ck_assert_int_eq(router_match(slice, own ? n_own : n - n_own, method, path, &m, NULL, 0), 0);
    enum route_role role = route_role(m.route);
    free(t);
    return role;
}

static enum route_role role_of(const char *method, const char *path)
{
    return role_in(false, true, method, path);
}

START_TEST(application_hosts_keep_the_same_least_roles)
{
    ck_assert_int_eq(role_in(true, false, "GET", "/notebook/alice/nb1/lab"), ROUTE_CONTRIBUTOR);
    ck_assert_int_eq(role_in(true, false, "GET", "/spark/alice/app1/jobs/"), ROUTE_VIEWER);
    ck_assert_int_eq(role_in(true, false, "POST", "/spark/alice/app1/jobs/job/kill/"),
                     ROUTE_CONTRIBUTOR);
    /* kfdash's origin checks them too before it sends the browser on. */
    ck_assert_int_eq(role_in(true, true, "GET", "/notebook/alice/nb1/lab"), ROUTE_CONTRIBUTOR);
    ck_assert_int_eq(role_in(true, true, "GET", "/spark/alice/app1/"), ROUTE_VIEWER);
}
END_TEST

START_TEST(notebooks_need_contributors_and_viewers_cannot_kill_spark_jobs)
{
    ck_assert_int_eq(role_of("GET", "/notebook/alice/nb1/lab"), ROUTE_CONTRIBUTOR);
    ck_assert_int_eq(role_of("POST", "/notebook/alice/nb1/api/kernels"), ROUTE_CONTRIBUTOR);
    ck_assert_int_eq(role_of("GET", "/spark/alice/app1/jobs/"), ROUTE_VIEWER);
    ck_assert_int_eq(role_of("GET", "/spark/alice/app1/jobs/job/kill/"), ROUTE_CONTRIBUTOR);
    ck_assert_int_eq(role_of("GET", "/spark/alice/app1/stages/stage/kill"), ROUTE_CONTRIBUTOR);
    ck_assert_int_eq(role_of("POST", "/spark/alice/app1/jobs/"), ROUTE_CONTRIBUTOR);
    ck_assert_int_eq(role_of("POST", "/serving/alice/m/v2/models/m/infer"), ROUTE_VIEWER);
    ck_assert_int_eq(role_of("POST", "/api/workgroup/add-contributor/alice"), ROUTE_OWNER);
    ck_assert_int_eq(role_of("POST", "/api/profiles/alice/contributors"), ROUTE_OWNER);
    ck_assert_int_eq(role_of("DELETE", "/api/profiles/alice"), ROUTE_OWNER);
    ck_assert_int_eq(role_of("GET", "/api/profiles/alice/contributors"), ROUTE_VIEWER);
    ck_assert_int_eq(role_of("GET", "/api/admin/users"), ROUTE_CLUSTER_ADMIN);
    ck_assert_int_eq(role_of("DELETE", "/api/namespaces/alice/notebooks/nb1"), ROUTE_CONTRIBUTOR);
}
END_TEST

START_TEST(sensitive_routes_ask_for_a_recent_sign_in)
{
    struct route *t;
    size_t n_own, n;
    ck_assert_int_eq(routes_assemble(false, &t, &n_own, &n), 0);
    const char *sensitive[][2] = {{"POST", "/api/tokens"},
                                  {"POST", "/api/workgroup/add-contributor/alice"},
                                  {"DELETE", "/api/workgroup/remove-contributor/alice"},
                                  {"DELETE", "/api/workgroup/nuke-self"},
                                  {"POST", "/api/profiles/alice/contributors"},
                                  {"DELETE", "/api/profiles/alice/contributors"},
                                  {"DELETE", "/api/profiles/alice"},
                                  {"POST", "/api/admin/users"},
                                  {"POST", "/api/admin/users/x@example.com/disable"}};
    for (size_t i = 0; i < sizeof(sensitive) / sizeof(sensitive[0]); i++) {
        struct route_match m;
        ck_assert_int_eq(router_match(t, n_own, sensitive[i][0], sensitive[i][1], &m, NULL, 0), 0);
        ck_assert_msg(m.route->flags & ROUTE_RECENT_SIGNIN, "%s", sensitive[i][1]);
    }
    struct route_match m;
    ck_assert_int_eq(router_match(t, n_own, "GET", "/api/tokens", &m, NULL, 0), 0);
    ck_assert(!(m.route->flags & ROUTE_RECENT_SIGNIN));
    free(t);
}
END_TEST

RUN_SUITE("least_role", viewers_read_contributors_write_owners_manage,
          cluster_admins_pass_but_not_into_applications_on_kfdashs_origin,
          every_namespaced_route_names_its_least_role,
          notebooks_need_contributors_and_viewers_cannot_kill_spark_jobs,
          application_hosts_keep_the_same_least_roles, sensitive_routes_ask_for_a_recent_sign_in)
