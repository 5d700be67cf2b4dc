/*
 * Fuzzes server/mlflow_access: the endpoint classifier every request to MLflow passes through,
 * on "METHOD path" as a client sends it (the path also normalised first, as the proxy does).
 * A workspace name points into the path and is one segment.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "server/http/path.h"
#include "server/proxy/mlflow_access.h"

static void classify(const char *method, const char *path)
{
    const char *name = NULL;
    size_t len = 0;
    enum mlflow_access a = mlflow_access_classify(method, path, &name, &len);
    FUZZ_CHECK(a >= MLFLOW_ACCESS_ASSET && a <= MLFLOW_ACCESS_REFUSED);
    FUZZ_CHECK(*mlflow_access_name(a));
    bool reads = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (a == MLFLOW_ACCESS_WORKSPACE) {
        FUZZ_CHECK(reads);
        FUZZ_CHECK(name >= path && name + len <= path + strlen(path) && len > 0);
        FUZZ_CHECK(!memchr(name, '/', len));
    }
    if (a == MLFLOW_ACCESS_ASSET || a == MLFLOW_ACCESS_WORKSPACES) FUZZ_CHECK(reads);
    /* Only a read method or a POST to a known search may read; anything else writes. */
    if (!reads && strcmp(method, "POST") != 0)
        FUZZ_CHECK(a == MLFLOW_ACCESS_WRITE || a == MLFLOW_ACCESS_REFUSED);
    FUZZ_CHECK(mlflow_access_classify(method, path, NULL, NULL) == a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[2];
    fuzz_fields(data, size, ' ', f, 2);
    classify(f[0], f[1]);
    char *path = NULL, *raw = NULL;
    if (path_normalize(f[1], strlen(f[1]), &path, &raw) == 0) {
        classify(f[0], path);
        free(path);
        free(raw);
    }
    fuzz_fields_free(f, 2);
    return 0;
}
