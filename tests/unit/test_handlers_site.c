/*
 * handlers_site: the public routes every deployment has: sign-in and sign-out
 * (server/gate/login.c) as far as kfdash answers before Dex does, readiness
 * (server/http/health.c), and Kubeflow's dashboard links and settings (server/api/dashboard.c).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/oidc.h"
#include "fixtures.h"
#include "handlers.h"
#include "server/api/dashboard.h"
#include "server/http/health.h"

#define ALICE "alice@example.com"

static struct server_fixture f;
static struct table t;

static void start(const char *const *args)
{
    sfx_start(&f, args);
    table_load(&t, &f);
    sfx_profile(&f, "alice", ALICE);
}

/* Sign-in configured: a provider (Dex, here at an address that refuses connections) and
 * kfdash's client secret there. */
static void with_provider(void)
{
    ck_assert_int_eq(oidc_new("http://127.0.0.1:1/dex", "kfdash", f.k.engine, &f.k.provider), 0);
    free(f.cfg.oidc_client_secret);
    f.cfg.oidc_client_secret = strdup("secret");
}

static void stop(void)
{
    oidc_free(f.k.provider); /* before the engine it fetches through */
    f.k.provider = NULL;
    table_free(&t);
    sfx_stop(&f);
}

/* A public route, as anyone (no identity): the handler's answer. */
static struct http_request *get(const char *target)
{
    struct http_request *r = routed(&f, &t, "GET", target, false);
    run(r);
    return r;
}

