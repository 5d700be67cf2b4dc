/*
 * handlers_admin: the Users page's API (server/api/admin.c): Dex's local users, for cluster
 * admins after a recent sign-in. What the handler refuses before it writes anything (emails,
 * passwords, the profile to make), and that it needs Dex's namespace.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "fixtures.h"
#include "handlers.h"

#define ALICE "alice@example.com"
#define ADMIN "admin@example.com"

static struct server_fixture f;
static struct table t;

static void start(const char *const *args)
{
    const char *all[16] = {"--cluster-admins", ADMIN};
    size_t n = 2;
    for (size_t i = 0; args && args[i] && n < 15; i++) all[n++] = args[i];
    all[n] = NULL;
    sfx_start(&f, all);
    table_load(&t, &f);
    sfx_profile(&f, "alice", ALICE);
}

static void stop(void)
{
    table_free(&t);
    sfx_stop(&f);
}

/* method target with body as the admin, the handler run at once (the gate passed). */
static struct http_request *ask(const char *method, const char *target, const char *body)
{
    struct http_request *r = routed(&f, &t, method, target, false);
    proved(r, IDENTITY_SESSION, ADMIN);
    if (body) fake_body(r, body);
    run(r);
    return r;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(a_new_user_needs_an_email_dex_can_store_and_a_password_bcrypt_keeps_whole)
{
    start(NULL);
    const char *shape = "send {\"email\", \"password\", \"username\"?, \"create_profile\"?, "
                        "\"profile\"?}";
    char long_password[128];
    snprintf(long_password, sizeof(long_password),
             "{\"email\":\"erin@example.com\",\"password\":\"%073d\"}", 0);
    const struct {
        const char *body, *error;
    } cases[] = {
        {"", shape},
        {"[]", shape},
        {"{}", shape},
        {"{\"email\":\"erin@example.com\"}", shape},
        {"{\"password\":\"long enough\"}", shape},
        {"{\"email\":5,\"password\":\"long enough\"}", shape},
        {"{\"email\":\"erin@example.com\",\"password\":\"long enough\",\"username\":7}", shape},
        {"{\"email\":\"erin\",\"password\":\"long enough\"}",
         "email must have a name before an '@' and a domain after it"},
        {"{\"email\":\"@example.com\",\"password\":\"long enough\"}",
         "email must have a name before an '@' and a domain after it"},
        {"{\"email\":\"erin @example.com\",\"password\":\"long enough\"}",
         "email must not contain spaces or control characters"},
        {"{\"email\":\"\\u00e9rin@example.com\",\"password\":\"long enough\"}",
         "email must be ASCII (Dex lowercases other letters by rules kfdash does not reproduce)"},
        {"{\"email\":\"erin@example.com\",\"password\":\"short\"}",
         "password must be at least 8 bytes long"},
        {long_password, "password must be at most 72 bytes long (bcrypt ignores the rest)"},
        {"{\"email\":\"erin@example.com\",\"password\":\"long enough\",\"create_profile\":true,"
         "\"profile\":\"Erin\"}",
         "profile: not a valid namespace name"},
        {"{\"email\":\"erin@example.com\",\"password\":\"long enough\",\"create_profile\":true,"
         "\"profile\":\"kube-system\"}",
         "the namespace kube-system is reserved for the platform"},
        {"{\"email\":\"erin@example.com\",\"password\":\"long enough\",\"create_profile\":true,"
         "\"profile\":\"alice\"}",
         "a profile called alice exists already"},
        /* the profile proposed from the email: alice's is taken */
        {"{\"email\":\"alice@elsewhere.example\",\"password\":\"long enough\","
         "\"create_profile\":true}",
         "a profile called alice exists already"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct http_request *r = ask("POST", "/api/admin/users", cases[i].body);
        ck_assert_msg(fake_status(r) == 400, "%s: %u %s", cases[i].body, fake_status(r),
                      fake_reply_body(r));
        ck_assert_str_eq(error_of(r), cases[i].error);
        fake_free(r);
    }
    /* 8 and 72 bytes are fine: on to the API server, which is down here */
    char longest[128];
    snprintf(longest, sizeof(longest), "{\"email\":\"erin@example.com\",\"password\":\"%072d\"}",
             0);
    const char *good[] = {"{\"email\":\"erin@example.com\",\"password\":\"12345678\"}", longest};
    for (size_t i = 0; i < N(good); i++) {
        struct http_request *r = ask("POST", "/api/admin/users", good[i]);
        ck_assert_refused(r, 502, "cannot create the user: connection refused");
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(a_user_is_named_in_the_path_by_their_email)
{
    start(NULL);
    const char *targets[][2] = {{"PUT", "/api/admin/users/erin/password"},
                                {"POST", "/api/admin/users/erin/disable"},
                                {"POST", "/api/admin/users/erin@/enable"},
                                {"DELETE", "/api/admin/users/@example.com"}};
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r =
            ask(targets[i][0], targets[i][1], "{\"password\":\"long enough\"}");
        ck_assert_msg(fake_status(r) == 400, "%s: %u", targets[i][1], fake_status(r));
        ck_assert_str_eq(error_of(r), "email must have a name before an '@' and a domain after it");
        fake_free(r);
    }
    const char *good[][3] = {
        {"PUT", "/api/admin/users/erin@example.com/password", "cannot read the user"},
        {"POST", "/api/admin/users/erin@example.com/disable", "cannot read the user"},
        {"POST", "/api/admin/users/erin@example.com/enable", "cannot read the user"},
        {"DELETE", "/api/admin/users/erin@example.com", "cannot delete the user"},
        {"GET", "/api/admin/users", "cannot list Dex's users"},
    };
    for (size_t i = 0; i < N(good); i++) {
        struct http_request *r = ask(good[i][0], good[i][1], "{\"password\":\"long enough\"}");
        char want[128];
        snprintf(want, sizeof(want), "%s: connection refused", good[i][2]);
        ck_assert_refused(r, 502, want);
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(a_new_password_is_checked_as_a_new_users_is)
{
    start(NULL);
    const struct {
        const char *body, *error;
    } cases[] = {
        {"", "send {\"password\"}"},
        {"{}", "send {\"password\"}"},
        {"{\"password\":12345678}", "send {\"password\"}"},
        {"{\"password\":\"seven77\"}", "password must be at least 8 bytes long"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct http_request *r =
            ask("PUT", "/api/admin/users/erin@example.com/password", cases[i].body);
        ck_assert_refused(r, 400, cases[i].error);
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(without_dexs_namespace_there_are_no_users_to_administer)
{
    const char *args[] = {"--dex-namespace", "", NULL};
    start(args);
    const char *targets[][2] = {{"GET", "/api/admin/users"},
                                {"POST", "/api/admin/users"},
                                {"PUT", "/api/admin/users/erin@example.com/password"},
                                {"POST", "/api/admin/users/erin@example.com/disable"},
                                {"POST", "/api/admin/users/erin@example.com/enable"},
                                {"DELETE", "/api/admin/users/erin@example.com"}};
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = ask(targets[i][0], targets[i][1],
                                     "{\"email\":\"erin@example.com\",\"password\":\"12345678\"}");
        ck_assert_msg(fake_status(r) == 503, "%s %s: %u", targets[i][0], targets[i][1],
                      fake_status(r));
        ck_assert_str_eq(error_of(r),
                         "Dex keeps no users in Kubernetes here (dex.namespace is empty)");
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(users_are_administered_by_a_cluster_admin_just_signed_in)
{
    start(NULL);
    const struct {
        const char *email;
        time_t signed_in;
        unsigned status;
    } cases[] = {{ALICE, time(NULL), 403},
                 {ADMIN, time(NULL) - 3600, 403},
                 {ADMIN, time(NULL), 400}}; /* past the gate: the handler reads the body */
    for (size_t i = 0; i < N(cases); i++) {
        struct http_request *r = routed(&f, &t, "POST", "/api/admin/users", false);
        browser_session(&f, r, cases[i].email, cases[i].signed_in);
        fake_body(r, "{}");
        ck_assert_msg(admit(r) == cases[i].status, "%s: %u %s", cases[i].email, fake_status(r),
                      fake_reply_body(r));
        fake_free(r);
    }
    /* listing needs no recent sign-in, but an admin */
    struct http_request *r = routed(&f, &t, "GET", "/api/admin/users", false);
    browser_session(&f, r, ALICE, time(NULL));
    ck_assert_uint_eq(admit(r), 403);
    fake_free(r);
    r = routed(&f, &t, "GET", "/api/admin/users", false);
    browser_session(&f, r, ADMIN, time(NULL) - 3600);
    ck_assert_uint_eq(admit(r), 502);
    fake_free(r);
    stop();
}
END_TEST

RUN_SUITE("handlers_admin",
          a_new_user_needs_an_email_dex_can_store_and_a_password_bcrypt_keeps_whole,
          a_user_is_named_in_the_path_by_their_email, a_new_password_is_checked_as_a_new_users_is,
          without_dexs_namespace_there_are_no_users_to_administer,
          users_are_administered_by_a_cluster_admin_just_signed_in)
