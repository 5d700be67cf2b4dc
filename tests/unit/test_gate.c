/*
 * gate: who a request is, and whether it may reach its route: credentials, CSRF, the route's
 * least role and recent sign-in, the trusted gateway, application hosts. Each test sends a
 * request as a client would and reads what kfdash answered.
 */
#include <cjson/cJSON.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <string.h>

#include "auth/identity.h"
#include "auth/store.h"
#include "fake_http.h"
#include "server/gate/gate.h"
#include "server/http/router.h"
#include "server_fixture.h"
#include "unit.h"

#define ALICE "alice@example.com"
#define BOB   "bob@example.com"
#define CAROL "carol@example.com"
#define ADMIN "admin@example.com"

/* The route's handler: answers who it ran for. */
static void whoami(struct http_request *r)
{
    const struct identity *who = http_request_identity(r);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "email", who->email);
    cJSON_AddStringToObject(j, "source", identity_source_name(who->source));
    http_reply_json(r, 200, j);
}

static const struct route anyone_get = {"GET", "/api/thing", whoami, 0};
static const struct route anyone_post = {"POST", "/api/thing", whoami, 0};
static const struct route contributor_post = {"POST", "/api/things/:namespace", whoami,
                                              ROUTE_ROLE(ROUTE_CONTRIBUTOR)};
static const struct route viewer_get = {"GET", "/api/things/:namespace", whoami,
                                        ROUTE_ROLE(ROUTE_VIEWER)};
static const struct route admin_get = {"GET", "/api/admin/thing", whoami,
                                       ROUTE_ROLE(ROUTE_CLUSTER_ADMIN)};
static const struct route sensitive_post = {"POST", "/api/tokens", whoami, ROUTE_RECENT_SIGNIN};
static const struct route proxied_post = {"POST", "/notebook/:namespace/:name/*", whoami,
                                          ROUTE_PROXIED | ROUTE_STREAM_BODY |
                                              ROUTE_ROLE(ROUTE_CONTRIBUTOR)};

static struct server_fixture f;

static void setup(const char *const *args)
{
    sfx_start(&f, args);
    sfx_profile(&f, "alice", ALICE);
    sfx_binding(&f, "alice", "kubeflow-edit", BOB);
    sfx_binding(&f, "alice", "kubeflow-view", CAROL);
}

/* A request for route from a browser with email's session (NULL: none). */
static struct http_request *browser(const struct route *route, const char *target,
                                    const char *email, bool with_csrf, const char *const *params)
{
    struct http_request *r = fake_request(&f.k, route->method, target);
    fake_route(r, route, params);
    if (email) {
        char csrf[SESSION_RANDOM_SIZE];
        char *cookie = sfx_session(&f, email, time(NULL), csrf);
        fake_cookie(r, SESSION_COOKIE, cookie);
        free(cookie);
        if (with_csrf) fake_header(r, "X-CSRF-Token", csrf);
        fake_header(r, "Origin", "http://127.0.0.1:8080");
        fake_header(r, "Sec-Fetch-Site", "same-origin");
    }
    return r;
}

