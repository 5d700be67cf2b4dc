/*
 * Fuzzes ID-token parsing: auth/token (token_peek_issuer, token_verify and the claims it reads)
 * over a key set that auth/jwks parsed.
 *
 * The first byte picks what the rest is:
 *   0  a token as a client or provider sends it (any bytes): the header and parts decoders;
 *   1  the claims of a token (any bytes, not only JSON), which this target signs with RS256 under
 *      the set's key "k1", so the claims checks behind the signature are reached too.
 * The key is a fixed RSA-2048 test key, made for this target and used for nothing else.
 */
#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include "auth/base64url.h"
#include "auth/jwks.h"
#include "auth/token.h"
#include "fuzz.h"

#define NOW    1800000000
#define ISSUER "http://127.0.0.1:5556/dex"
#define CLIENT "kfdash"
#define HEADER "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}"

static const char private_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCiy4JzkcnLfpnW\n"
    "ngJD9E6wVFU3i+PIqXJDd3UNw23LSRm9EK6iU2hGPJbuDIa4Mt/VSIPY9OdGEZmN\n"
    "y6ZxMQGQOxoypUjK2AuDmNeBByZZctf1+Lvv9qlD6Tln/IijcCipOpXkPNuuNzCM\n"
    "solmmEmJkdsRqGbGIOHMMInJLINB5o+t6ql7p+Vat2W59t0icy+gMGQFaNdk0P8O\n"
    "eVV+be/8zhG+P/Zjsu10srFvvQ1hXi1qf/pVXNmbN0LeNrkxcfCbUF3f//l+ZyV0\n"
    "MVwOxKwY9lYj2AMXBWs5wlP96Y+Fe85Ud6zBJLJDaTLSh0ZyvxEsILfQf8Yk9nry\n"
    "SpDgk3itAgMBAAECggEAC4qI+N+CN7fbI9YiNqYYeV4T3TMWLCYoex76FfE1FJ8z\n"
    "QMObgII67MEj5Bl66DkhxDxMA0gNfgVbu6vkj2FtiRz0361MaqZZXp7UfF8WOWuF\n"
    "DaObffN15Dd3Fz0AhNxmjY92i+6X673EO91Lv2cWzjbLGfE0jrb1uw+f3RAXosbJ\n"
    "lb0bOddNrBDIcXVj8xRTYH9QnR8qIfLGjwunkfHQyqVmciBokglEt8Q8/zzS+lcp\n"
    "Cz+zYwxkABq36s9SQHi7VT3hhWmNyp0CC5si4xfi5Hw/SBMe3kTkpBpSHqD2vnqM\n"
    "uiY0A/SRFtD6PLqpao5ssavWAqCw7JHQz7gnEF4t4QKBgQDO6IpFxa3FHz8O2D7k\n"
    "lQ3J6qXSeyZhcu3VkEi8YJaBpuRi9br9ziSo6S1eTIO15raLGn2zeY/Aoob594Uo\n"
    "6AFieCzU0tg0WkKnGDu02b80/I1Me8n1tfdc+HOPkzTKjwrFGaK3UMHlwcYgDsHA\n"
    "tO3T5ZFVMgXz79VXs3hHeO2PcQKBgQDJa43nQ1dx4M6M/oIIq6YTtCmUIhtYOyM5\n"
    "QtrIsHLJ24Izj8jS8gCvgktKcUNzIT1V8N3d+2BGInp9CFiX6UF5fFd/bfqWMld1\n"
    "9aFhG7mV1foGlKpVxr6SJPhu1Qr/V+oIHer2OFPBG3hjCGmQJKjY18gSgb+4hFb1\n"
    "MJIzMIkW/QKBgQCYKfIOj+tUrb8NJsFSD8A9P4DFw2Wdgw0f42VqjEoDfX42vOrQ\n"
    "3vqc8ic4U2MFsm+K62eIRx0OGTjUulDGnaDvDtxBg/IWxk6AXlUCkqSIzjcICX2k\n"
    "YzdQuzMZYrQPR5UvEMRWtmBynMgdKV0aYLULAaiZFBnGpRmrzsPlJCzpMQKBgAXY\n"
    "dz/U9n65lYUGBeQWhzVfLy27Z6vB253X0N2uMUamdjrk22Ez4M03LNQ2QUzgFBWg\n"
    "be/5Uav3aDKkwV13SY0rDKcIHBOr1ln4DPzyfwpYMW9rdR4ULIe1RviAelc6x/IA\n"
    "XEdVDyk1kOLe5aFnTvcsHARde6DxRkzLYhLWP8RJAoGBAK7Ypcw2dwKd3+tmuKvQ\n"
    "g3qY9ds6gco9yEuozZ4/exBxMxDC+G7mY+/Za6S1rGijXj8+ixYY+kmj+e+Aci9C\n"
    "5gxdHE8iqwsKUOz0AbOAC1+0tagh5RaLoJ/yzHiMIZmHn2dW3tVo04tGMiovRFQp\n"
    "0QsIC0MSa+Ioa0FGcajUe4wN\n"
    "-----END PRIVATE KEY-----\n";

