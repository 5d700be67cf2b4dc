/*
 * handlers_workgroup: Kubeflow's profile API (server/api/workgroup.c) as users see it: who holds
 * which namespace (from the access snapshot), registration and its refusals, contributors'
 * names, and what happens when the API server cannot be reached.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "fixtures.h"
#include "handlers.h"
#include "k8s/access.h"
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

/* A Namespace with no Profile, its owner annotation naming owner (NULL: none). */
static void bare_namespace(const char *ns, const char *owner)
{
    char text[512];
    if (owner)
        snprintf(text, sizeof(text),
                 "{\"metadata\":{\"name\":\"%s\",\"annotations\":{\"owner\":\"%s\"}}}", ns, owner);
    else
        snprintf(text, sizeof(text), "{\"metadata\":{\"name\":\"%s\"}}", ns);
    cJSON *j = fx_json(text);
    k8s_access_apply(f.access, K8S_ACCESS_NAMESPACE, K8S_ADDED, j);
    cJSON_Delete(j);
    k8s_access_publish(f.access);
}

/* method target as email (proved by a session), the handler run at once. */
static struct http_request *ask(const char *method, const char *target, const char *email,
                                const char *body)
{
    struct http_request *r = routed(&f, &t, method, target, false);
    proved(r, IDENTITY_SESSION, email);
    if (body) fake_body(r, body);
    run(r);
    return r;
}

/* POST /api/profiles (kfdash's registration) with body as email: the status. Kubeflow's
 * /api/workgroup/create runs the same checks (kubeflow_create_* below). */
static unsigned create(const char *email, const char *body, char *error, size_t size)
{
    struct http_request *r = ask("POST", "/api/profiles", email, body);
    unsigned status = fake_status(r);
    if (error) snprintf(error, size, "%s", error_of(r));
    fake_free(r);
    return status;
}

START_TEST(env_info_gives_each_namespace_with_kubeflows_name_for_the_callers_role)
{
    start(NULL);
    const struct {
        const char *email, *role;
    } cases[] = {{ALICE, "owner"}, {BOB, "contributor"}, {CAROL, "viewer"}};
    for (size_t i = 0; i < 3; i++) {
        struct http_request *r = ask("GET", "/api/workgroup/env-info", cases[i].email, NULL);
        ck_assert_uint_eq(fake_status(r), 200);
        cJSON *j = fake_reply_json(r);
        ck_assert_str_eq(fx_str(j, "user"), cases[i].email);
        ck_assert_int_eq(cJSON_GetArraySize(fx_obj(j, "namespaces")), 1);
        ck_assert_str_eq(fx_str_at(j, "namespaces.0.namespace"), "alice");
        ck_assert_str_eq(fx_str_at(j, "namespaces.0.role"), cases[i].role);
        ck_assert_str_eq(fx_str_at(j, "namespaces.0.user"), cases[i].email);
        ck_assert(cJSON_IsFalse(fx_obj(j, "isClusterAdmin")));
        ck_assert_str_eq(fx_str_at(j, "platform.logoutUrl"), "/auth/logout");
        ck_assert_ptr_eq(strstr(fx_str_at(j, "platform.kubeflowVersion"), "kfdash "),
                         fx_str_at(j, "platform.kubeflowVersion"));
        cJSON_Delete(j);
        fake_free(r);
    }
    /* a stranger has no namespace; an admin is told so */
    struct http_request *r = ask("GET", "/api/workgroup/env-info", EVE, NULL);
    cJSON *j = fake_reply_json(r);
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(j, "namespaces")), 0);
    cJSON_Delete(j);
    fake_free(r);
    r = ask("GET", "/api/workgroup/env-info", ADMIN, NULL);
    j = fake_reply_json(r);
    ck_assert(cJSON_IsTrue(fx_obj(j, "isClusterAdmin")));
    cJSON_Delete(j);
    fake_free(r);
    stop();
}
END_TEST

START_TEST(env_info_names_the_configured_logout_address)
{
    const char *args[] = {"--logout-url", "https://sso.example.com/logout", NULL};
    start(args);
    struct http_request *r = ask("GET", "/api/workgroup/env-info", BOB, NULL);
    cJSON *j = fake_reply_json(r);
    ck_assert_str_eq(fx_str_at(j, "platform.logoutUrl"), "https://sso.example.com/logout");
    cJSON_Delete(j);
    fake_free(r);
    stop();
}
END_TEST

