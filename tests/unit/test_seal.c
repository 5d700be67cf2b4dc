/* auth/seal: what the browser carries can be neither read, altered, moved nor kept forever. */
#include <errno.h>
#include <string.h>

#include "auth/seal.h"
#include "unit.h"

#define KEY_A "1111111111111111111111111111111111111111111111111111111111111111"
#define KEY_B "2222222222222222222222222222222222222222222222222222222222222222"

static struct seal_keys *keys(const char *text)
{
    struct seal_keys *k = NULL;
    char err[128];
    ck_assert_int_eq(seal_keys_parse(text, &k, err), 0);
    return k;
}

static int open_with(const struct seal_keys *k, const char *purpose, const char *text, char **plain)
{
    size_t len;
    return unseal(k, purpose, text, plain, &len);
}

START_TEST(round_trips_and_hides_the_value)
{
    struct seal_keys *k = keys(KEY_A "\n");
    char *text, *plain;
    const char *secret = "session=abc;user=alice@example.com";
    ck_assert_int_eq(seal(k, "session", secret, strlen(secret), &text), 0);
    ck_assert_ptr_null(strstr(text, "alice"));
    ck_assert_ptr_null(strpbrk(text, "+/=;, "));
    ck_assert_int_eq(open_with(k, "session", text, &plain), 0);
    ck_assert_str_eq(plain, secret);
    char *again;
    ck_assert_int_eq(seal(k, "session", secret, strlen(secret), &again), 0);
    ck_assert_str_ne(again, text); /* a fresh nonce each time */
    free(text);
    free(again);
    free(plain);
    seal_keys_free(k);
}
END_TEST

START_TEST(rejects_a_tampered_cookie)
{
    struct seal_keys *k = keys(KEY_A);
    char *text, *plain = NULL;
    ck_assert_int_eq(seal(k, "session", "user=alice", 10, &text), 0);
    for (size_t i = 8; i < strlen(text); i += 7) {
        char saved = text[i];
        text[i] = saved == 'A' ? 'B' : 'A';
        ck_assert_int_eq(open_with(k, "session", text, &plain), -EBADMSG);
        text[i] = saved;
    }
    text[strlen(text) - 3] = '\0';
    ck_assert_int_eq(open_with(k, "session", text, &plain), -EBADMSG);
    ck_assert_int_eq(open_with(k, "session", "", &plain), -EBADMSG);
    ck_assert_int_eq(open_with(k, "session", "not base64!", &plain), -EBADMSG);
    free(text);
    seal_keys_free(k);
}
END_TEST

START_TEST(a_value_sealed_for_one_purpose_is_refused_for_another)
{
    struct seal_keys *k = keys(KEY_A);
    char *text, *plain = NULL;
    ck_assert_int_eq(seal(k, "login", "state=x", 7, &text), 0);
    ck_assert_int_eq(open_with(k, "session", text, &plain), -EBADMSG);
    free(text);
    seal_keys_free(k);
}
END_TEST

START_TEST(rotation_the_first_key_seals_and_every_key_opens)
{
    struct seal_keys *old = keys(KEY_A);
    struct seal_keys *both = keys("# new key first\n" KEY_B "\n\n" KEY_A "\n");
    char *by_old, *by_new, *plain;
    ck_assert_int_eq(seal(old, "session", "v1", 2, &by_old), 0);
    ck_assert_int_eq(seal(both, "session", "v2", 2, &by_new), 0);
    ck_assert_int_eq(open_with(both, "session", by_old, &plain), 0);
    ck_assert_str_eq(plain, "v1");
    free(plain);
    /* The old set cannot open what the new key sealed. */
    ck_assert_int_eq(open_with(old, "session", by_new, &plain), -ENOKEY);
    free(by_old);
    free(by_new);
    seal_keys_free(old);
    seal_keys_free(both);
}
END_TEST

START_TEST(rejects_a_cookie_sealed_with_a_retired_key)
{
    struct seal_keys *old = keys(KEY_A), *current = keys(KEY_B);
    char *text, *plain;
    ck_assert_int_eq(seal(old, "session", "user=alice", 10, &text), 0);
    ck_assert_int_eq(open_with(current, "session", text, &plain), -ENOKEY);
    free(text);
    seal_keys_free(old);
    seal_keys_free(current);
}
END_TEST

START_TEST(bounds_the_value_and_checks_the_key_file)
{
    struct seal_keys *k = keys(KEY_A);
    char big[SEAL_MAX_PLAIN + 1] = {0}, *text;
    ck_assert_int_eq(seal(k, "session", big, sizeof(big), &text), -E2BIG);
    ck_assert_int_eq(seal(k, "session", big, SEAL_MAX_PLAIN, &text), 0);
    ck_assert_uint_lt(strlen(text), 1000); /* fits a cookie under 1 KB with its name */
    free(text);
    seal_keys_free(k);
    struct seal_keys *none = NULL;
    char err[128];
    ck_assert_int_eq(seal_keys_parse("# only a comment\n", &none, err), -EINVAL);
    ck_assert_int_eq(seal_keys_parse(KEY_A "\nabc\n", &none, err), -EINVAL);
    ck_assert_str_eq(err, "line 2: expected 64 hex digits (openssl rand -hex 32)");
    ck_assert_int_eq(seal_keys_parse("zz" KEY_A, &none, err), -EINVAL);
    ck_assert_ptr_null(none);
}
END_TEST

/* Each digit is checked before it is used: a non-hex one in a line of the right length is a
 * refusal, not a shift of -1 (found by tests/fuzz/fuzz_cookie). */
START_TEST(refuses_a_key_line_of_64_characters_with_a_non_hex_digit)
{
    static const struct {
        size_t at; /* the digit replaced */
        char c;    /* by this */
    } bad[] = {{0, 'z'}, {1, 'g'}, {62, ' '}, {63, 'x'}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[] = "# a comment\n" KEY_A "\n";
        text[12 + bad[i].at] = bad[i].c;
        struct seal_keys *none = NULL;
        char err[128];
        ck_assert_int_eq(seal_keys_parse(text, &none, err), -EINVAL);
        ck_assert_str_eq(err, "line 2: expected 64 hex digits (openssl rand -hex 32)");
        ck_assert_ptr_null(none);
    }
}
END_TEST

RUN_SUITE("seal", round_trips_and_hides_the_value, rejects_a_tampered_cookie,
          a_value_sealed_for_one_purpose_is_refused_for_another,
          rotation_the_first_key_seals_and_every_key_opens,
          rejects_a_cookie_sealed_with_a_retired_key, bounds_the_value_and_checks_the_key_file,
          refuses_a_key_line_of_64_characters_with_a_non_hex_digit)
