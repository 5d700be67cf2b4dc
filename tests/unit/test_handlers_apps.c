/*
 * handlers_apps: the ways into applications behind kfdash, as far as they answer before another
 * server does: predictions (server/proxy/serving.c: only the inference protocols' calls, each
 * with its method), notebooks and Spark UIs on kfdash's origin (server/proxy/app_proxy.c: a
 * bare address goes to its directory), and applications on hosts of their own
 * (server/gate/apps.c: the hand-over of a signed-in browser with a one-time code).
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "auth/seal.h"
#include "auth/session.h"
#include "auth/store.h"
#include "handlers.h"

#define ALICE "alice@example.com"
#define BOB   "bob@example.com"

#define APPS_DOMAIN "apps.example.com"
#define PUBLIC_URL  "http://kubeflow.example.com"
#define NB1_HOST    "nb-alice--nb1." APPS_DOMAIN
#define NB1_ORIGIN  "http://" NB1_HOST

static struct server_fixture f;
static struct table t;

static void start(const char *const *args)
{
    sfx_start(&f, args);
    table_load(&t, &f);
    sfx_profile(&f, "alice", ALICE);
    sfx_binding(&f, "alice", "kubeflow-edit", BOB);
}

static void stop(void)
{
    table_free(&t);
    sfx_stop(&f);
}

static const char *const app_hosts[] = {"--apps-domain", APPS_DOMAIN, "--public-url", PUBLIC_URL,
                                        NULL};

/* method target as alice, the handler run at once. */
static struct http_request *ask(const char *method, const char *target)
{
    struct http_request *r = routed(&f, &t, method, target, false);
    proved(r, IDENTITY_SESSION, ALICE);
    run(r);
    return r;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- predictions */

START_TEST(only_the_inference_protocols_calls_are_carried_to_a_model)
{
    start(NULL);
    const char *targets[][2] = {
        {"POST", "/serving/alice/iris/v2/repository/models/iris/load"},
        {"POST", "/serving/alice/iris/v2/repository/models/iris/unload"},
        {"GET", "/serving/alice/iris/metrics"},
        {"GET", "/serving/alice/iris/"},
        {"GET", "/serving/alice/iris"},
    };
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = ask(targets[i][0], targets[i][1]);
        ck_assert_msg(fake_status(r) == 404, "%s: %u", targets[i][1], fake_status(r));
        ck_assert_error_has(r, "not an inference call");
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(each_inference_call_has_its_method)
{
    start(NULL);
    const struct {
        const char *method, *target, *allow, *error;
    } cases[] = {
        {"GET", "/serving/alice/iris/v1/models/iris:predict", "POST", "this call is a POST"},
        {"PUT", "/serving/alice/iris/v2/models/iris/infer", "POST", "this call is a POST"},
        {"POST", "/serving/alice/iris/v2/health/ready", "GET, HEAD", "this call is a GET"},
        {"DELETE", "/serving/alice/iris/v1/models/iris", "GET, HEAD", "this call is a GET"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct http_request *r = ask(cases[i].method, cases[i].target);
        ck_assert_refused(r, 405, cases[i].error);
        ck_assert_str_eq(fake_reply_header(r, "Allow"), cases[i].allow);
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(a_model_is_named_by_a_dns_label_and_looked_up_by_kfdash)
{
    start(NULL);
    const char *bad[] = {"/serving/alice/Iris/v1/models/iris:predict",
                         "/serving/alice/iris_2/v2/models/iris/infer",
                         "/serving/alice/-iris/v2/health/ready"};
    for (size_t i = 0; i < N(bad); i++) {
        struct http_request *r = ask("POST", bad[i]);
        ck_assert_refused(r, 400, "not an InferenceService name");
        fake_free(r);
    }
    /* a good call: kfdash asks the API server where the model is, and cannot */
    struct http_request *r = ask("POST", "/serving/alice/iris/v1/models/iris:predict");
    ck_assert_refused(r, 502, "kfdash cannot read the InferenceService iris: connection refused");
    fake_free(r);
    r = ask("GET", "/serving/alice/iris/v2/models/iris/versions/2/ready");
    ck_assert_uint_eq(fake_status(r), 502);
    fake_free(r);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- kfdash's origin */

START_TEST(a_bare_application_address_goes_to_its_directory)
{
    start(NULL);
    const char *cases[][2] = {
        {"/notebook/alice/nb1", "/notebook/alice/nb1/"},
        {"/notebook/alice/nb1?token=x&a=%2F", "/notebook/alice/nb1/?token=x&a=%2F"},
        {"/spark/alice/pi", "/spark/alice/pi/"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct http_request *r = ask("GET", cases[i][0]);
        ck_assert_msg(fake_status(r) == 302, "%s: %u", cases[i][0], fake_status(r));
        ck_assert_str_eq(fake_reply_header(r, "Location"), cases[i][1]);
        fake_free(r);
    }
    const char *bad[] = {"/notebook/alice/NB1/", "/notebook/alice/nb_1", "/spark/alice/Pi/jobs/"};
    for (size_t i = 0; i < N(bad); i++) {
        struct http_request *r = ask("GET", bad[i]);
        ck_assert_refused(r, 400, "not a valid name");
        fake_free(r);
    }
    stop();
}
END_TEST

/* ---------------------------------------------------------------- hosts of their own */

/* GET target on kfdash's origin from alice's browser, through the gate. */
static struct http_request *open_as_browser(const char *method, const char *target)
{
    struct http_request *r = routed(&f, &t, method, target, false);
    browser_session(&f, r, ALICE, time(NULL));
    ck_assert_msg(admit(r) != 0, "no reply");
    return r;
}

/* The hand-over address of alice's browser for target: the path and query it sends to the
 * application's host (into out). */
static void hand_over(const char *target, char *out, size_t size)
{
    struct http_request *r = open_as_browser("GET", target);
    ck_assert_uint_eq(fake_status(r), 302);
    const char *location = fake_reply_header(r, "Location");
    ck_assert_int_eq(strncmp(location, NB1_ORIGIN APPS_ENTER_PATH "?code=",
                             strlen(NB1_ORIGIN APPS_ENTER_PATH "?code=")),
                     0);
    snprintf(out, size, "%s", location + strlen(NB1_ORIGIN));
    fake_free(r);
}

/* The application host's answer to a browser bringing target. */
static struct http_request *enter(const char *host, const char *target)
{
    struct http_request *r = routed(&f, &t, "GET", target, true);
    fake_header(r, "Host", host);
    ck_assert_uint_ne(run(r), 0);
    return r;
}

START_TEST(a_signed_in_browser_is_sent_to_the_applications_host_with_a_one_time_code)
{
    start(app_hosts);
    struct http_request *r = open_as_browser("GET", "/notebook/alice/nb1/lab?x=1");
    ck_assert_uint_eq(fake_status(r), 302);
    const char *location = fake_reply_header(r, "Location");
    const char *code_at = NB1_ORIGIN APPS_ENTER_PATH "?code=";
    ck_assert_msg(strncmp(location, code_at, strlen(code_at)) == 0, "%s", location);
    ck_assert_ptr_nonnull(strstr(location, "&rd=%2Fnotebook%2Falice%2Fnb1%2Flab%3Fx%3D1"));
    ck_assert_str_eq(fake_reply_header(r, "Cache-Control"), "no-store");
    ck_assert_str_eq(fake_reply_header(r, "Referrer-Policy"), "no-referrer");
    fake_free(r);

    /* a form's POST keeps its method and body, and carries no code */
    r = open_as_browser("POST", "/notebook/alice/nb1/api/contents");
    ck_assert_uint_eq(fake_status(r), 307);
    ck_assert_str_eq(fake_reply_header(r, "Location"),
                     NB1_ORIGIN "/notebook/alice/nb1/api/contents");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(a_script_is_sent_to_the_applications_host_without_a_code)
{
    start(app_hosts);
    const enum identity_source sources[] = {IDENTITY_PERSONAL_TOKEN, IDENTITY_ID_TOKEN,
                                            IDENTITY_GATEWAY};
    char *cookie = sfx_session(&f, ALICE, time(NULL), NULL);
    for (size_t i = 0; i < N(sources); i++) {
        struct http_request *r =
            routed(&f, &t, "GET", "/notebook/alice/nb1/api/kernels?a=1", false);
        proved(r, sources[i], BOB);
        /* a session cookie that came along is not the caller's to hand over */
        fake_cookie(r, SESSION_COOKIE, cookie);
        ck_assert_uint_eq(run(r), 302);
        ck_assert_str_eq(fake_reply_header(r, "Location"),
                         NB1_ORIGIN "/notebook/alice/nb1/api/kernels?a=1");
        fake_free(r);
    }
    free(cookie);
    /* MLflow's UI has one host; a bare /mlflow gets its slash */
    struct http_request *r = routed(&f, &t, "GET", "/mlflow", false);
    proved(r, IDENTITY_PERSONAL_TOKEN, BOB);
    ck_assert_uint_eq(run(r), 302);
    ck_assert_str_eq(fake_reply_header(r, "Location"), "http://mlflow." APPS_DOMAIN "/mlflow/");
    fake_free(r);
    stop();

    /* the host shares the public address's scheme and port */
    const char *with_port[] = {"--apps-domain", APPS_DOMAIN, "--public-url",
                               "https://kubeflow.example.com:8443", NULL};
    start(with_port);
    r = routed(&f, &t, "GET", "/spark/alice/pi/jobs/", false);
    proved(r, IDENTITY_PERSONAL_TOKEN, BOB);
    ck_assert_uint_eq(run(r), 302);
    ck_assert_str_eq(fake_reply_header(r, "Location"),
                     "https://spark-alice--pi." APPS_DOMAIN ":8443/spark/alice/pi/jobs/");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(the_applications_host_trades_the_code_for_its_own_cookie_once)
{
    start(app_hosts);
    char target[4096];
    hand_over("/notebook/alice/nb1/lab?x=1", target, sizeof(target));
    struct http_request *r = enter(NB1_HOST, target);
    ck_assert_uint_eq(fake_status(r), 302);
    ck_assert_str_eq(fake_reply_header(r, "Location"), "/notebook/alice/nb1/lab?x=1");
    const char *cookie = fake_reply_header(r, "Set-Cookie");
    ck_assert_ptr_nonnull(cookie);
    ck_assert_int_eq(strncmp(cookie, SESSION_APP_COOKIE "=", strlen(SESSION_APP_COOKIE) + 1), 0);
    ck_assert_ptr_nonnull(strstr(cookie, "HttpOnly"));
    fake_free(r);

    /* the same link again (from a log, a Referer) opens nothing */
    r = enter(NB1_HOST, target);
    ck_assert_uint_eq(fake_status(r), 400);
    ck_assert_ptr_nonnull(
        strstr(fake_reply_body(r), "This link to the application was used already."));
    ck_assert_ptr_null(fake_reply_header(r, "Set-Cookie"));
    /* with the way back to the dashboard */
    ck_assert_ptr_nonnull(strstr(fake_reply_body(r), PUBLIC_URL "/notebook/alice/nb1/lab?x=1"));
    fake_free(r);
    stop();
}
END_TEST

START_TEST(a_code_opens_only_the_host_it_was_made_for)
{
    start(app_hosts);
    char target[4096];
    hand_over("/notebook/alice/nb1/", target, sizeof(target));
    const char *others[] = {"nb-alice--nb2." APPS_DOMAIN, "spark-alice--nb1." APPS_DOMAIN,
                            "mlflow." APPS_DOMAIN};
    for (size_t i = 0; i < N(others); i++) {
        struct http_request *r = enter(others[i], target);
        ck_assert_msg(fake_status(r) == 400, "%s: %u", others[i], fake_status(r));
        ck_assert_ptr_nonnull(
            strstr(fake_reply_body(r), "This link is not one kfdash made for this application."));
        ck_assert_ptr_null(fake_reply_header(r, "Set-Cookie"));
        fake_free(r);
    }
    /* nor is a session cookie's value a code */
    char *cookie = sfx_session(&f, ALICE, time(NULL), NULL);
    char forged[4096];
    snprintf(forged, sizeof(forged), APPS_ENTER_PATH "?code=%s&rd=/", cookie);
    free(cookie);
    struct http_request *r = enter(NB1_HOST, forged);
    ck_assert_uint_eq(fake_status(r), 400);
    ck_assert_ptr_nonnull(
        strstr(fake_reply_body(r), "This link is not one kfdash made for this application."));
    fake_free(r);
    r = enter(NB1_HOST, APPS_ENTER_PATH "?rd=/");
    ck_assert_uint_eq(fake_status(r), 400);
    fake_free(r);

    /* the code still works where it belongs, and lands only on its own application */
    char elsewhere[4200];
    snprintf(elsewhere, sizeof(elsewhere), "%.*s&rd=/notebook/alice/nb2/",
             (int)(strstr(target, "&rd=") - target), target);
    r = enter(NB1_HOST, elsewhere);
    ck_assert_uint_eq(fake_status(r), 302);
    ck_assert_str_eq(fake_reply_header(r, "Location"), "/");
    fake_free(r);
    stop();
}
END_TEST

START_TEST(a_code_is_good_for_thirty_seconds)
{
    start(app_hosts);
    time_t now = time(NULL);
    struct session s = {
        .email = ALICE, .expires = now + 3600, .recheck_at = now + 3600, .auth_time = now};
    ck_assert_int_eq(session_random(s.id), 0);
    ck_assert_int_eq(session_random(s.csrf), 0);
    char *code = NULL;
    ck_assert_int_eq(
        session_seal_for(f.keys, &s, SESSION_HANDOVER, "nb-alice--nb1", now - 1, &code), 0);
    char target[4096];
    snprintf(target, sizeof(target), APPS_ENTER_PATH "?code=%s&rd=/notebook/alice/nb1/", code);
    free(code);
    struct http_request *r = enter(NB1_HOST, target);
    ck_assert_uint_eq(fake_status(r), 400);
    ck_assert_ptr_nonnull(strstr(fake_reply_body(r), "This link to the application has expired."));
    ck_assert_ptr_null(fake_reply_header(r, "Set-Cookie"));
    fake_free(r);

    /* the same, sealed until a moment from now, opens */
    ck_assert_int_eq(
        session_seal_for(f.keys, &s, SESSION_HANDOVER, "nb-alice--nb1", now + 30, &code), 0);
    snprintf(target, sizeof(target), APPS_ENTER_PATH "?code=%s&rd=/notebook/alice/nb1/", code);
    free(code);
    r = enter(NB1_HOST, target);
    ck_assert_uint_eq(fake_status(r), 302);
    fake_free(r);
    stop();
}
END_TEST

RUN_SUITE("handlers_apps", only_the_inference_protocols_calls_are_carried_to_a_model,
          each_inference_call_has_its_method,
          a_model_is_named_by_a_dns_label_and_looked_up_by_kfdash,
          a_bare_application_address_goes_to_its_directory,
          a_signed_in_browser_is_sent_to_the_applications_host_with_a_one_time_code,
          a_script_is_sent_to_the_applications_host_without_a_code,
          the_applications_host_trades_the_code_for_its_own_cookie_once,
          a_code_opens_only_the_host_it_was_made_for, a_code_is_good_for_thirty_seconds)