START_TEST(exists_says_whether_the_caller_owns_a_profile_and_may_register_one)
{
    start(NULL);
    const struct {
        const char *email, *username;
        bool has;
    } cases[] = {{ALICE, "alice", true}, {BOB, "bob", false}, {EVE, "eve", false}};
    for (size_t i = 0; i < 3; i++) {
        struct http_request *r = ask("GET", "/api/workgroup/exists", cases[i].email, NULL);
        ck_assert_uint_eq(fake_status(r), 200);
        cJSON *j = fake_reply_json(r);
        /* Kubeflow's user: the name before '@' */
        ck_assert_str_eq(fx_str(j, "user"), cases[i].username);
        ck_assert_int_eq(cJSON_GetArraySize(j), 4);
        ck_assert(cJSON_IsTrue(fx_obj(j, "hasAuth")));
        ck_assert_msg(cJSON_IsTrue(fx_obj(j, "hasWorkgroup")) == cases[i].has, "%s",
                      cases[i].email);
        ck_assert(cJSON_IsTrue(fx_obj(j, "registrationFlowAllowed")));
        cJSON_Delete(j);
        fake_free(r);
    }
    stop();

    const char *off[] = {"--registration-flow", "false", NULL};
    start(off);
    struct http_request *r = ask("GET", "/api/workgroup/exists", EVE, NULL);
    cJSON *j = fake_reply_json(r);
    ck_assert(cJSON_IsFalse(fx_obj(j, "registrationFlowAllowed")));
    cJSON_Delete(j);
    fake_free(r);
    stop();
}
END_TEST