static void assert_page(const struct http_request *r, unsigned status, const char *title)
{
    ck_assert_msg(fake_status(r) == status, "%u, wanted %u: %s", fake_status(r), status,
                  fake_reply_body(r));
    ck_assert_str_eq(fake_reply_header(r, "Content-Type"), "text/html; charset=utf-8");
    ck_assert_str_eq(fake_reply_header(r, "Cache-Control"), "no-store");
    char h1[256];
    snprintf(h1, sizeof(h1), "<h1>%s</h1>", title);
    ck_assert_msg(strstr(fake_reply_body(r), h1) != NULL, "%s not in %s", h1, fake_reply_body(r));
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- sign-in */

START_TEST(without_a_provider_sign_in_is_a_page_saying_how_to_configure_it)
{
    start(NULL);
    const char *targets[] = {"/auth/login", "/auth/login?rd=/notebooks",
                             "/auth/callback?code=x&state=y"};
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = get(targets[i]);
        assert_page(r, 503, "Sign-in is not configured");
        ck_assert_str_eq(fake_reply_header(r, "Retry-After"), "5");
        ck_assert_ptr_nonnull(strstr(fake_reply_body(r), "KFDASH_OIDC_CLIENT_SECRET"));
        fake_free(r);
    }
    /* a provider without kfdash's secret there is no better */
    ck_assert_int_eq(oidc_new("http://127.0.0.1:1/dex", "kfdash", f.k.engine, &f.k.provider), 0);
    struct http_request *r = get("/auth/login");
    assert_page(r, 503, "Sign-in is not configured");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(sign_in_lands_only_on_a_path_of_this_site)
{
    start(NULL);
    with_provider();
    const char *targets[] = {
        "/auth/login?rd=https://evil.example/",
        "/auth/login?rd=//evil.example/notebooks",
        "/auth/login?rd=%2F%2Fevil.example",
        "/auth/login?rd=/%5Cevil.example",
        "/auth/login?rd=notebooks",
        "/auth/login?rd=/notebooks%0ASet-Cookie:x=1",
    };
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = get(targets[i]);
        assert_page(r, 400, "Cannot sign in from this link");
        ck_assert_ptr_null(fake_reply_header(r, "Location"));
        ck_assert_ptr_null(fake_reply_header(r, "Set-Cookie"));
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(a_provider_that_cannot_be_reached_is_a_page_not_a_browser_error)
{
    start(NULL);
    with_provider();
    const char *targets[] = {"/auth/login", "/auth/login?rd=/notebooks%3Fns%3Dalice",
                             "/auth/login?prompt=login"};
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = get(targets[i]);
        assert_page(r, 503, "The sign-in service is unreachable");
        ck_assert_ptr_nonnull(strstr(fake_reply_body(r), "connection refused"));
        /* the page does not name the provider's address */
        ck_assert_ptr_null(strstr(fake_reply_body(r), "127.0.0.1"));
        ck_assert_ptr_null(fake_reply_header(r, "Set-Cookie"));
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(the_callback_needs_dexs_answer_and_the_browsers_attempt)
{
    start(NULL);
    with_provider();
    struct http_request *r = get("/auth/callback?error=access_denied&error_description=no%20way");
    assert_page(r, 401, "Sign-in was not completed");
    ck_assert_ptr_nonnull(strstr(fake_reply_body(r), "no way"));
    fake_free(r);

    const char *targets[] = {"/auth/callback", "/auth/callback?code=abc",
                             "/auth/callback?state=0123456789012345678901234567890123456789abc",
                             "/auth/callback?code=abc&state=short"};
    for (size_t i = 0; i < N(targets); i++) {
        r = get(targets[i]);
        assert_page(r, 400, "Sign-in failed");
        fake_free(r);
    }
    /* a well-formed answer, but this browser started no such sign-in */
    r = get("/auth/callback?code=abc&state=0123456789012345678901234567890123456789abc");
    assert_page(r, 400, "Sign-in expired");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(sign_out_ends_the_session_for_good)
{
    start(NULL);
    char *cookie = sfx_session(&f, ALICE, time(NULL), NULL);
    struct http_request *r = get("/auth/logout");
    ck_assert_uint_eq(fake_status(r), 302); /* no session: nothing to end */
    ck_assert_str_eq(fake_reply_header(r, "Location"), "/auth/login");
    fake_free(r);

    r = routed(&f, &t, "GET", "/auth/logout", false);
    fake_cookie(r, SESSION_COOKIE, cookie);
    ck_assert_uint_eq(run(r), 302);
    ck_assert_str_eq(fake_reply_header(r, "Location"), "/auth/login");
    /* the browser is told to forget both cookies */
    for (size_t i = 0; i < 2; i++) {
        const char *gone = fake_reply_header_at(r, "Set-Cookie", i);
        ck_assert_ptr_nonnull(gone);
        ck_assert_ptr_nonnull(strstr(gone, "Max-Age=0"));
    }
    ck_assert_int_eq(strncmp(fake_reply_header_at(r, "Set-Cookie", 0), SESSION_COOKIE "=",
                             strlen(SESSION_COOKIE) + 1),
                     0);
    fake_free(r);

    /* a copy of the cookie kept elsewhere no longer works */
    r = routed(&f, &t, "GET", "/api/whoami", false);
    fake_cookie(r, SESSION_COOKIE, cookie);
    ck_assert_uint_eq(admit(r), 401);
    fake_free(r);
    free(cookie);
    stop();

    const char *args[] = {"--logout-url", "https://sso.example.com/bye", NULL};
    start(args);
    r = get("/auth/logout");
    ck_assert_str_eq(fake_reply_header(r, "Location"), "https://sso.example.com/bye");
    fake_free(r);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- readiness */

static bool ready(void *ctx, char *detail, size_t size)
{
    snprintf(detail, size, "%s", (const char *)ctx);
    return true;
}

static bool not_ready(void *ctx, char *detail, size_t size)
{
    snprintf(detail, size, "%s", (const char *)ctx);
    return false;
}

START_TEST(readiness_is_every_registered_check_and_one_failing_makes_503)
{
    start(NULL);
    struct http_request *r = get("/healthz");
    ck_assert_uint_eq(fake_status(r), 200);
    ck_assert_str_eq(fake_reply_body(r), "{\"status\":\"ok\"}");
    fake_free(r);

    r = get("/readyz");
    ck_assert_uint_eq(fake_status(r), 200);
    ck_assert_str_eq(fake_reply_header(r, "Cache-Control"), "no-store");
    cJSON *j = fake_reply_json(r);
    ck_assert(cJSON_IsTrue(fx_obj(j, "ready")));
    ck_assert_str_eq(fx_str_at(j, "checks.0.name"), "server");
    cJSON_Delete(j);
    fake_free(r);

    ck_assert_int_eq(health_register(f.k.health, "store", ready, "open"), 0);
    ck_assert_int_eq(health_register(f.k.health, "kubernetes", ready, "watching"), 0);
    r = get("/readyz");
    ck_assert_uint_eq(fake_status(r), 200);
    j = fake_reply_json(r);
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(j, "checks")), 3);
    ck_assert_str_eq(fx_str_at(j, "checks.2.name"), "kubernetes");
    ck_assert_str_eq(fx_str_at(j, "checks.2.detail"), "watching");
    cJSON_Delete(j);
    fake_free(r);

    ck_assert_int_eq(health_register(f.k.health, "dex", not_ready, "keys \"not\" fetched"), 0);
    r = get("/readyz");
    ck_assert_uint_eq(fake_status(r), 503);
    j = fake_reply_json(r);
    ck_assert(cJSON_IsFalse(fx_obj(j, "ready")));
    ck_assert_str_eq(fx_str_at(j, "checks.3.name"), "dex");
    ck_assert(cJSON_IsFalse(fx_at(j, "checks.3.ready")));
    ck_assert_str_eq(fx_str_at(j, "checks.3.detail"), "keys \"not\" fetched");
    ck_assert(cJSON_IsTrue(fx_at(j, "checks.1.ready")));
    cJSON_Delete(j);
    fake_free(r);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- dashboard-config */

START_TEST(the_dashboard_links_and_settings_are_the_configured_ones)
{
    start(NULL);
    struct http_request *r = get("/api/dashboard-links");
    ck_assert_uint_eq(fake_status(r), 200);
    ck_assert_str_eq(fake_reply_header(r, "Content-Type"), "application/json");
    ck_assert_str_eq(fake_reply_body(r), "{}");
    fake_free(r);
    stop();

    /* a mounted ConfigMap */
    char dir[] = "/tmp/kfdash-dashboard-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/links", dir);
    FILE *out = fopen(path, "w");
    fputs("{\"menuLinks\": [{\"type\": \"item\", \"link\": \"/jupyter/\", \"text\": "
          "\"Notebooks\"}],\n"
          " \"quickLinks\": []}",
          out);
    fclose(out);
    snprintf(path, sizeof(path), "%s/settings", dir);
    out = fopen(path, "w");
    fputs("{\"DASHBOARD_FORCE_IFRAME\": true}", out);
    fclose(out);
    const char *args[] = {"--dashboard-config-dir", dir, NULL};
    start(args);
    r = get("/api/dashboard-links");
    ck_assert_uint_eq(fake_status(r), 200);
    ck_assert_str_eq(fake_reply_body(r),
                     "{\"menuLinks\":[{\"type\":\"item\",\"link\":\"/jupyter/\","
                     "\"text\":\"Notebooks\"}],\"quickLinks\":[]}");
    fake_free(r);
    r = get("/api/dashboard-settings");
    ck_assert_uint_eq(fake_status(r), 200);
    ck_assert_str_eq(fake_reply_header(r, "Content-Type"), "application/json");
    ck_assert_str_eq(fake_reply_body(r), "{\"DASHBOARD_FORCE_IFRAME\":true}");
    fake_free(r);
    stop();
    snprintf(path, sizeof(path), "%s/links", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/settings", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(a_user_runs_one_diagnosis_at_a_time)
{
    start(NULL);
    /* the first waits on the API server (its step is parked, not yet let go on) */
    struct http_request *first = routed(&f, &t, "GET", "/api/diagnostics", false);
    proved(first, IDENTITY_SESSION, ALICE);
    http_request_run_route(first);
    ck_assert(!fake_status(first));
    struct http_request *again = routed(&f, &t, "GET", "/api/diagnostics", false);
    proved(again, IDENTITY_SESSION, ALICE);
    ck_assert_uint_eq(run(again), 429);
    ck_assert_str_eq(fake_reply_header(again, "Retry-After"), "1");
    ck_assert_ptr_nonnull(strstr(error_of(again), "still running"));
    fake_free(again);
    /* someone else is not held back */
    struct http_request *other = routed(&f, &t, "GET", "/api/diagnostics", false);
    proved(other, IDENTITY_SESSION, "bob@example.com");
    ck_assert_uint_eq(run(other), 200);
    fake_free(other);
    /* once her answer is in, alice may check again: at once, before the first request has
     * ended (a client sends the next one as soon as it has read the answer) */
    ck_assert(fake_settle(first, HANDLER_WAIT_MS));
    ck_assert_uint_eq(fake_status(first), 200);
    struct http_request *later = routed(&f, &t, "GET", "/api/diagnostics", false);
    proved(later, IDENTITY_SESSION, ALICE);
    ck_assert_uint_eq(run(later), 200);
    fake_free(later);
    fake_free(first);
    stop();
}
END_TEST

/* What the watch of dashboard-config reports (server/api/dashboard.h), fed by hand. */
static void configmap_event(enum k8s_event event, const char *json)
{
    cJSON *cm = fx_json(json);
    dashboard_configmap_ops.apply(f.k.dashboard, event, cm);
    dashboard_configmap_ops.settled(f.k.dashboard);
    cJSON_Delete(cm);
}

static void assert_served(const char *target, unsigned status, const char *body)
{
    struct http_request *r = get(target);
    ck_assert_msg(fake_status(r) == status, "%s: %u %s", target, fake_status(r),
                  fake_reply_body(r));
    ck_assert_str_eq(fake_reply_body(r), body);
    fake_free(r);
}

START_TEST(the_followed_configmap_replaces_the_configured_links_while_it_exists)
{
    start(NULL);
    assert_served("/api/dashboard-links", 200, "{}");
    /* a full list that holds it: its keys, re-printed as Kubeflow's JSON.parse + res.json */
    dashboard_configmap_ops.reset(f.k.dashboard);
    configmap_event(K8S_ADDED, "{\"metadata\":{\"name\":\"dashboard-config\"},\"data\":{\"links\":"
                               "\"{\\\"menuLinks\\\": [{\\\"type\\\": \\\"item\\\", \\\"link\\\": "
                               "\\\"/katib/\\\", \\\"text\\\": \\\"Katib\\\"}]}\",\"settings\":"
                               "\"{\\\"DASHBOARD_FORCE_IFRAME\\\": false}\"}}");
    assert_served("/api/dashboard-links", 200,
                  "{\"menuLinks\":[{\"type\":\"item\",\"link\":\"/katib/\",\"text\":\"Katib\"}]}");
    assert_served("/api/dashboard-settings", 200, "{\"DASHBOARD_FORCE_IFRAME\":false}");

    /* another ConfigMap's events change nothing */
    configmap_event(K8S_DELETED, "{\"metadata\":{\"name\":\"other\"}}");
    assert_served("/api/dashboard-settings", 200, "{\"DASHBOARD_FORCE_IFRAME\":false}");

    /* a key that is not JSON, or missing: Kubeflow's 500s, each on its own */
    configmap_event(K8S_MODIFIED, "{\"metadata\":{\"name\":\"dashboard-config\"},\"data\":{"
                                  "\"links\":\"{not json\",\"settings\":\"{}\"}}");
    assert_served("/api/dashboard-links", 500, "{\"error\":\"Cannot load dashboard menu link\"}");
    assert_served("/api/dashboard-settings", 200, "{}");
    configmap_event(K8S_MODIFIED, "{\"metadata\":{\"name\":\"dashboard-config\"},\"data\":{"
                                  "\"links\":\"[]\"}}");
    assert_served("/api/dashboard-links", 200, "[]");
    assert_served("/api/dashboard-settings", 500, "{\"error\":\"Cannot load dashboard settings\"}");

    /* deleted: the configured ones again */
    configmap_event(K8S_DELETED, "{\"metadata\":{\"name\":\"dashboard-config\"}}");
    assert_served("/api/dashboard-links", 200, "{}");
    assert_served("/api/dashboard-settings", 200, "{\"DASHBOARD_FORCE_IFRAME\":true}");

    /* there again, then a relist without it (deleted while the watch was away) */
    configmap_event(K8S_ADDED, "{\"metadata\":{\"name\":\"dashboard-config\"},\"data\":{"
                               "\"links\":\"{}\",\"settings\":\"{}\"}}");
    assert_served("/api/dashboard-settings", 200, "{}");
    dashboard_configmap_ops.reset(f.k.dashboard);
    dashboard_configmap_ops.settled(f.k.dashboard);
    assert_served("/api/dashboard-settings", 200, "{\"DASHBOARD_FORCE_IFRAME\":true}");
    stop();
}
END_TEST

RUN_SUITE("handlers_site", a_user_runs_one_diagnosis_at_a_time,
          without_a_provider_sign_in_is_a_page_saying_how_to_configure_it,
          sign_in_lands_only_on_a_path_of_this_site,
          a_provider_that_cannot_be_reached_is_a_page_not_a_browser_error,
          the_callback_needs_dexs_answer_and_the_browsers_attempt,
          sign_out_ends_the_session_for_good,
          readiness_is_every_registered_check_and_one_failing_makes_503,
          the_dashboard_links_and_settings_are_the_configured_ones,
          the_followed_configmap_replaces_the_configured_links_while_it_exists)
