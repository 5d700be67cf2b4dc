/* auth/session: cookies the browser carries cannot be forged, kept past expiry or repurposed;
 * login redirects stay on this site. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth/seal.h"
#include "auth/session.h"
#include "unit.h"

#define KEY_A "1111111111111111111111111111111111111111111111111111111111111111"
#define KEY_B "2222222222222222222222222222222222222222222222222222222222222222"
#define NOW   1800000000

static struct seal_keys *keys(const char *text)
{
    struct seal_keys *k = NULL;
    char err[128];
    ck_assert_int_eq(seal_keys_parse(text, &k, err), 0);
    return k;
}

static char *sealed_session(const struct seal_keys *k, time_t expires)
{
    char *groups[] = {"team-a", "team-b"};
    struct session s = {.email = "alice@example.com",
                        .groups = groups,
                        .n_groups = 2,
                        .expires = expires,
                        .recheck_at = NOW + 60,
                        .renewable = true};
    ck_assert_int_eq(session_random(s.id), 0);
    ck_assert_int_eq(session_random(s.csrf), 0);
    char *value = NULL;
    ck_assert_int_eq(session_seal(k, &s, &value), 0);
    return value;
}

START_TEST(a_session_cookie_round_trips_and_stays_under_1kb)
{
    struct seal_keys *k = keys(KEY_A);
    char *value = sealed_session(k, NOW + 3600);
    ck_assert_int_lt(strlen(value), 1024);
    ck_assert_ptr_null(strstr(value, "alice"));
    struct session s;
    ck_assert_int_eq(session_open(k, value, NOW, &s), 0);
    ck_assert_str_eq(s.email, "alice@example.com");
    ck_assert_int_eq(s.n_groups, 2);
    ck_assert_str_eq(s.groups[1], "team-b");
    ck_assert(s.renewable);
    ck_assert_int_eq(strlen(s.id), SESSION_RANDOM_LEN);
    session_reset(&s);
    free(value);
    seal_keys_free(k);
}
END_TEST

START_TEST(refuses_an_expired_session)
{
    struct seal_keys *k = keys(KEY_A);
    char *value = sealed_session(k, NOW - 1);
    struct session s;
    ck_assert_int_eq(session_open(k, value, NOW, &s), -ETIME);
    free(value);
    seal_keys_free(k);
}
END_TEST

START_TEST(refuses_a_tampered_session)
{
    struct seal_keys *k = keys(KEY_A);
    char *value = sealed_session(k, NOW + 3600);
    size_t mid = strlen(value) / 2;
    value[mid] = value[mid] == 'A' ? 'B' : 'A';
    struct session s;
    ck_assert_int_eq(session_open(k, value, NOW, &s), -EBADMSG);
    free(value);
    seal_keys_free(k);
}
END_TEST

START_TEST(a_rotated_key_still_opens_until_it_is_retired)
{
    struct seal_keys *old = keys(KEY_A);
    char *value = sealed_session(old, NOW + 3600);
    struct seal_keys *rotated = keys(KEY_B "\n" KEY_A "\n");
    struct seal_keys *retired = keys(KEY_B "\n");
    struct session s;
    ck_assert_int_eq(session_open(rotated, value, NOW, &s), 0);
    session_reset(&s);
    ck_assert_int_eq(session_open(retired, value, NOW, &s), -ENOKEY);
    free(value);
    seal_keys_free(old);
    seal_keys_free(rotated);
    seal_keys_free(retired);
}
END_TEST

START_TEST(a_login_attempt_cannot_pass_for_a_session)
{
    struct seal_keys *k = keys(KEY_A);
    struct login_attempt a;
    ck_assert_int_eq(login_attempt_new("/notebooks?ns=alice", NOW, &a), 0);
    char *value = NULL;
    ck_assert_int_eq(login_attempt_seal(k, &a, &value), 0);
    struct session s;
    ck_assert_int_eq(session_open(k, value, NOW, &s), -EBADMSG);
    struct login_attempt back;
    ck_assert_int_eq(login_attempt_open(k, value, NOW, &back), 0);
    ck_assert_str_eq(back.rd, "/notebooks?ns=alice");
    ck_assert_str_eq(back.nonce, a.nonce);
    ck_assert_int_eq(login_attempt_open(k, value, NOW + LOGIN_ATTEMPT_TTL_S, &back), -ETIME);
    free(value);
    seal_keys_free(k);
}
END_TEST

/* A time no time_t holds (1e300) is malformed, not cast (found by tests/fuzz/fuzz_cookie). The
 * JSON is sealed as kfdash seals cookies, so only the times are wrong. */
START_TEST(refuses_cookies_whose_times_are_beyond_any_real_time)
{
    static const char *const sessions[] = {
        "{\"g\":[],\"i\":\"a\",\"c\":\"b\",\"e\":\"alice@example.com\",\"x\":1e300,\"k\":0}",
        "{\"g\":[],\"i\":\"a\",\"c\":\"b\",\"e\":\"alice@example.com\",\"x\":1900000000,"
        "\"k\":-1e19}",
    };
    struct seal_keys *k = keys(KEY_A);
    for (size_t i = 0; i < 2; i++) {
        char *value = NULL;
        ck_assert_int_eq(seal(k, "kfdash session v1", sessions[i], strlen(sessions[i]), &value), 0);
        struct session s;
        ck_assert_int_eq(session_open(k, value, NOW, &s), -EBADMSG);
        free(value);
    }
    const char *login = "{\"s\":\"s\",\"n\":\"n\",\"v\":\"v\",\"d\":\"/\",\"x\":1e19}";
    char *value = NULL;
    ck_assert_int_eq(seal(k, "kfdash login attempt v1", login, strlen(login), &value), 0);
    struct login_attempt a;
    ck_assert_int_eq(login_attempt_open(k, value, NOW, &a), -EBADMSG);
    free(value);
    seal_keys_free(k);
}
END_TEST

START_TEST(pkce_challenge_is_s256_of_the_verifier)
{
    /* RFC 7636, appendix B. */
    struct login_attempt a = {0};
    strcpy(a.verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    char challenge[SESSION_RANDOM_SIZE];
    login_attempt_challenge(&a, challenge);
    ck_assert_str_eq(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}
END_TEST

START_TEST(rd_must_stay_on_this_site)
{
    ck_assert(session_rd_is_local("/"));
    ck_assert(session_rd_is_local("/jupyter/?ns=alice"));
    ck_assert(!session_rd_is_local("//evil.example"));
    ck_assert(!session_rd_is_local("/\\evil.example"));
    ck_assert(!session_rd_is_local("https://evil.example"));
    ck_assert(!session_rd_is_local("evil.example"));
    ck_assert(!session_rd_is_local("/a\\b"));
    ck_assert(!session_rd_is_local("/a\r\nSet-Cookie: x=y"));
    ck_assert(!session_rd_is_local(""));
}
END_TEST

RUN_SUITE("session", a_session_cookie_round_trips_and_stays_under_1kb, refuses_an_expired_session,
          refuses_a_tampered_session, a_rotated_key_still_opens_until_it_is_retired,
          a_login_attempt_cannot_pass_for_a_session, pkce_challenge_is_s256_of_the_verifier,
          rd_must_stay_on_this_site, refuses_cookies_whose_times_are_beyond_any_real_time)
