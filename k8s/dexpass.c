/* k8s/dexpass: Dex's Password objects, their names and bcrypt hashes; see dexpass.h. */
#include "k8s/dexpass.h"

#include <cjson/cJSON.h>
#include <crypt.h>
#include <errno.h>
#include <mbedtls/base64.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/name.h"

/* Go's fnv.New64() before any Write: FNV-1 64's offset basis, which Sum appends big-endian. */
static const unsigned char fnv64_of_nothing[8] = {0xcb, 0xf2, 0x9c, 0xe4, 0x84, 0x22, 0x23, 0x25};
/* Dex's base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567"): RFC 4648 lowercased. */
static const char base32_lower[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char bcrypt_alphabet[] =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

const char *dexpass_check_email(const char *email)
{
    size_t n = strnlen(email, DEXPASS_EMAIL_MAX + 1);
    if (n > DEXPASS_EMAIL_MAX)
        return "email is longer than 150 bytes (Dex's object name for it would be longer than "
               "Kubernetes allows)";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)email[i];
        if (c >= 0x80)
            return "email must be ASCII (Dex lowercases other letters by rules kfdash does not "
                   "reproduce)";
        if (c <= 0x20 || c == 0x7f) return "email must not contain spaces or control characters";
    }
    const char *at = strrchr(email, '@');
    if (!at || at == email || at[1] == '\0')
        return "email must have a name before an '@' and a domain after it";
    return NULL;
}

/* Lowercase, unpadded base32 of in[0..n) into out (>= ceil(8n/5) + 1 bytes). */
static void base32_encode(const unsigned char *in, size_t n, char *out)
{
    uint32_t bits = 0;
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        bits = (bits << 8) | in[i];
        have += 8;
        while (have >= 5) {
            have -= 5;
            *out++ = base32_lower[(bits >> have) & 31];
        }
    }
    if (have > 0) *out++ = base32_lower[(bits << (5 - have)) & 31];
    *out = '\0';
}

int dexpass_object_name(const char *email, char *ret_name, size_t size)
{
    if (dexpass_check_email(email)) return -EINVAL;
    unsigned char raw[DEXPASS_EMAIL_MAX + sizeof(fnv64_of_nothing)];
    size_t n = strlen(email);
    for (size_t i = 0; i < n; i++) raw[i] = (unsigned char)ascii_lower(email[i]);
    memcpy(raw + n, fnv64_of_nothing, sizeof(fnv64_of_nothing));
    n += sizeof(fnv64_of_nothing);
    if (size < (n * 8 + 4) / 5 + 1) return -ENOBUFS;
    base32_encode(raw, n, ret_name);
    return 0;
}

const char *dexpass_check_password(const char *password)
{
    size_t n = strnlen(password, DEXPASS_PASSWORD_MAX + 1);
    if (n < DEXPASS_PASSWORD_MIN) return "password must be at least 8 bytes long";
    if (n > DEXPASS_PASSWORD_MAX)
        return "password must be at most 72 bytes long (bcrypt ignores the rest)";
    return NULL;
}

int dexpass_hash(const char *password, int cost, char *ret_hash, size_t size)
{
    if (cost == 0) cost = DEXPASS_COST_MIN;
    if (dexpass_check_password(password) || cost < DEXPASS_COST_MIN || cost > DEXPASS_COST_MAX)
        return -EINVAL;
    if (size < DEXPASS_HASH_LEN + 1) return -ENOBUFS;

    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    /* NULL random bytes: libxcrypt reads them from the kernel (getentropy). */
    if (!crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, setting, sizeof(setting)))
        return errno ? -errno : -EINVAL;
    /* struct crypt_data is 32 KiB: too big for the stack of a server thread. */
    struct crypt_data *data = calloc(1, sizeof(*data));
    if (!data) return -ENOMEM;
    int r = 0;
    errno = 0;
    const char *hash = crypt_rn(password, setting, data, (int)sizeof(*data));
    if (!hash)
        r = errno ? -errno : -EINVAL;
    else if (strlen(hash) != DEXPASS_HASH_LEN || strncmp(hash, "$2b$", 4) != 0)
        r = -EPROTO; /* not what bcrypt makes: never hand it to Dex */
    else
        memcpy(ret_hash, hash, DEXPASS_HASH_LEN + 1);
    explicit_bzero(data, sizeof(*data));
    free(data);
    return r;
}

static bool is_bcrypt_hash(const char *h)
{
    if (strnlen(h, DEXPASS_HASH_LEN + 1) != DEXPASS_HASH_LEN) return false;
    if (h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' || h[6] != '$')
        return false;
    if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return false;
    int cost = (h[4] - '0') * 10 + (h[5] - '0');
    if (cost < DEXPASS_COST_MIN || cost > DEXPASS_COST_MAX) return false;
    for (size_t i = 7; i < DEXPASS_HASH_LEN; i++)
        if (!strchr(bcrypt_alphabet, h[i])) return false;
    return true;
}

static bool is_field(const char *s)
{
    size_t n = strnlen(s, DEXPASS_FIELD_MAX + 1);
    if (n == 0 || n > DEXPASS_FIELD_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

struct cJSON *dexpass_object(const char *ns, const char *email, const char *username,
                             const char *user_id, const char *bcrypt_hash)
{
    char name[DEXPASS_NAME_MAX];
    if (!k8s_name_is_dns_label(ns) || dexpass_object_name(email, name, sizeof(name)) < 0 ||
        !is_field(username) || !is_field(user_id) || !is_bcrypt_hash(bcrypt_hash))
        return NULL;

    char lower[DEXPASS_EMAIL_MAX + 1];
    size_t n = strlen(email);
    for (size_t i = 0; i <= n; i++) lower[i] = ascii_lower(email[i]);
    unsigned char b64[(DEXPASS_HASH_LEN + 2) / 3 * 4 + 1];
    size_t b64_len;
    if (mbedtls_base64_encode(b64, sizeof(b64), &b64_len, (const unsigned char *)bcrypt_hash,
                              DEXPASS_HASH_LEN) != 0)
        return NULL;

    cJSON *obj = cJSON_CreateObject();
    cJSON *meta = NULL;
    if (!obj || !cJSON_AddStringToObject(obj, "apiVersion", "dex.coreos.com/v1") ||
        !cJSON_AddStringToObject(obj, "kind", "Password") ||
        !(meta = cJSON_AddObjectToObject(obj, "metadata")) ||
        !cJSON_AddStringToObject(meta, "name", name) ||
        !cJSON_AddStringToObject(meta, "namespace", ns) ||
        !cJSON_AddStringToObject(obj, "email", lower) ||
        !cJSON_AddStringToObject(obj, "hash", (const char *)b64) ||
        !cJSON_AddStringToObject(obj, "username", username) ||
        !cJSON_AddStringToObject(obj, "userID", user_id)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}
