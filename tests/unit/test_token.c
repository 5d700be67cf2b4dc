/*
 * auth/jwks + auth/token: a token passes only when signed with RS256 by a key of the set and
 * every claim matches; each attack on ID tokens is tried and refused.
 */
#include <check.h>
#include <errno.h>
#include <jwt.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwks.h"
#include "auth/token.h"

#define NOW    1800000000
#define ISSUER "http://127.0.0.1:5556/dex"
#define CLIENT "kfdash"

static char private_pem[8192]; /* signs the tokens of the tests */
static char public_pem[4096];  /* what an attacker could use as an HMAC secret */
static char jwks_json[4096];   /* the provider's key set: kid "k1" */
static struct jwks *keys;      /* parsed jwks_json */

static void base64url(const unsigned char *in, size_t len, char *out, size_t size)
{
    size_t n = 0;
    mbedtls_base64_encode((unsigned char *)out, size, &n, in, len);
    out[n] = '\0';
    for (char *c = out; *c; c++) *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    while (n && out[n - 1] == '=') out[--n] = '\0';
}

/* One RSA-2048 key for the whole run, made before the tests fork. */
static void make_key(void)
{
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context pk;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_pk_init(&pk);
    ck_assert_int_eq(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0), 0);
    ck_assert_int_eq(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
    ck_assert_int_eq(
        mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mbedtls_ctr_drbg_random, &drbg, 2048, 65537), 0);
    ck_assert_int_eq(
        mbedtls_pk_write_key_pem(&pk, (unsigned char *)private_pem, sizeof(private_pem)), 0);
    ck_assert_int_eq(
        mbedtls_pk_write_pubkey_pem(&pk, (unsigned char *)public_pem, sizeof(public_pem)), 0);
    unsigned char n[256], e[3];
    ck_assert_int_eq(mbedtls_rsa_export_raw(mbedtls_pk_rsa(pk), n, sizeof(n), NULL, 0, NULL, 0,
                                            NULL, 0, e, sizeof(e)),
                     0);
    char n64[400], e64[8];
    base64url(n, sizeof(n), n64, sizeof(n64));
    base64url(e, sizeof(e), e64, sizeof(e64));
    snprintf(jwks_json, sizeof(jwks_json),
             "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\"},"
             "{\"use\":\"sig\",\"kty\":\"RSA\",\"kid\":\"k1\",\"alg\":\"RS256\",\"n\":\"%s\","
             "\"e\":\"%s\"}]}",
             n64, e64);
    ck_assert_int_eq(jwks_parse(jwks_json, strlen(jwks_json), &keys), 0);
    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
}

static void free_key(void)
{
    jwks_free(keys);
}

/* A token with the usual Dex claims; extra JSON claims and header fields may be given. */
static char *make_token(jwt_alg_t alg, const char *kid, const char *claims_json)
{
    jwt_t *jwt;
    ck_assert_int_eq(jwt_new(&jwt), 0);
    jwt_add_grant(jwt, "iss", ISSUER);
    jwt_add_grant(jwt, "sub", "CgVhbGljZRIFbG9jYWw");
    jwt_add_grant(jwt, "aud", CLIENT);
    jwt_add_grant_int(jwt, "exp", NOW + 3600);
    jwt_add_grant_int(jwt, "iat", NOW - 10);
    jwt_add_grant(jwt, "nonce", "n-123");
    jwt_add_grant(jwt, "email", "alice@example.com");
    jwt_add_grant_bool(jwt, "email_verified", 1);
    if (claims_json) ck_assert_int_eq(jwt_add_grants_json(jwt, claims_json), 0);
    if (kid) jwt_add_header(jwt, "kid", kid);
    const char *key = alg == JWT_ALG_RS256 ? private_pem : alg == JWT_ALG_NONE ? NULL : public_pem;
    ck_assert_int_eq(jwt_set_alg(jwt, alg, (const unsigned char *)key, key ? (int)strlen(key) : 0),
                     0);
    char *token = jwt_encode_str(jwt);
    ck_assert_ptr_nonnull(token);
    jwt_free(jwt);
    return token;
}

static const struct token_expect expect = {ISSUER, CLIENT, "n-123", NOW, 60};

static int verify(const char *token, const struct token_expect *x)
{
    struct token_claims c = {0};
    int r = token_verify(keys, token, x, &c);
    token_claims_reset(&c);
    return r;
}

START_TEST(accepts_an_rs256_token_from_the_provider_and_reads_its_claims)
{
    char *t =
        make_token(JWT_ALG_RS256, "k1", "{\"groups\":[\"ml-team\",\"admins\"],\"name\":\"Alice\"}");
    struct token_claims c = {0};
    ck_assert_int_eq(token_verify(keys, t, &expect, &c), 0);
    ck_assert_str_eq(c.email, "alice@example.com");
    ck_assert(c.email_verified);
    ck_assert_str_eq(c.name, "Alice");
    ck_assert_uint_eq(c.n_groups, 2);
    ck_assert_str_eq(c.groups[1], "admins");
    ck_assert_int_eq(c.expires, NOW + 3600);
    token_claims_reset(&c);
    free(t);
}
END_TEST

