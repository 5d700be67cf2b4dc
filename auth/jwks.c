/* auth/jwks: JWK Set → PEM public keys by kid; see jwks.h. */
#include "auth/jwks.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "auth/base64url.h"

#define KID_MAX       128
#define RSA_MAX_BYTES 1024 /* 8192-bit modulus */
#define PEM_MAX       4096

struct jwks_key {
    char kid[KID_MAX + 1]; /* the key id tokens name in their header */
    char *pem;             /* SubjectPublicKeyInfo PEM of the RSA key */
};

struct jwks {
    struct jwks_key keys[JWKS_MAX_KEYS]; /* usable keys, in document order */
    size_t n;                            /* entries used in keys */
};

/* n and e of an RSA JWK → PEM (heap string), or NULL when they are not a sane public key. */
static char *rsa_pem(const char *n64, const char *e64)
{
    unsigned char n[RSA_MAX_BYTES], e[16];
    int nlen = base64url_decode(n64, strlen(n64), n, sizeof(n));
    int elen = base64url_decode(e64, strlen(e64), e, sizeof(e));
    if (nlen < 256 || elen < 1) return NULL; /* below 2048 bits is not a key we trust */

    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    char *pem = NULL;
    unsigned char out[PEM_MAX];
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) == 0 &&
        mbedtls_rsa_import_raw(mbedtls_pk_rsa(pk), n, (size_t)nlen, NULL, 0, NULL, 0, NULL, 0, e,
                               (size_t)elen) == 0 &&
        mbedtls_rsa_complete(mbedtls_pk_rsa(pk)) == 0 &&
        mbedtls_rsa_check_pubkey(mbedtls_pk_rsa(pk)) == 0 &&
        mbedtls_pk_write_pubkey_pem(&pk, out, sizeof(out)) == 0)
        pem = strdup((const char *)out);
    mbedtls_pk_free(&pk);
    return pem;
}

static const char *string_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int jwks_parse(const char *json, size_t len, struct jwks **ret)
{
    if (len > JWKS_MAX_BYTES) return -E2BIG;
    cJSON *doc = cJSON_ParseWithLength(json, len);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
    if (!cJSON_IsArray(keys)) {
        cJSON_Delete(doc);
        return -EINVAL;
    }
    struct jwks *set = calloc(1, sizeof(*set));
    if (!set) {
        cJSON_Delete(doc);
        return -ENOMEM;
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        const char *kty = string_of(k, "kty"), *kid = string_of(k, "kid");
        const char *use = string_of(k, "use"), *alg = string_of(k, "alg");
        const char *n = string_of(k, "n"), *e = string_of(k, "e");
        if (set->n == JWKS_MAX_KEYS || !kty || strcmp(kty, "RSA") != 0 || !kid ||
            strlen(kid) > KID_MAX || !n || !e || (use && strcmp(use, "sig") != 0) ||
            (alg && strcmp(alg, "RS256") != 0) || jwks_pem(set, kid))
            continue;
        char *pem = rsa_pem(n, e);
        if (!pem) continue;
        strcpy(set->keys[set->n].kid, kid);
        set->keys[set->n].pem = pem;
        set->n++;
    }
    cJSON_Delete(doc);
    if (set->n == 0) {
        jwks_free(set);
        return -EINVAL;
    }
    *ret = set;
    return 0;
}

void jwks_free(struct jwks *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->n; i++) free(set->keys[i].pem);
    free(set);
}

const char *jwks_pem(const struct jwks *set, const char *kid)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->keys[i].kid, kid) == 0) return set->keys[i].pem;
    return NULL;
}

size_t jwks_count(const struct jwks *set)
{
    return set->n;
}
