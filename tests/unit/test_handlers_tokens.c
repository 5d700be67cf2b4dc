/*
 * handlers_tokens: who am I, and personal access tokens (server/api/tokens.c): who may make
 * one, what a create form may say, the token shown once and working at the gate, a user's own
 * list, revoking, and the per-user limit.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "fixtures.h"
#include "handlers.h"

#define ALICE "alice@example.com"
#define BOB   "bob@example.com"

static struct server_fixture f;
static struct table t;

static void start(void)
{
    sfx_start(&f, NULL);
    table_load(&t, &f);
}

static void stop(void)
{
    table_free(&t);
    sfx_stop(&f);
}

static struct http_request *ask(const char *method, const char *target, enum identity_source source,
                                const char *email, const char *body)
{
    struct http_request *r = routed(&f, &t, method, target, false);
    proved(r, source, email);
    if (body) fake_body(r, body);
    run(r);
    return r;
}

/* A new token of email's: its reply, parsed (the caller deletes it). */
static cJSON *mint(const char *email, const char *body)
{
    struct http_request *r = ask("POST", "/api/tokens", IDENTITY_SESSION, email, body);
    ck_assert_msg(fake_status(r) == 201, "%u %s", fake_status(r), fake_reply_body(r));
    cJSON *j = fake_reply_json(r);
    fake_free(r);
    return j;
}

/* email's tokens as GET /api/tokens lists them (the caller deletes it). */
static cJSON *listed(const char *email)
{
    struct http_request *r = ask("GET", "/api/tokens", IDENTITY_SESSION, email, NULL);
    ck_assert_uint_eq(fake_status(r), 200);
    cJSON *j = fake_reply_json(r);
    fake_free(r);
    cJSON *tokens = cJSON_DetachItemFromObjectCaseSensitive(j, "tokens");
    cJSON_Delete(j);
    ck_assert(cJSON_IsArray(tokens));
    return tokens;
}

START_TEST(whoami_tells_the_caller_their_name_groups_and_how_they_proved_it)
{
    start();
    struct http_request *r = routed(&f, &t, "GET", "/api/whoami", false);
    const char *groups[] = {"team-a", "team-b"};
    fake_identity(r, identity_new(IDENTITY_ID_TOKEN, ALICE, groups, 2));
    ck_assert_uint_eq(run(r), 200);
    cJSON *j = fake_reply_json(r);
    ck_assert_str_eq(fx_str(j, "email"), ALICE);
    ck_assert_str_eq(fx_str(j, "source"), "id-token");
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(j, "groups")), 2);
    ck_assert_str_eq(fx_str_at(j, "groups.1"), "team-b");
    cJSON_Delete(j);
    fake_free(r);
    stop();
}
END_TEST

START_TEST(a_new_token_is_shown_once_and_then_works_as_its_user)
{
    start();
    time_t before = time(NULL);
    cJSON *j = mint(ALICE, "{\"name\":\"ci\",\"expires_in_days\":7}");
    const char *token = fx_str(j, "token");
    ck_assert_int_eq(strncmp(token, "kfp_", 4), 0);
    ck_assert_uint_eq(strlen(token), 4 + SESSION_RANDOM_LEN);
    ck_assert_str_eq(fx_str(j, "name"), "ci");
    ck_assert_uint_eq(strlen(fx_str(j, "id")), 16);
    ck_assert_uint_eq(strspn(fx_str(j, "id"), "0123456789abcdef"), 16);
    double created = fx_num(j, "created");
    ck_assert(created >= (double)before && created <= (double)time(NULL));
    ck_assert(fx_num(j, "expires") == created + 7 * 86400);

    /* a script sends it: the gate takes it for alice */
    struct http_request *r = routed(&f, &t, "GET", "/api/whoami", false);
    char bearer[128];
    snprintf(bearer, sizeof(bearer), "Bearer %s", token);
    fake_header(r, "Authorization", bearer);
    ck_assert_uint_eq(admit(r), 200);
    cJSON *me = fake_reply_json(r);
    ck_assert_str_eq(fx_str(me, "email"), ALICE);
    ck_assert_str_eq(fx_str(me, "source"), "personal-token");
    cJSON_Delete(me);
    fake_free(r);

    /* the list names it, without the secret */
    cJSON *tokens = listed(ALICE);
    ck_assert_int_eq(cJSON_GetArraySize(tokens), 1);
    ck_assert_str_eq(fx_str_at(tokens, "0.id"), fx_str(j, "id"));
    ck_assert_str_eq(fx_str_at(tokens, "0.name"), "ci");
    char *text = cJSON_PrintUnformatted(tokens);
    ck_assert_ptr_null(strstr(text, token + 4));
    free(text);
    cJSON_Delete(tokens);
    cJSON_Delete(j);
    stop();
}
END_TEST