START_TEST(namespaces_lists_only_those_the_caller_holds_a_role_in)
{
    start(NULL);
    sfx_profile(&f, "dave", "dave@example.com");
    struct http_request *r = ask("GET", "/api/namespaces", BOB, NULL);
    ck_assert_uint_eq(fake_status(r), 200);
    cJSON *j = fake_reply_json(r);
    ck_assert_int_eq(cJSON_GetArraySize(j), 1);
    ck_assert_str_eq(fx_str_at(j, "0.kind"), "Namespace");
    ck_assert_str_eq(fx_str_at(j, "0.metadata.name"), "alice");
    ck_assert_str_eq(fx_str_at(j, "0.metadata.annotations.owner"), ALICE);
    cJSON_Delete(j);
    fake_free(r);

    r = ask("GET", "/api/namespaces", EVE, NULL);
    ck_assert_str_eq(fake_reply_body(r), "[]");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(contributors_are_people_other_than_the_owner_with_their_roles_on_kfdashs_route)
{
    start(NULL);
    /* the profile's own accounts and its owner are no contributors */
    sfx_binding(&f, "alice", "kubeflow-edit", "system:serviceaccount:alice:default-editor");
    sfx_binding(&f, "alice", "kubeflow-edit", ALICE);
    struct http_request *r = ask("GET", "/api/profiles/alice/contributors", CAROL, NULL);
    ck_assert_uint_eq(fake_status(r), 200);
    cJSON *j = fake_reply_json(r);
    ck_assert_int_eq(cJSON_GetArraySize(j), 2);
    ck_assert_str_eq(fx_str_at(j, "0.user"), BOB);
    ck_assert_str_eq(fx_str_at(j, "0.role"), "contributor");
    ck_assert_str_eq(fx_str_at(j, "1.user"), CAROL);
    ck_assert_str_eq(fx_str_at(j, "1.role"), "viewer");
    cJSON_Delete(j);
    fake_free(r);

    /* a namespace that is no profile has none (an admin passes the gate everywhere) */
    bare_namespace("plain", NULL);
    r = ask("GET", "/api/profiles/plain/contributors", ADMIN, NULL);
    ck_assert_refused(r, 404, "no such profile");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(kubeflows_contributors_are_the_emails_of_the_editors_only)
{
    start(NULL);
    sfx_binding(&f, "alice", "kubeflow-edit", "system:serviceaccount:alice:default-editor");
    sfx_binding(&f, "alice", "kubeflow-edit", ALICE);
    struct http_request *r = ask("GET", "/api/workgroup/get-contributors/alice", CAROL, NULL);
    ck_assert_uint_eq(fake_status(r), 200);
    /* carol only views: Kubeflow lists KFAM's "edit" bindings alone */
    ck_assert_str_eq(fake_reply_body(r), "[\"" BOB "\"]");
    fake_free(r);
    bare_namespace("plain", NULL);
    r = ask("GET", "/api/workgroup/get-contributors/plain", ADMIN, NULL);
    ck_assert_refused(r, 404, "no such profile");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(all_profiles_are_rows_of_namespace_owner_and_contributors_for_admins_only)
{
    start(NULL);
    struct http_request *r = ask("GET", "/api/workgroup/get-all-namespaces", ADMIN, NULL);
    ck_assert_uint_eq(fake_status(r), 200);
    cJSON *j = fake_reply_json(r);
    ck_assert_int_eq(cJSON_GetArraySize(j), 1);
    ck_assert_str_eq(fx_str_at(j, "0.0"), "alice");
    ck_assert_str_eq(fx_str_at(j, "0.1"), ALICE);
    ck_assert_str_eq(fx_str_at(j, "0.2"), BOB ", " CAROL);
    cJSON_Delete(j);
    fake_free(r);

    /* the route is the admins': the profile's owner is turned away at the gate */
    r = routed(&f, &t, "GET", "/api/workgroup/get-all-namespaces", false);
    browser_session(&f, r, ALICE, time(NULL));
    ck_assert_uint_eq(admit(r), 403);
    fake_free(r);
    stop();
}
END_TEST

START_TEST(create_refuses_a_body_it_cannot_read_and_names_the_field)
{
    start(NULL);
    const struct {
        const char *email, *body, *error;
    } cases[] = {
        {EVE, "[]", "send a JSON object"},
        {EVE, "{\"namespace\":", "send a JSON object"},
        {EVE, "\"eve\"", "send a JSON object"},
        {EVE, "{\"namespace\":5}", "namespace: a name"},
        {EVE, "{\"namespace\":null}", "namespace: a name"},
        {EVE, "{\"namespace\":\"Not_A_Name\"}",
         "namespace: 1-63 lowercase letters, digits or '-', starting and ending with a letter or "
         "digit"},
        {EVE, "{\"namespace\":\"eve-\"}",
         "namespace: 1-63 lowercase letters, digits or '-', starting and ending with a letter or "
         "digit"},
        {EVE, "{\"namespace\":\"\"}",
         "namespace: 1-63 lowercase letters, digits or '-', starting and ending with a letter or "
         "digit"},
        /* an email with nothing to propose a name from */
        {"@example.com", "{}", "namespace: a name"},
        {ADMIN, "{\"namespace\":\"x\",\"user\":5}", "user: a user name"},
        {ADMIN, "{\"namespace\":\"x\",\"user\":\"\"}", "user: a user name"},
        {ADMIN, "{\"namespace\":\"x\",\"user\":\"system:masters\"}", "user: a user name"},
        {ADMIN, "{\"namespace\":\"x\",\"user\":\"a b@example.com\"}", "user: a user name"},
        {ADMIN, "{\"namespace\":\"x\",\"user\":\"a,b@example.com\"}", "user: a user name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char error[1024];
        unsigned status = create(cases[i].email, cases[i].body, error, sizeof(error));
        ck_assert_msg(status == 400, "%s: %u %s", cases[i].body, status, error);
        ck_assert_str_eq(error, cases[i].error);
    }
    stop();
}
END_TEST

START_TEST(kubeflows_create_names_the_profile_after_the_username)
{
    start(NULL);
    /* alice's username is alice: her own profile, a conflict */
    struct http_request *r = ask("POST", "/api/workgroup/create", ALICE, "{}");
    ck_assert_refused(r, 409, "a profile called alice exists already");
    fake_free(r);
    /* Kubeflow takes `namespace || username`: "" and null are no name */
    r = ask("POST", "/api/workgroup/create", ALICE, "{\"namespace\":\"\"}");
    ck_assert_refused(r, 409, "a profile called alice exists already");
    fake_free(r);
    r = ask("POST", "/api/workgroup/create", ALICE, "{\"namespace\":null}");
    ck_assert_refused(r, 409, "a profile called alice exists already");
    fake_free(r);
    /* a username that is no namespace name is refused, not changed into one (kfdash's own
     * route does that) */
    const char *not_names[] = {"erin.x@example.com", "Erin@example.com", "@example.com"};
    for (size_t i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++) {
        r = ask("POST", "/api/workgroup/create", not_names[i], "{}");
        ck_assert_refused(r, 400,
                          "namespace: 1-63 lowercase letters, digits or '-', starting and ending "
                          "with a letter or digit");
        fake_free(r);
    }
    /* eve gets past every check to the API server (down here) */
    r = ask("POST", "/api/workgroup/create", EVE, "{}");
    ck_assert_refused(r, 502, "cannot check the namespace: connection refused");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(only_a_cluster_admin_may_register_a_profile_for_someone_else)
{
    start(NULL);
    char error[1024];
    ck_assert_uint_eq(
        create(EVE, "{\"namespace\":\"mine\",\"user\":\"" ALICE "\"}", error, sizeof(error)), 400);
    ck_assert_str_eq(error, "only a cluster admin may name another owner");
    /* an admin gets past every check to the API server (which is down here) */
    ck_assert_uint_eq(
        create(ADMIN, "{\"namespace\":\"mine\",\"user\":\"" EVE "\"}", error, sizeof(error)), 502);
    ck_assert_str_eq(error, "cannot check the namespace: connection refused");
    stop();
}
END_TEST

START_TEST(with_registration_off_only_admins_make_profiles)
{
    const char *args[] = {"--registration-flow", "false", NULL};
    start(args);
    char error[1024];
    ck_assert_uint_eq(create(EVE, "{\"namespace\":\"sneaky\"}", error, sizeof(error)), 403);
    ck_assert_str_eq(error, "registration is turned off here; ask a cluster admin");
    ck_assert_uint_eq(create(ADMIN, "{\"namespace\":\"sneaky\"}", error, sizeof(error)), 502);
    stop();
}
END_TEST

START_TEST(the_platforms_and_kfdashs_own_namespaces_never_become_profiles)
{
    const char *args[] = {"--reserved-namespaces",
                          "default,team-*",
                          "--pod-namespace",
                          "kfdash",
                          "--dex-namespace",
                          "dex",
                          NULL};
    start(args);
    const char *names[] = {"default", "team-a", "team-", "kfdash", "dex"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        for (size_t as_admin = 0; as_admin < 2; as_admin++) {
            char body[128], error[1024], want[128];
            snprintf(body, sizeof(body), "{\"namespace\":\"%s\"}", names[i]);
            snprintf(want, sizeof(want), "the namespace %s is reserved for the platform", names[i]);
            unsigned status = create(as_admin ? ADMIN : EVE, body, error, sizeof(error));
            if (strcmp(names[i], "team-") == 0) {
                ck_assert_uint_eq(status, 400); /* no name at all */
                continue;
            }
            ck_assert_msg(status == 403, "%s: %u %s", names[i], status, error);
            ck_assert_str_eq(error, want);
        }
    }
    /* a name merely like a reserved one is free */
    char error[1024];
    ck_assert_uint_eq(create(EVE, "{\"namespace\":\"teams\"}", error, sizeof(error)), 502);
    stop();
}
END_TEST

START_TEST(a_name_someone_holds_is_a_conflict)
{
    start(NULL);
    char error[1024];
    ck_assert_uint_eq(create(EVE, "{\"namespace\":\"alice\"}", error, sizeof(error)), 409);
    ck_assert_str_eq(error, "a profile called alice exists already");
    ck_assert_uint_eq(create(ADMIN, "{\"namespace\":\"alice\"}", error, sizeof(error)), 409);

    bare_namespace("legacy", NULL);
    ck_assert_uint_eq(create(EVE, "{\"namespace\":\"legacy\"}", error, sizeof(error)), 409);
    ck_assert_str_eq(error, "the namespace legacy exists already and is not a profile of yours");

    /* a namespace annotated as eve's (its Profile was deleted, say) is hers to take again */
    bare_namespace("eves", EVE);
    ck_assert_uint_eq(create(BOB, "{\"namespace\":\"eves\"}", error, sizeof(error)), 409);
    ck_assert_uint_eq(create(EVE, "{\"namespace\":\"eves\"}", error, sizeof(error)), 502);

    /* an empty body proposes the email's local part: alice's own */
    ck_assert_uint_eq(create(ALICE, "", error, sizeof(error)), 409);
    ck_assert_str_eq(error, "a profile called alice exists already");
    stop();
}
END_TEST

START_TEST(a_user_registers_at_most_the_limit_counting_registrations_under_way)
{
    start(NULL);
    char error[1024];
    /* alice owns one already */
    ck_assert_uint_eq(create(ALICE, "{\"namespace\":\"alice-two\"}", error, sizeof(error)), 403);
    ck_assert_str_eq(error, "you may register at most 1 profile; ask a cluster admin for another");

    /* eve's first registration waits on the API server: it counts until it is answered */
    struct http_request *first = routed(&f, &t, "POST", "/api/workgroup/create", false);
    proved(first, IDENTITY_SESSION, EVE);
    fake_body(first, "{\"namespace\":\"eve-one\"}");
    http_request_run_route(first);
    ck_assert_uint_eq(fake_status(first), 0); /* not answered yet: parked */
    ck_assert_uint_eq(create(EVE, "{\"namespace\":\"eve-two\"}", error, sizeof(error)), 403);
    ck_assert_str_eq(error, "you may register at most 1 profile; ask a cluster admin for another");

    /* it failed: the claim is given back */
    ck_assert(fake_settle(first, HANDLER_WAIT_MS));
    ck_assert_uint_eq(fake_status(first), 502);
    fake_free(first);
    ck_assert_uint_eq(create(EVE, "{\"namespace\":\"eve-three\"}", error, sizeof(error)), 502);

    /* admins are not counted */
    sfx_profile(&f, "admins", ADMIN);
    ck_assert_uint_eq(create(ADMIN, "{\"namespace\":\"admins-two\"}", error, sizeof(error)), 502);
    stop();

    const char *two[] = {"--max-profiles-per-user", "2", NULL};
    start(two);
    ck_assert_uint_eq(create(ALICE, "{\"namespace\":\"alice-two\"}", error, sizeof(error)), 502);
    sfx_profile(&f, "alice-two", ALICE);
    ck_assert_uint_eq(create(ALICE, "{\"namespace\":\"alice-three\"}", error, sizeof(error)), 403);
    ck_assert_str_eq(error, "you may register at most 2 profiles; ask a cluster admin for another");
    stop();
}
END_TEST

START_TEST(a_contributor_must_be_a_user_name_kubernetes_does_not_keep_for_itself)
{
    start(NULL);
    const char *bodies[] = {
        "",
        "nope",
        "{}",
        "{\"user\":5}",
        "{\"user\":\"\"}",
        "{\"user\":\"system:masters\"}",
        "{\"user\":\"system:anonymous\"}",
        "{\"user\":\" system:masters\"}",
        "{\"user\":\"a b@example.com\"}",
        "{\"user\":\"a,b@example.com\"}",
        "{\"user\":\"a\\\"b@example.com\"}",
        "{\"user\":\"a\\u0001b@example.com\"}",
        "{\"user\":\"" EVE "\",\"role\":\"owner\"}",
        "{\"user\":\"" EVE "\",\"role\":5}",
    };
    const char *methods[] = {"POST", "DELETE"};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
            struct http_request *r =
                ask(methods[k], "/api/profiles/alice/contributors", ALICE, bodies[i]);
            ck_assert_msg(fake_status(r) == 400, "%s %s: %u", methods[k], bodies[i],
                          fake_status(r));
            ck_assert_str_eq(error_of(r), "send {\"user\": \"<user email>\", \"role\": "
                                          "\"contributor\" or \"viewer\"}");
            fake_free(r);
        }
    /* a service account may be bound, and a viewer too: both reach the API server */
    struct http_request *r =
        ask("POST", "/api/profiles/alice/contributors", ALICE,
            "{\"user\":\"system:serviceaccount:alice:runner\",\"role\":\"contributor\"}");
    ck_assert_uint_eq(fake_status(r), 502);
    ck_assert_str_eq(error_of(r), "cannot write the RoleBinding: connection refused");
    fake_free(r);
    r = ask("POST", "/api/profiles/alice/contributors", ALICE,
            "{\"user\":\"" EVE "\",\"role\":\"viewer\"}");
    ck_assert_uint_eq(fake_status(r), 502);
    fake_free(r);

    /* no profile, no contributors (an admin passes the gate everywhere) */
    bare_namespace("plain", NULL);
    r = ask("POST", "/api/profiles/plain/contributors", ADMIN, "{\"user\":\"" EVE "\"}");
    ck_assert_refused(r, 404, "no such profile");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(kubeflows_contributor_routes_refuse_with_kubeflows_messages)
{
    start(NULL);
    const struct {
        const char *body, *error;
    } cases[] = {
        {"", "Missing contributor field."},
        {"{}", "Missing contributor field."},
        {"{\"contributor\":\"\"}", "Missing contributor field."},
        {"{\"contributor\":null}", "Missing contributor field."},
        {"{\"contributor\":5}", "Contributor doesn't look like a valid email address"},
        {"{\"contributor\":\"eve\"}", "Contributor doesn't look like a valid email address"},
        {"{\"contributor\":\"a b@example.com\"}",
         "Contributor doesn't look like a valid email address"},
        {"{\"contributor\":\"system:serviceaccount:alice:runner\"}",
         "Contributor doesn't look like a valid email address"},
        /* Kubeflow has no viewers: the key is ignored, the contributor missing */
        {"{\"viewer\":\"" EVE "\"}", "Missing contributor field."},
    };
    const char *targets[][2] = {{"POST", "/api/workgroup/add-contributor/alice"},
                                {"DELETE", "/api/workgroup/remove-contributor/alice"}};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct http_request *r = ask(targets[k][0], targets[k][1], ALICE, cases[i].body);
            ck_assert_msg(fake_status(r) == 400, "%s %s: %u", targets[k][1], cases[i].body,
                          fake_status(r));
            ck_assert_str_eq(error_of(r), cases[i].error);
            fake_free(r);
        }
    struct http_request *r =
        ask("POST", "/api/workgroup/add-contributor/alice", ALICE, "{\"contributor\":\"" EVE "\"}");
    ck_assert_refused(r, 502, "cannot write the RoleBinding: connection refused");
    fake_free(r);
    /* the viewer routes were kfdash's own, and are gone from Kubeflow's prefix */
    r = ask("POST", "/api/workgroup/add-viewer/alice", ALICE, "{\"contributor\":\"" EVE "\"}");
    ck_assert_refused(r, 404, "no such API route");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(only_the_owner_changes_contributors_and_only_after_a_recent_sign_in)
{
    start(NULL);
    const struct {
        const char *email;
        time_t signed_in;
        unsigned status;
    } cases[] = {{BOB, time(NULL), 403},
                 {CAROL, time(NULL), 403},
                 {EVE, time(NULL), 403},
                 {ALICE, time(NULL) - 3600, 403},
                 {ALICE, time(NULL), 502}}; /* past the gate, to the (absent) API server */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_request *r =
            routed(&f, &t, "POST", "/api/workgroup/add-contributor/alice", false);
        browser_session(&f, r, cases[i].email, cases[i].signed_in);
        fake_body(r, "{\"contributor\":\"" EVE "\"}");
        ck_assert_msg(admit(r) == cases[i].status, "%s: %u %s", cases[i].email, fake_status(r),
                      fake_reply_body(r));
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(nuke_self_deletes_only_the_profile_named_after_the_user_and_owned_by_them)
{
    start(NULL);
    /* bob owns no profile called bob */
    struct http_request *r = ask("DELETE", "/api/workgroup/nuke-self", BOB, NULL);
    ck_assert_refused(r, 404, "you own no profile named bob");
    fake_free(r);
    /* bob owns "bobs-lab", which is not named after him: nuke-self leaves it */
    sfx_profile(&f, "bobs-lab", BOB);
    r = ask("DELETE", "/api/workgroup/nuke-self", BOB, NULL);
    ck_assert_refused(r, 404, "you own no profile named bob");
    fake_free(r);
    /* another alice (alice@elsewhere.org) never deletes alice@example.com's profile alice */
    r = ask("DELETE", "/api/workgroup/nuke-self", "alice@elsewhere.org", NULL);
    ck_assert_refused(r, 404, "you own no profile named alice");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(nuke_self_that_cannot_reach_the_api_server_does_not_say_it_deleted)
{
    start(NULL);
    /* alice owns alice; the API server refuses every connection: nothing was deleted */
    struct http_request *r = ask("DELETE", "/api/workgroup/nuke-self", ALICE, NULL);
    ck_assert_refused(r, 502, "cannot delete the profile: connection refused");
    fake_free(r);
    r = ask("DELETE", "/api/profiles/alice", ALICE, NULL);
    ck_assert_refused(r, 502, "cannot delete the profile: connection refused");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(what_needs_the_api_server_says_it_cannot_reach_it)
{
    start(NULL);
    struct http_request *r = ask("GET", "/api/activities/alice", BOB, NULL);
    ck_assert_refused(r, 502, "cannot list the events: connection refused");
    fake_free(r);
    r = ask("GET", "/api/rules/alice", CAROL, NULL);
    ck_assert_refused(r, 502, "cannot review your rights: connection refused");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(without_an_api_server_the_profile_routes_say_so)
{
    start(NULL);
    struct kube *real = f.k.kube, *off = NULL;
    ck_assert_int_eq(kube_new_offline(&f.cfg, f.k.engine, NULL, NULL, &off), 0);
    f.k.kube = off;
    const char *targets[][2] = {{"GET", "/api/workgroup/env-info"},
                                {"GET", "/api/workgroup/exists"},
                                {"GET", "/api/namespaces"},
                                {"POST", "/api/workgroup/create"},
                                {"GET", "/api/workgroup/get-contributors/alice"},
                                {"POST", "/api/workgroup/add-contributor/alice"},
                                {"DELETE", "/api/workgroup/nuke-self"},
                                {"POST", "/api/profiles"},
                                {"DELETE", "/api/profiles/alice"},
                                {"GET", "/api/profiles/alice/contributors"},
                                {"POST", "/api/profiles/alice/contributors"},
                                {"DELETE", "/api/profiles/alice/contributors"},
                                {"GET", "/api/activities/alice"}};
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        struct http_request *r = ask(targets[i][0], targets[i][1], ALICE, "{}");
        ck_assert_msg(fake_status(r) == 503, "%s: %u", targets[i][1], fake_status(r));
        ck_assert_str_eq(error_of(r), "no Kubernetes API server is configured (kube.api)");
        fake_free(r);
    }
    f.k.kube = real;
    kube_free(off);
    stop();
}
END_TEST

RUN_SUITE("handlers_workgroup",
          env_info_gives_each_namespace_with_kubeflows_name_for_the_callers_role,
          env_info_names_the_configured_logout_address,
          exists_says_whether_the_caller_owns_a_profile_and_may_register_one,
          namespaces_lists_only_those_the_caller_holds_a_role_in,
          contributors_are_people_other_than_the_owner_with_their_roles_on_kfdashs_route,
          kubeflows_contributors_are_the_emails_of_the_editors_only,
          all_profiles_are_rows_of_namespace_owner_and_contributors_for_admins_only,
          create_refuses_a_body_it_cannot_read_and_names_the_field,
          kubeflows_create_names_the_profile_after_the_username,
          only_a_cluster_admin_may_register_a_profile_for_someone_else,
          with_registration_off_only_admins_make_profiles,
          the_platforms_and_kfdashs_own_namespaces_never_become_profiles,
          a_name_someone_holds_is_a_conflict,
          a_user_registers_at_most_the_limit_counting_registrations_under_way,
          a_contributor_must_be_a_user_name_kubernetes_does_not_keep_for_itself,
          kubeflows_contributor_routes_refuse_with_kubeflows_messages,
          only_the_owner_changes_contributors_and_only_after_a_recent_sign_in,
          nuke_self_deletes_only_the_profile_named_after_the_user_and_owned_by_them,
          nuke_self_that_cannot_reach_the_api_server_does_not_say_it_deleted,
          what_needs_the_api_server_says_it_cannot_reach_it,
          without_an_api_server_the_profile_routes_say_so)