static const char *json_text(struct http_request *r, const char *key)
{
    static char out[512];
    cJSON *j = fake_reply_json(r);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    snprintf(out, sizeof(out), "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(j);
    return out;
}

static unsigned admit(struct http_request *r)
{
    gate_admit(r);
    ck_assert(fake_settle(r, 5000));
    return fake_status(r);
}

static const struct route page_get = {"GET", "/notebooks", whoami, 0};

START_TEST(without_credentials_an_api_call_gets_401_and_a_page_load_goes_to_sign_in)
{
    setup(NULL);
    struct http_request *r = browser(&anyone_get, "/api/thing", NULL, false, NULL);
    ck_assert_uint_eq(admit(r), 401);
    ck_assert_ptr_nonnull(strstr(fake_reply_header(r, "WWW-Authenticate"), "Bearer"));
    fake_free(r);

    r = browser(&page_get, "/notebooks?ns=alice", NULL, false, NULL);
    fake_header(r, "Accept", "text/html");
    ck_assert_uint_eq(admit(r), 302);
    ck_assert_str_eq(fake_reply_header(r, "Location"), "/auth/login?rd=%2Fnotebooks%3Fns%3Dalice");
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

START_TEST(a_session_runs_the_route_as_its_user)
{
    setup(NULL);
    struct http_request *r = browser(&anyone_get, "/api/thing", ALICE, false, NULL);
    ck_assert_uint_eq(admit(r), 200);
    ck_assert_str_eq(json_text(r, "email"), ALICE);
    ck_assert_str_eq(json_text(r, "source"), "session");
    fake_free(r);

    /* a cookie sealed with another key is no session */
    r = browser(&anyone_get, "/api/thing", NULL, false, NULL);
    fake_cookie(r, SESSION_COOKIE, "v1.AAAA.BBBB");
    ck_assert_uint_eq(admit(r), 401);
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

START_TEST(a_cookie_proved_state_change_needs_the_csrf_token_and_a_same_origin_page)
{
    setup(NULL);
    struct http_request *r = browser(&anyone_post, "/api/thing", ALICE, false, NULL);
    ck_assert_uint_eq(admit(r), 403);
    ck_assert_ptr_nonnull(strstr(json_text(r, "error"), "X-CSRF-Token"));
    fake_free(r);

    r = browser(&anyone_post, "/api/thing", ALICE, true, NULL);
    ck_assert_uint_eq(admit(r), 200);
    fake_free(r);

    /* the token does not help a page of another site */
    r = browser(&anyone_post, "/api/thing", ALICE, true, NULL);
    fake_header(r, "Sec-Fetch-Site", "cross-site");
    ck_assert_uint_eq(admit(r), 403);
    fake_free(r);
    r = browser(&anyone_post, "/api/thing", ALICE, true, NULL);
    fake_header(r, "Origin", "https://evil.example");
    ck_assert_uint_eq(admit(r), 403);
    ck_assert_str_eq(json_text(r, "error"), "request from another origin refused");
    fake_free(r);

    /* a WebSocket handshake is a state change too, and must name its origin */
    r = browser(&anyone_get, "/api/thing", ALICE, false, NULL);
    fake_header(r, "Upgrade", "websocket");
    fake_header(r, "Origin", "https://evil.example");
    ck_assert_uint_eq(admit(r), 403);
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

START_TEST(an_application_route_takes_a_same_origin_state_change_without_the_token)
{
    setup(NULL);
    const char *params[] = {"namespace", "alice", "name", "nb1", "*", "api/kernels", NULL};
    struct http_request *r =
        browser(&proxied_post, "/notebook/alice/nb1/api/kernels", BOB, false, params);
    ck_assert_uint_eq(admit(r), 200);
    fake_free(r);
    r = browser(&proxied_post, "/notebook/alice/nb1/api/kernels", BOB, false, params);
    fake_header(r, "Sec-Fetch-Site", "same-site");
    ck_assert_uint_eq(admit(r), 403);
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

START_TEST(a_route_names_its_least_role_and_the_gate_holds_everyone_to_it)
{
    const char *args[] = {"--cluster-admins", ADMIN, NULL};
    setup(args);
    const char *in_alice[] = {"namespace", "alice", NULL};
    struct {
        const struct route *route;
        const char *email;
        unsigned status;
    } cases[] = {
        {&viewer_get, ALICE, 200},       {&viewer_get, BOB, 200},
        {&viewer_get, CAROL, 200},       {&viewer_get, "eve@example.com", 403},
        {&viewer_get, ADMIN, 200},       {&contributor_post, ALICE, 200},
        {&contributor_post, BOB, 200},   {&contributor_post, CAROL, 403},
        {&contributor_post, ADMIN, 200}, {&admin_get, ALICE, 403},
        {&admin_get, ADMIN, 200},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *target =
            cases[i].route == &admin_get ? "/api/admin/thing" : "/api/things/alice";
        struct http_request *r = browser(cases[i].route, target, cases[i].email, true, in_alice);
        ck_assert_msg(admit(r) == cases[i].status, "%s %s as %s: %u %s", cases[i].route->method,
                      target, cases[i].email, fake_status(r), fake_reply_body(r));
        fake_free(r);
    }
    /* a :namespace that is no name at all is refused before any role is looked at */
    const char *bad[] = {"namespace", "Not_A_Name", NULL};
    struct http_request *r = browser(&viewer_get, "/api/things/x", ALICE, true, bad);
    ck_assert_uint_eq(admit(r), 400);
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

START_TEST(a_sensitive_route_needs_a_recent_sign_in)
{
    setup(NULL);
    struct http_request *r = browser(&sensitive_post, "/api/tokens", ALICE, true, NULL);
    ck_assert_uint_eq(admit(r), 200);
    fake_free(r);

    /* the same, signed in at Dex an hour ago: the page is told where to sign in again */
    r = fake_request(&f.k, "POST", "/api/tokens");
    fake_route(r, &sensitive_post, NULL);
    char csrf[SESSION_RANDOM_SIZE];
    char *cookie = sfx_session(&f, ALICE, time(NULL) - 3600, csrf);
    fake_cookie(r, SESSION_COOKIE, cookie);
    free(cookie);
    fake_header(r, "X-CSRF-Token", csrf);
    ck_assert_uint_eq(admit(r), 403);
    ck_assert_str_eq(json_text(r, "signin"), "/auth/login?prompt=login");
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

/* A personal access token for email, stored as the tokens API stores it. */
static void add_token(const char *token, const char *email, time_t created)
{
    unsigned char digest[32];
    mbedtls_sha256_ret((const unsigned char *)token, strlen(token), digest, 0);
    ck_assert_int_eq(store_token_add(f.k.store, digest, "0123456789abcdef", email, "", "test",
                                     created, created + 86400),
                     0);
}

START_TEST(a_personal_token_works_until_its_user_changes_at_dex)
{
    setup(NULL);
    const char *token = "kfp_0123456789012345678901234567890123456789abc";
    add_token(token, ALICE, time(NULL) - 10);
    struct http_request *r = fake_request(&f.k, "POST", "/api/thing");
    fake_route(r, &anyone_post, NULL);
    fake_header(r, "Authorization", "Bearer kfp_0123456789012345678901234567890123456789abc");
    ck_assert_uint_eq(admit(r), 200); /* no CSRF check: a script's token is no cookie */
    ck_assert_str_eq(json_text(r, "source"), "personal-token");
    fake_free(r);

    bool changed;
    ck_assert_int_eq(store_user_observe(f.k.store, ALICE, "one", time(NULL) - 5, &changed), 0);
    ck_assert_int_eq(store_user_observe(f.k.store, ALICE, "two", time(NULL), &changed), 0);
    r = fake_request(&f.k, "GET", "/api/thing");
    fake_route(r, &anyone_get, NULL);
    fake_header(r, "Authorization", "Bearer kfp_0123456789012345678901234567890123456789abc");
    ck_assert_uint_eq(admit(r), 401);
    fake_free(r);

    r = fake_request(&f.k, "GET", "/api/thing");
    fake_route(r, &anyone_get, NULL);
    fake_header(r, "Authorization", "Bearer kfp_nothing");
    ck_assert_uint_eq(admit(r), 401);
    ck_assert_ptr_nonnull(strstr(fake_reply_header(r, "WWW-Authenticate"), "invalid_token"));
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

START_TEST(only_a_trusted_gateway_may_name_the_user)
{
    const char *args[] = {"--trusted-header-peers", "10.0.0.7", NULL};
    setup(args);
    struct http_request *r = fake_request(&f.k, "GET", "/api/thing");
    fake_route(r, &anyone_get, NULL);
    fake_header(r, "kubeflow-userid", ALICE);
    ck_assert_uint_eq(admit(r), 401); /* from 127.0.0.1 */
    fake_free(r);

    r = fake_request(&f.k, "GET", "/api/thing");
    fake_route(r, &anyone_get, NULL);
    fake_peer(r, "10.0.0.7");
    fake_header(r, "kubeflow-userid", ALICE);
    ck_assert_uint_eq(admit(r), 200);
    ck_assert_str_eq(json_text(r, "source"), "gateway");
    fake_free(r);

    /* the gateway cannot name a name Kubernetes keeps for itself */
    r = fake_request(&f.k, "GET", "/api/thing");
    fake_route(r, &anyone_get, NULL);
    fake_peer(r, "10.0.0.7");
    fake_header(r, "kubeflow-userid", "system:admin");
    ck_assert_uint_eq(admit(r), 401);
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

START_TEST(an_application_host_serves_its_own_application_only)
{
    const char *args[] = {"--apps-domain", "apps.example.com", "--public-url",
                          "http://kubeflow.example.com", NULL};
    setup(args);
    const char *params[] = {"namespace", "alice", "name", "nb2", "*", "lab", NULL};
    struct http_request *r = browser(&proxied_post, "/notebook/alice/nb2/lab", BOB, false, params);
    fake_header(r, "Host", "nb-alice--nb1.apps.example.com");
    ck_assert_uint_eq(admit(r), 404);
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

/* A handler that waits on something that never comes: its request stays in flight. */
static void park_forever(struct http_request *r)
{
    http_request_suspend(r);
}

static const struct route slow_get = {"GET", "/api/slow", park_forever, 0};

START_TEST(a_user_with_too_many_requests_under_way_gets_429_and_others_do_not)
{
    const char *args[] = {"--user-requests-in-flight", "3", NULL};
    setup(args);
    struct http_request *slow[3];
    for (size_t i = 0; i < 3; i++) {
        slow[i] = browser(&slow_get, "/api/slow", ALICE, false, NULL);
        gate_admit(slow[i]);
        ck_assert(fake_parked(slow[i]));
    }
    struct http_request *r = browser(&anyone_get, "/api/thing", ALICE, false, NULL);
    ck_assert_uint_eq(admit(r), 429);
    ck_assert_str_eq(fake_reply_header(r, "Retry-After"), "1");
    ck_assert_ptr_nonnull(strstr(json_text(r, "error"), "too many requests under way"));
    fake_free(r);
    /* bob is not held back by alice */
    r = browser(&anyone_get, "/api/thing", BOB, false, NULL);
    ck_assert_uint_eq(admit(r), 200);
    fake_free(r);
    /* one of alice's ends: she may start another */
    fake_free(slow[0]);
    r = browser(&anyone_get, "/api/thing", ALICE, false, NULL);
    ck_assert_uint_eq(admit(r), 200);
    fake_free(r);
    fake_free(slow[1]);
    fake_free(slow[2]);
    sfx_stop(&f);
}
END_TEST

START_TEST(a_user_starting_requests_too_fast_gets_429_with_when_to_retry)
{
    const char *args[] = {"--user-requests-per-s", "5", NULL};
    setup(args);
    unsigned statuses[12];
    for (size_t i = 0; i < 12; i++) {
        struct http_request *r = browser(&anyone_get, "/api/thing", ALICE, false, NULL);
        statuses[i] = admit(r);
        if (statuses[i] == 429) ck_assert_ptr_nonnull(fake_reply_header(r, "Retry-After"));
        fake_free(r);
    }
    /* a burst of twice the rate passes, then the rest wait */
    for (size_t i = 0; i < 10; i++) ck_assert_uint_eq(statuses[i], 200);
    ck_assert_uint_eq(statuses[10], 429);
    struct http_request *r = browser(&anyone_get, "/api/thing", BOB, false, NULL);
    ck_assert_uint_eq(admit(r), 200);
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

START_TEST(an_address_without_credentials_gets_a_tight_budget_that_signed_in_users_do_not_share)
{
    const char *args[] = {"--anonymous-requests-per-s", "2", NULL};
    setup(args);
    unsigned last = 0;
    for (size_t i = 0; i < 7; i++) {
        struct http_request *r = browser(&anyone_get, "/api/thing", NULL, false, NULL);
        last = admit(r);
        if (i < 6) ck_assert_uint_eq(last, 401);
        fake_free(r);
    }
    ck_assert_uint_eq(last, 429);
    /* a signed-in user at the same address goes on */
    struct http_request *r = browser(&anyone_get, "/api/thing", ALICE, false, NULL);
    ck_assert_uint_eq(admit(r), 200);
    fake_free(r);
    sfx_stop(&f);
}
END_TEST

RUN_SUITE("gate", a_user_with_too_many_requests_under_way_gets_429_and_others_do_not,
          a_user_starting_requests_too_fast_gets_429_with_when_to_retry,
          an_address_without_credentials_gets_a_tight_budget_that_signed_in_users_do_not_share,
          without_credentials_an_api_call_gets_401_and_a_page_load_goes_to_sign_in,
          a_session_runs_the_route_as_its_user,
          a_cookie_proved_state_change_needs_the_csrf_token_and_a_same_origin_page,
          an_application_route_takes_a_same_origin_state_change_without_the_token,
          a_route_names_its_least_role_and_the_gate_holds_everyone_to_it,
          a_sensitive_route_needs_a_recent_sign_in,
          a_personal_token_works_until_its_user_changes_at_dex,
          only_a_trusted_gateway_may_name_the_user,
          an_application_host_serves_its_own_application_only)