static mbedtls_pk_context pk;
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static struct jwks *keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    FUZZ_CHECK(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0) == 0);
    FUZZ_CHECK(mbedtls_pk_parse_key(&pk, (const unsigned char *)private_pem, sizeof(private_pem),
                                    NULL, 0) == 0);
    unsigned char n[256], e[3];
    FUZZ_CHECK(mbedtls_rsa_export_raw(mbedtls_pk_rsa(pk), n, sizeof(n), NULL, 0, NULL, 0, NULL, 0,
                                      e, sizeof(e)) == 0);
    char n64[BASE64URL_SIZE(sizeof(n))], e64[BASE64URL_SIZE(sizeof(e))], json[1024];
    FUZZ_CHECK(base64url_encode(n, sizeof(n), n64, sizeof(n64)) > 0);
    FUZZ_CHECK(base64url_encode(e, sizeof(e), e64, sizeof(e64)) > 0);
    snprintf(json, sizeof(json),
             "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"k1\","
             "\"n\":\"%s\",\"e\":\"%s\"}]}",
             n64, e64);
    FUZZ_CHECK(jwks_parse(json, strlen(json), &keys) == 0 && jwks_pem(keys, "k1"));
    return 0;
}

/* HEADER.claims.signature, signed with the test key; heap, or NULL when the claims are too
 * large for a token. */
static char *signed_token(const uint8_t *claims, size_t size)
{
    if (size > TOKEN_MAX_BYTES) return NULL;
    size_t cap = BASE64URL_SIZE(sizeof(HEADER)) + BASE64URL_SIZE(size) + BASE64URL_SIZE(256) + 2;
    char *token = malloc(cap);
    FUZZ_CHECK(token);
    int h = base64url_encode(HEADER, strlen(HEADER), token, cap);
    FUZZ_CHECK(h > 0);
    token[h] = '.';
    int c = base64url_encode(claims, size, token + h + 1, cap - (size_t)h - 1);
    FUZZ_CHECK(c >= 0);
    size_t signed_len = (size_t)h + 1 + (size_t)c;
    unsigned char hash[32], sig[MBEDTLS_MPI_MAX_SIZE];
    size_t sig_len = 0;
    FUZZ_CHECK(mbedtls_sha256_ret((const unsigned char *)token, signed_len, hash, 0) == 0);
    FUZZ_CHECK(mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, sizeof(hash), sig, &sig_len,
                               mbedtls_ctr_drbg_random, &drbg) == 0);
    token[signed_len] = '.';
    FUZZ_CHECK(base64url_encode(sig, sig_len, token + signed_len + 1, cap - signed_len - 1) > 0);
    return token;
}

static void verify(const char *token, const char *nonce)
{
    struct token_expect x = {ISSUER, CLIENT, nonce, NOW, TOKEN_MAX_LEEWAY_S};
    struct token_claims c = {0};
    int r = token_verify(keys, token, &x, &c);
    FUZZ_CHECK(r == 0 || r == -ENOKEY || r == -EPROTO || r == -EBADMSG || r == -EACCES ||
               r == -ETIME || r == -E2BIG || r == -ENOMEM);
    if (r < 0) {
        FUZZ_CHECK(!c.subject && !c.groups);
        return;
    }
    FUZZ_CHECK(c.subject && c.n_groups <= TOKEN_MAX_GROUPS);
    FUZZ_CHECK(c.expires > NOW - TOKEN_MAX_LEEWAY_S);
    struct token_claims copy;
    FUZZ_CHECK(token_claims_copy(&c, &copy) == 0);
    FUZZ_CHECK(strcmp(copy.subject, c.subject) == 0 && copy.n_groups == c.n_groups);
    for (size_t i = 0; i < c.n_groups; i++) FUZZ_CHECK(strcmp(copy.groups[i], c.groups[i]) == 0);
    token_claims_reset(&copy);
    token_claims_reset(&c);
}

static void peek(const char *token)
{
    char small[16], big[512];
    int r = token_peek_issuer(token, small, sizeof(small));
    FUZZ_CHECK(r == 0 || r == -EPROTO || r == -E2BIG);
    if (r == 0) FUZZ_CHECK(strlen(small) < sizeof(small));
    r = token_peek_issuer(token, big, sizeof(big));
    FUZZ_CHECK(r == 0 || r == -EPROTO || r == -E2BIG);
    if (r == 0) FUZZ_CHECK(strlen(big) < sizeof(big));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    char *token =
        data[0] % 2 == 0 ? fuzz_strndup(data + 1, size - 1) : signed_token(data + 1, size - 1);
    if (!token) return 0;
    peek(token);
    verify(token, "n-123");
    verify(token, NULL);
    free(token);
    return 0;
}
