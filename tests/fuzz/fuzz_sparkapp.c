/*
 * Fuzzes k8s/sparkapp: the submit form a client POSTs (sparkapp_build) and the
 * SparkApplication objects the API server returns (sparkapp_summary, sparkapp_driver_pod). The
 * input is JSON, read as both.
 */
#include <cjson/cJSON.h>
#include <errno.h>

#include "fuzz.h"
#include "k8s/name.h"
#include "k8s/sparkapp.h"

static void summary(const cJSON *app)
{
    cJSON *s = sparkapp_summary(app);
    FUZZ_CHECK(s);
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(s, "uiUrl");
    FUZZ_CHECK(cJSON_IsString(url));
    FUZZ_CHECK(!*url->valuestring || strncmp(url->valuestring, "/spark/", 7) == 0);
    cJSON_Delete(s);
    char pod[SPARKAPP_POD_NAME_MAX + 1], tiny[8];
    int r = sparkapp_driver_pod(app, pod, sizeof(pod));
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG);
    if (r == 0) FUZZ_CHECK(strlen(pod) <= SPARKAPP_POD_NAME_MAX && !strchr(pod, '/'));
    r = sparkapp_driver_pod(app, tiny, sizeof(tiny));
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG);
    if (r == 0) FUZZ_CHECK(strlen(tiny) < sizeof(tiny));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *form = cJSON_ParseWithLength((const char *)data, size);
    if (!form) return 0;
    cJSON *app = NULL;
    char err[SPARKAPP_ERROR_MAX];
    int r = sparkapp_build(form, "team-a", "alice@example.com", &app, err);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r == 0) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(app, "metadata"), "name");
        FUZZ_CHECK(cJSON_IsString(name) && k8s_name_is_dns_label(name->valuestring));
        summary(app); /* what kfdash made reads back */
        cJSON_Delete(app);
    } else {
        FUZZ_CHECK(!app && memchr(err, '\0', sizeof(err)) && err[0]);
    }
    summary(form);
    cJSON_Delete(form);
    return 0;
}
