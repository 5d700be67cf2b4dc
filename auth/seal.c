/* auth/seal: AES-256-GCM sealed values with rotating keys; see seal.h. */
#include "auth/seal.h"
#include "lib/hex.h"

#include <errno.h>
#include <mbedtls/gcm.h>
#include <mbedtls/sha256.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define KEY_BYTES   32
#define FP_BYTES    4
#define NONCE_BYTES 12
#define TAG_BYTES   16
#define OVERHEAD    (FP_BYTES + NONCE_BYTES + TAG_BYTES)

struct seal_key {
    unsigned char key[KEY_BYTES];        /* AES-256 key */
    unsigned char fingerprint[FP_BYTES]; /* first bytes of SHA-256(key): names it in seals */
};

struct seal_keys {
    struct seal_key keys[SEAL_MAX_KEYS]; /* keys[0] seals; all open */
    size_t n;                            /* entries used in keys */
};

int seal_keys_parse(const char *text, struct seal_keys **ret, char err[128])
{
    struct seal_keys *k = calloc(1, sizeof(*k));
    if (!k) return -ENOMEM;
    int line = 0;
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        line++;
        while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
        while (len && (*p == ' ' || *p == '\t')) p++, len--;
        if (len && *p != '#') {
            bool ok = k->n < SEAL_MAX_KEYS && hex_decode(p, len, k->keys[k->n].key, KEY_BYTES) == 0;
            if (!ok) {
                snprintf(err, 128, "line %d: expected 64 hex digits (openssl rand -hex 32)%s", line,
                         k->n == SEAL_MAX_KEYS ? ", at most 8 keys" : "");
                seal_keys_free(k);
                return -EINVAL;
            }
            unsigned char digest[32];
            mbedtls_sha256_ret(k->keys[k->n].key, KEY_BYTES, digest, 0);
            memcpy(k->keys[k->n].fingerprint, digest, FP_BYTES);
            k->n++;
        }
        p += end ? (size_t)(end - p) + 1 : strlen(p);
    }
    if (k->n == 0) {
        snprintf(err, 128, "no key found (one per line: openssl rand -hex 32)");
        seal_keys_free(k);
        return -EINVAL;
    }
    *ret = k;
    return 0;
}

void seal_keys_free(struct seal_keys *k)
{
    if (!k) return;
    memset(k, 0, sizeof(*k)); /* keys do not linger in freed memory */
    free(k);
}

int seal(const struct seal_keys *k, const char *purpose, const void *plain, size_t len, char **ret)
{
    if (len > SEAL_MAX_PLAIN) return -E2BIG;
    unsigned char raw[OVERHEAD + SEAL_MAX_PLAIN];
    const struct seal_key *key = &k->keys[0];
    unsigned char *nonce = raw + FP_BYTES, *cipher = nonce + NONCE_BYTES, *tag = cipher + len;
    memcpy(raw, key->fingerprint, FP_BYTES);
    if (getrandom(nonce, NONCE_BYTES, 0) != NONCE_BYTES) return -EIO;
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int r = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key->key, 8 * KEY_BYTES);
    if (r == 0)
        r = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, NONCE_BYTES,
                                      (const unsigned char *)purpose, strlen(purpose), plain,
                                      cipher, TAG_BYTES, tag);
    mbedtls_gcm_free(&gcm);
    if (r != 0) return -EIO;
    size_t raw_len = OVERHEAD + len;
    char *text = malloc(BASE64URL_SIZE(raw_len));
    if (!text) return -ENOMEM;
    base64url_encode(raw, raw_len, text, BASE64URL_SIZE(raw_len));
    *ret = text;
    return 0;
}

int unseal(const struct seal_keys *k, const char *purpose, const char *text, char **ret,
           size_t *ret_len)
{
    unsigned char raw[OVERHEAD + SEAL_MAX_PLAIN];
    int n = base64url_decode(text, strlen(text), raw, sizeof(raw));
    if (n < OVERHEAD) return -EBADMSG;
    const struct seal_key *key = NULL;
    for (size_t i = 0; i < k->n && !key; i++)
        if (memcmp(k->keys[i].fingerprint, raw, FP_BYTES) == 0) key = &k->keys[i];
    if (!key) return -ENOKEY;
    size_t len = (size_t)n - OVERHEAD;
    const unsigned char *nonce = raw + FP_BYTES, *cipher = nonce + NONCE_BYTES;
    char *plain = malloc(len + 1);
    if (!plain) return -ENOMEM;
    mbedtls_gcm_context gcm;
    mbedtls_gcm_init(&gcm);
    int r = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key->key, 8 * KEY_BYTES);
    if (r == 0)
        r = mbedtls_gcm_auth_decrypt(&gcm, len, nonce, NONCE_BYTES, (const unsigned char *)purpose,
                                     strlen(purpose), cipher + len, TAG_BYTES, cipher,
                                     (unsigned char *)plain);
    mbedtls_gcm_free(&gcm);
    if (r != 0) {
        free(plain);
        return -EBADMSG;
    }
    plain[len] = '\0';
    *ret = plain;
    *ret_len = len;
    return 0;
}
