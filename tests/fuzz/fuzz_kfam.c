/*
 * Fuzzes k8s/kfam and k8s/name: the names KFAM derives from a user's e-mail (a RoleBinding's,
 * a proposed profile's), the Profile JSON, and the DNS-label check every name a client sends
 * goes through. The input is an e-mail, a newline, and a role.
 */
#include <cjson/cJSON.h>
#include <errno.h>

#include "fuzz.h"
#include "k8s/kfam.h"
#include "k8s/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[2];
    fuzz_fields(data, size, '\n', f, 2);
    const char *email = f[0], *role = f[1];

    bool label = k8s_name_is_dns_label(email);
    if (label) FUZZ_CHECK(strlen(email) >= 1 && strlen(email) <= 63);

    char name[300], tiny[12];
    int r = kfam_binding_name(email, role, name, sizeof(name));
    FUZZ_CHECK(r == 0 || r == -E2BIG);
    if (r == 0) FUZZ_CHECK(strlen(name) <= 253 && strncmp(name, "user-", 5) == 0);
    r = kfam_binding_name(email, role, tiny, sizeof(tiny));
    FUZZ_CHECK(r == 0 || r == -E2BIG);
    if (r == 0) FUZZ_CHECK(strlen(tiny) < sizeof(tiny));

    char profile[64];
    r = kfam_profile_name(email, profile, sizeof(profile));
    FUZZ_CHECK(r == 0 || r == -EINVAL);
    if (r == 0) {
        /* A proposal must be a name the profile form then accepts. */
        FUZZ_CHECK(k8s_name_is_dns_label(profile));
        char *json = kfam_profile_json(profile, email);
        FUZZ_CHECK(json);
        cJSON *p = cJSON_Parse(json);
        FUZZ_CHECK(p);
        const cJSON *owner = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "spec"), "owner"),
            "name");
        FUZZ_CHECK(cJSON_IsString(owner) && strcmp(owner->valuestring, email) == 0);
        cJSON_Delete(p);
        free(json);
    }
    r = kfam_profile_name(email, tiny, sizeof(tiny));
    FUZZ_CHECK(r == 0 || r == -EINVAL);
    if (r == 0) FUZZ_CHECK(strlen(tiny) < sizeof(tiny));
    fuzz_fields_free(f, 2);
    return 0;
}