START_TEST(a_copy_of_the_claims_is_deep_and_equal)
{
    char *t = make_token(JWT_ALG_RS256, "k1", "{\"groups\":[\"g1\",\"g2\"]}");
    struct token_claims c = {0}, copy = {0};
    ck_assert_int_eq(token_verify(keys, t, &expect, &c), 0);
    ck_assert_int_eq(token_claims_copy(&c, &copy), 0);
    ck_assert_ptr_ne(copy.email, c.email);
    ck_assert_str_eq(copy.email, c.email);
    ck_assert_str_eq(copy.subject, c.subject);
    ck_assert_uint_eq(copy.n_groups, 2);
    ck_assert_str_eq(copy.groups[1], "g2");
    ck_assert_int_eq(copy.expires, c.expires);
    token_claims_reset(&c); /* the copy outlives the original */
    ck_assert_str_eq(copy.groups[0], "g1");
    token_claims_reset(&copy);
    free(t);
}
END_TEST

START_TEST(rejects_hs256_token_signed_with_the_public_key)
{
    char *t = make_token(JWT_ALG_HS256, "k1", NULL);
    ck_assert_int_eq(verify(t, &expect), -EPROTO);
    free(t);
}
END_TEST

START_TEST(rejects_alg_none)
{
    char *t = make_token(JWT_ALG_NONE, "k1", NULL);
    ck_assert_int_eq(verify(t, &expect), -EPROTO);
    free(t);
}
END_TEST

START_TEST(rejects_a_bad_signature_and_a_tampered_payload)
{
    char *t = make_token(JWT_ALG_RS256, "k1", NULL);
    char *sig = strrchr(t, '.') + 5;
    *sig = *sig == 'A' ? 'B' : 'A';
    ck_assert_int_eq(verify(t, &expect), -EBADMSG);
    free(t);
    /* The signature of one token on the header and payload of another. */
    char *a = make_token(JWT_ALG_RS256, "k1", NULL);
    char *b = make_token(JWT_ALG_RS256, "k1", "{\"groups\":[\"admins\"]}");
    char forged[TOKEN_MAX_BYTES];
    snprintf(forged, sizeof(forged), "%.*s%s", (int)(strrchr(b, '.') - b), b, strrchr(a, '.'));
    ck_assert_int_eq(verify(forged, &expect), -EBADMSG);
    free(a);
    free(b);
}
END_TEST

START_TEST(unknown_kid_asks_for_a_refetch_and_missing_kid_is_refused)
{
    char *t = make_token(JWT_ALG_RS256, "rotated-key", NULL);
    ck_assert_int_eq(verify(t, &expect), -ENOKEY);
    free(t);
    t = make_token(JWT_ALG_RS256, NULL, NULL);
    ck_assert_int_eq(verify(t, &expect), -EPROTO);
    free(t);
}
END_TEST

START_TEST(rejects_wrong_issuer_audience_and_nonce)
{
    char *t = make_token(JWT_ALG_RS256, "k1", NULL);
    struct token_expect x = expect;
    x.issuer = "http://evil.example/dex";
    ck_assert_int_eq(verify(t, &x), -EACCES);
    x = expect;
    x.audience = "another-client";
    ck_assert_int_eq(verify(t, &x), -EACCES);
    x = expect;
    x.nonce = "n-other";
    ck_assert_int_eq(verify(t, &x), -EACCES);
    x.nonce = NULL; /* bearer tokens are not bound to a login attempt */
    ck_assert_int_eq(verify(t, &x), 0);
    free(t);
}
END_TEST

START_TEST(several_audiences_need_azp_naming_us)
{
    char *t = make_token(JWT_ALG_RS256, "k1", "{\"aud\":[\"other\",\"kfdash\"]}");
    ck_assert_int_eq(verify(t, &expect), -EACCES);
    free(t);
    t = make_token(JWT_ALG_RS256, "k1", "{\"aud\":[\"other\",\"kfdash\"],\"azp\":\"kfdash\"}");
    ck_assert_int_eq(verify(t, &expect), 0);
    free(t);
    t = make_token(JWT_ALG_RS256, "k1", "{\"aud\":[\"other\"],\"azp\":\"kfdash\"}");
    ck_assert_int_eq(verify(t, &expect), -EACCES);
    free(t);
}
END_TEST

