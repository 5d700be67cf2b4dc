/*
 * Fuzzes k8s/isvc: the create form a client POSTs (isvc_form_check, isvc_build), the
 * InferenceService objects the API server returns (isvc_summary, isvc_address), and the
 * inference paths a client calls through /serving/ (isvc_protocol_call). The input is JSON, read
 * as a form and as an object, and also taken whole as a path and as a storage URI.
 */
#include <cjson/cJSON.h>
#include <errno.h>

#include "fuzz.h"
#include "k8s/isvc.h"
#include "k8s/name.h"

static void object(const cJSON *isvc)
{
    cJSON *s = isvc_summary(isvc);
    FUZZ_CHECK(s);
    cJSON_Delete(s);
    char out[ISVC_ADDRESS_MAX + 1], tiny[16];
    int r = isvc_address(isvc, out, sizeof(out));
    FUZZ_CHECK(r == 0 || r == -EAGAIN || r == -ENOENT || r == -EINVAL || r == -E2BIG);
    if (r == 0) {
        FUZZ_CHECK(strncmp(out, "http://", 7) == 0 || strncmp(out, "https://", 8) == 0);
        FUZZ_CHECK(!strpbrk(out, "?# ") && out[strlen(out) - 1] != '/');
    }
    if (r == 0 || r == -EAGAIN) FUZZ_CHECK(memchr(out, '\0', sizeof(out)));
    r = isvc_address(isvc, tiny, sizeof(tiny));
    if (r == 0 || r == -EAGAIN) FUZZ_CHECK(memchr(tiny, '\0', sizeof(tiny)));
}

static void form(const cJSON *j)
{
    struct isvc_form f;
    char err[ISVC_ERROR_MAX];
    int r = isvc_form_check(j, &f, err);
    FUZZ_CHECK(r == 0 || r == -EINVAL);
    if (r < 0) {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0]);
        return;
    }
    FUZZ_CHECK(k8s_name_is_dns_label(f.name));
    FUZZ_CHECK(f.from_mlflow ? f.mlflow_model && f.mlflow_version[0]
                             : f.model_format && f.storage_uri);
    for (int i = 0; i < 2; i++) {
        cJSON *isvc = NULL;
        r = isvc_build(&f, "team-a", "alice@example.com", i ? "kserve-sa" : NULL,
                       "s3://mlflow/1/abc/artifacts/model", &isvc, err);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == 0) {
            object(isvc); /* what kfdash made reads back */
            cJSON_Delete(isvc);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);
    if (j) {
        form(j);
        object(j);
        cJSON_Delete(j);
    }
    char *s = fuzz_strndup(data, size);
    enum isvc_call call = isvc_protocol_call(s);
    FUZZ_CHECK(call == ISVC_CALL_NONE || call == ISVC_CALL_READ || call == ISVC_CALL_PREDICT);
    if (call != ISVC_CALL_NONE) FUZZ_CHECK(strncmp(s, "/v", 2) == 0 && !strstr(s, "/../"));
    if (isvc_is_storage_uri(s)) FUZZ_CHECK(strchr(s, ':') && !strchr(s, ' '));
    free(s);
    return 0;
}
