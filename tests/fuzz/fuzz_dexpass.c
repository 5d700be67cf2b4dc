/*
 * Fuzzes k8s/dexpass: the checks an administrator's new user passes (dexpass_check_email,
 * dexpass_check_password), the object name Dex derives from an e-mail, and the Password object
 * built from them. The input is lines: namespace, e-mail, username, user id, bcrypt hash,
 * password (bcrypt itself is not run: it is slow by design and not a parser).
 */
#include <cjson/cJSON.h>
#include <errno.h>

#include "fuzz.h"
#include "k8s/dexpass.h"
#include "k8s/name.h"

enum { NS, EMAIL, USERNAME, USER_ID, HASH, PASSWORD, N_FIELDS };

/* Dex's object names are DNS subdomains: lowercase base32 fits a single label's alphabet. */
static bool is_object_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' && s[i] <= '7'))) return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[N_FIELDS];
    fuzz_fields(data, size, '\n', f, N_FIELDS);

    const char *why = dexpass_check_email(f[EMAIL]);
    char name[DEXPASS_NAME_MAX], tiny[8];
    int r = dexpass_object_name(f[EMAIL], name, sizeof(name));
    FUZZ_CHECK(why ? r == -EINVAL : r == 0);
    if (r == 0) FUZZ_CHECK(is_object_name(name));
    r = dexpass_object_name(f[EMAIL], tiny, sizeof(tiny));
    FUZZ_CHECK(why ? r == -EINVAL : r == -ENOBUFS);

    why = dexpass_check_password(f[PASSWORD]);
    FUZZ_CHECK(!why || *why);

    cJSON *o = dexpass_object(f[NS], f[EMAIL], f[USERNAME], f[USER_ID], f[HASH]);
    if (o) {
        FUZZ_CHECK(k8s_name_is_dns_label(f[NS]) && !dexpass_check_email(f[EMAIL]));
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(meta, "name");
        FUZZ_CHECK(cJSON_IsString(n) && strcmp(n->valuestring, name) == 0);
        char *text = cJSON_PrintUnformatted(o);
        FUZZ_CHECK(text);
        free(text);
        cJSON_Delete(o);
    }
    fuzz_fields_free(f, N_FIELDS);
    return 0;
}