START_TEST(rejects_expired_and_not_yet_valid_tokens_beyond_the_leeway)
{
    char *t = make_token(JWT_ALG_RS256, "k1", "{\"exp\":1799999970}");
    ck_assert_int_eq(verify(t, &expect), 0); /* expired 30 s ago: within the leeway */
    struct token_expect strict = expect;
    strict.leeway_s = 0;
    ck_assert_int_eq(verify(t, &strict), -ETIME);
    free(t);
    t = make_token(JWT_ALG_RS256, "k1", "{\"exp\":1799999900}");
    ck_assert_int_eq(verify(t, &expect), -ETIME); /* 100 s ago: past the 60 s leeway */
    free(t);
    t = make_token(JWT_ALG_RS256, "k1", "{\"nbf\":1800000100}");
    ck_assert_int_eq(verify(t, &expect), -ETIME);
    free(t);
    t = make_token(JWT_ALG_RS256, "k1", "{\"iat\":1800000100}");
    ck_assert_int_eq(verify(t, &expect), -ETIME);
    free(t);
    struct token_expect lax = expect;
    lax.leeway_s = 3600; /* capped at 60 s */
    t = make_token(JWT_ALG_RS256, "k1", "{\"exp\":1799999000}");
    ck_assert_int_eq(verify(t, &lax), -ETIME);
    free(t);
}
END_TEST

/* Times no time_t holds keep their meaning instead of being cast (found with
 * tests/fuzz/fuzz_token): exp 1e300 never expires, nbf 1e300 is never valid. */
START_TEST(times_beyond_any_real_time_keep_their_meaning)
{
    char *t = make_token(JWT_ALG_RS256, "k1", "{\"exp\":1e300}");
    struct token_claims c = {0};
    ck_assert_int_eq(token_verify(keys, t, &expect, &c), 0);
    ck_assert(c.expires > NOW + 100L * 365 * 86400);
    token_claims_reset(&c);
    free(t);
    t = make_token(JWT_ALG_RS256, "k1", "{\"nbf\":1e300}");
    ck_assert_int_eq(verify(t, &expect), -ETIME);
    free(t);
    t = make_token(JWT_ALG_RS256, "k1", "{\"exp\":-1e300}");
    ck_assert_int_eq(verify(t, &expect), -ETIME);
    free(t);
    t = make_token(JWT_ALG_RS256, "k1", "{\"iat\":1e19}");
    ck_assert_int_eq(verify(t, &expect), -ETIME);
    free(t);
}
END_TEST

START_TEST(rejects_malformed_and_oversized_tokens)
{
    const char *bad[] = {"",
                         "abc",
                         "a.b",
                         "a.b.c.d",
                         "a.b.",
                         "!!!.e30.c2ln",
                         "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" /* RS256 but no kid */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(verify(bad[i], &expect) == -EPROTO, "%s", bad[i]);
    char *big = malloc(TOKEN_MAX_BYTES + 2);
    memset(big, 'a', TOKEN_MAX_BYTES + 1);
    big[TOKEN_MAX_BYTES + 1] = '\0';
    ck_assert_int_eq(verify(big, &expect), -E2BIG);
    free(big);
}
END_TEST

START_TEST(key_set_keeps_only_usable_rsa_signing_keys)
{
    ck_assert_uint_eq(jwks_count(keys), 1);
    ck_assert_ptr_nonnull(jwks_pem(keys, "k1"));
    ck_assert_ptr_null(jwks_pem(keys, "ec"));
    ck_assert_ptr_nonnull(strstr(jwks_pem(keys, "k1"), "BEGIN PUBLIC KEY"));
    struct jwks *set;
    const char *unusable[] = {
        "{\"keys\":[]}",
        "[]",
        "not json",
        "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"a\"}]}",
        /* a 512-bit modulus: too weak to trust */
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"small\",\"n\":\""
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "Jw\",\"e\":\"AQAB\"}]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"AQAB\","
        "\"e\":\"AQAB\"}]}",
    };
    for (size_t i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++)
        ck_assert_msg(jwks_parse(unusable[i], strlen(unusable[i]), &set) == -EINVAL, "%s",
                      unusable[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("all");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, make_key, free_key);
    const TTest *tests[] = {
        accepts_an_rs256_token_from_the_provider_and_reads_its_claims,
        a_copy_of_the_claims_is_deep_and_equal,
        rejects_hs256_token_signed_with_the_public_key,
        rejects_alg_none,
        rejects_a_bad_signature_and_a_tampered_payload,
        unknown_kid_asks_for_a_refetch_and_missing_kid_is_refused,
        rejects_wrong_issuer_audience_and_nonce,
        several_audiences_need_azp_naming_us,
        rejects_expired_and_not_yet_valid_tokens_beyond_the_leeway,
        times_beyond_any_real_time_keep_their_meaning,
        rejects_malformed_and_oversized_tokens,
        key_set_keeps_only_usable_rsa_signing_keys,
    };
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) tcase_add_test(tc, tests[i]);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