START_TEST(a_token_lasts_thirty_days_unless_the_form_says_otherwise)
{
    start();
    cJSON *j = mint(ALICE, "{\"name\":\"laptop\"}");
    ck_assert(fx_num(j, "expires") == fx_num(j, "created") + 30 * 86400);
    cJSON_Delete(j);
    j = mint(ALICE, "{\"name\":\"a year\",\"expires_in_days\":365}");
    ck_assert(fx_num(j, "expires") == fx_num(j, "created") + 365 * 86400);
    cJSON_Delete(j);
    j = mint(ALICE, "{\"name\":\"a day\",\"expires_in_days\":1}");
    ck_assert(fx_num(j, "expires") == fx_num(j, "created") + 86400);
    cJSON_Delete(j);
    stop();
}
END_TEST

START_TEST(the_create_form_names_what_is_wrong_with_it)
{
    start();
    char long_name[128];
    snprintf(long_name, sizeof(long_name), "{\"name\":\"%065d\"}", 0);
    const struct {
        const char *body, *error;
    } cases[] = {
        {"", "the body must be a JSON object"},
        {"[\"ci\"]", "the body must be a JSON object"},
        {"{\"name\":", "the body must be a JSON object"},
        {"{}", "name: 1 to 64 characters"},
        {"{\"name\":\"\"}", "name: 1 to 64 characters"},
        {"{\"name\":7}", "name: 1 to 64 characters"},
        {long_name, "name: 1 to 64 characters"},
        {"{\"name\":\"a\\nb\"}", "name: no control characters"},
        {"{\"name\":\"a\\u007fb\"}", "name: no control characters"},
        {"{\"name\":\"ci\",\"expires_in_days\":0}",
         "expires_in_days: a whole number from 1 to 365"},
        {"{\"name\":\"ci\",\"expires_in_days\":366}",
         "expires_in_days: a whole number from 1 to 365"},
        {"{\"name\":\"ci\",\"expires_in_days\":1.5}",
         "expires_in_days: a whole number from 1 to 365"},
        {"{\"name\":\"ci\",\"expires_in_days\":\"30\"}",
         "expires_in_days: a whole number from 1 to 365"},
        {"{\"name\":\"ci\",\"expires_in_days\":null}",
         "expires_in_days: a whole number from 1 to 365"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_request *r = ask("POST", "/api/tokens", IDENTITY_SESSION, ALICE, cases[i].body);
        ck_assert_msg(fake_status(r) == 400, "%s: %u", cases[i].body, fake_status(r));
        ck_assert_str_eq(error_of(r), cases[i].error);
        fake_free(r);
    }
    /* 64 characters are fine; none of those was made */
    snprintf(long_name, sizeof(long_name), "{\"name\":\"%064d\"}", 0);
    cJSON_Delete(mint(ALICE, long_name));
    cJSON *tokens = listed(ALICE);
    ck_assert_int_eq(cJSON_GetArraySize(tokens), 1);
    cJSON_Delete(tokens);
    stop();
}
END_TEST

START_TEST(only_someone_just_signed_in_at_dex_makes_a_token)
{
    start();
    const struct {
        enum identity_source source;
        unsigned status;
    } cases[] = {{IDENTITY_SESSION, 201},
                 {IDENTITY_ID_TOKEN, 201},
                 {IDENTITY_PERSONAL_TOKEN, 403},
                 {IDENTITY_SERVICE_ACCOUNT, 403},
                 {IDENTITY_GATEWAY, 403}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *email = cases[i].source == IDENTITY_SERVICE_ACCOUNT
                                ? "system:serviceaccount:alice:runner"
                                : ALICE;
        struct http_request *r =
            ask("POST", "/api/tokens", cases[i].source, email, "{\"name\":\"ci\"}");
        ck_assert_msg(fake_status(r) == cases[i].status, "%s: %u",
                      identity_source_name(cases[i].source), fake_status(r));
        if (cases[i].status == 403) ck_assert_error_has(r, "sign in at Dex");
        fake_free(r);
    }
    cJSON *tokens = listed(ALICE);
    ck_assert_int_eq(cJSON_GetArraySize(tokens), 2);
    cJSON_Delete(tokens);
    stop();
}
END_TEST

START_TEST(the_tokens_route_asks_for_a_recent_sign_in)
{
    start();
    struct http_request *r = routed(&f, &t, "POST", "/api/tokens", false);
    browser_session(&f, r, ALICE, time(NULL) - 3600);
    fake_body(r, "{\"name\":\"ci\"}");
    ck_assert_uint_eq(admit(r), 403);
    cJSON *j = fake_reply_json(r);
    ck_assert_str_eq(fx_str(j, "signin"), "/auth/login?prompt=login");
    cJSON_Delete(j);
    fake_free(r);

    r = routed(&f, &t, "POST", "/api/tokens", false);
    browser_session(&f, r, ALICE, time(NULL));
    fake_body(r, "{\"name\":\"ci\"}");
    ck_assert_uint_eq(admit(r), 201);
    fake_free(r);
    stop();
}
END_TEST

START_TEST(a_user_lists_and_revokes_only_their_own_tokens)
{
    start();
    cJSON *a = mint(ALICE, "{\"name\":\"alice's\"}");
    cJSON *b = mint(BOB, "{\"name\":\"bob's\"}");
    cJSON *tokens = listed(BOB);
    ck_assert_int_eq(cJSON_GetArraySize(tokens), 1);
    ck_assert_str_eq(fx_str_at(tokens, "0.name"), "bob's");
    cJSON_Delete(tokens);

    /* bob cannot revoke alice's, nor one that never was */
    char target[128];
    snprintf(target, sizeof(target), "/api/tokens/%s", fx_str(a, "id"));
    struct http_request *r = ask("DELETE", target, IDENTITY_SESSION, BOB, NULL);
    ck_assert_refused(r, 404, "you have no token with this id");
    fake_free(r);
    r = ask("DELETE", "/api/tokens/0000000000000000", IDENTITY_SESSION, BOB, NULL);
    ck_assert_refused(r, 404, "you have no token with this id");
    fake_free(r);
    tokens = listed(ALICE);
    ck_assert_int_eq(cJSON_GetArraySize(tokens), 1);
    cJSON_Delete(tokens);

    /* alice can, once; then it no longer works */
    r = ask("DELETE", target, IDENTITY_SESSION, ALICE, NULL);
    ck_assert_uint_eq(fake_status(r), 204);
    fake_free(r);
    r = ask("DELETE", target, IDENTITY_SESSION, ALICE, NULL);
    ck_assert_uint_eq(fake_status(r), 404);
    fake_free(r);
    tokens = listed(ALICE);
    ck_assert_int_eq(cJSON_GetArraySize(tokens), 0);
    cJSON_Delete(tokens);
    r = routed(&f, &t, "GET", "/api/whoami", false);
    char bearer[128];
    snprintf(bearer, sizeof(bearer), "Bearer %s", fx_str(a, "token"));
    fake_header(r, "Authorization", bearer);
    ck_assert_uint_eq(admit(r), 401);
    fake_free(r);
    cJSON_Delete(a);
    cJSON_Delete(b);
    stop();
}
END_TEST

START_TEST(a_user_holds_at_most_fifty_tokens)
{
    start();
    for (int i = 0; i < 50; i++) cJSON_Delete(mint(ALICE, "{\"name\":\"one of many\"}"));
    struct http_request *r =
        ask("POST", "/api/tokens", IDENTITY_SESSION, ALICE, "{\"name\":\"one too many\"}");
    ck_assert_refused(r, 409, "you have 50 unexpired tokens already; revoke one first");
    fake_free(r);
    /* the limit is alice's, not everyone's */
    cJSON_Delete(mint(BOB, "{\"name\":\"bob's first\"}"));
    stop();
}
END_TEST

RUN_SUITE("handlers_tokens", whoami_tells_the_caller_their_name_groups_and_how_they_proved_it,
          a_new_token_is_shown_once_and_then_works_as_its_user,
          a_token_lasts_thirty_days_unless_the_form_says_otherwise,
          the_create_form_names_what_is_wrong_with_it,
          only_someone_just_signed_in_at_dex_makes_a_token,
          the_tokens_route_asks_for_a_recent_sign_in,
          a_user_lists_and_revokes_only_their_own_tokens, a_user_holds_at_most_fifty_tokens)
