/* mlflow_access: see mlflow_access.h. */
#include "server/proxy/mlflow_access.h"

#include <stdbool.h>
#include <string.h>

/* Endpoints (after an API prefix) that only read, though MLflow takes them as POST. */
static const char *const post_reads[] = {
    "experiments/search",
    "experiments/search-datasets",
    "experiments/get",
    "experiments/get-by-name",
    "runs/search",
    "runs/get",
    "metrics/get-history",
    "metrics/get-history-bulk-interval",
    "artifacts/list",
    "artifacts/presigned-download-url",
    "registered-models/search",
    "registered-models/get",
    "registered-models/get-latest-versions",
    "model-versions/search",
    "model-versions/get",
    "model-versions/get-download-uri",
    "logged-models/search",
    "datasets/search",
    "traces/search",
    "traces/batchGetInfos",
    "traces/metrics",
    "traces/calculate-filter-correlation",
    "issues/search",
    "prompt-optimization/jobs/search",
    "server-info",
};

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* After "/api/" or "/ajax-api/": "N.N/mlflow/" (or MLflow's own "2.0mlflow/" of one route);
 * the rest, or NULL when s is no MLflow API prefix. */
static const char *after_version(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] != '.' || s[2] < '0' || s[2] > '9') return NULL;
    s += 3;
    if (starts_with(s, "/mlflow/")) return s + 8;
    if (starts_with(s, "mlflow/")) return s + 7;
    return NULL;
}

/* The endpoint of an MLflow API path ("runs/search"), or NULL for any other path. */
static const char *api_endpoint(const char *path)
{
    if (starts_with(path, "/api/")) return after_version(path + 5);
    if (starts_with(path, "/ajax-api/")) return after_version(path + 10);
    return NULL;
}

/* The job API lives beside the others: /ajax-api/3.0/jobs/... */
static bool is_job_search(const char *path)
{
    return strcmp(path, "/ajax-api/3.0/jobs/search") == 0 ||
           strcmp(path, "/api/3.0/jobs/search") == 0;
}

static bool is_read_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* The UI's own files, the same for every workspace. */
static bool is_asset(const char *path)
{
    const char *endpoint = api_endpoint(path);
    return strcmp(path, "/") == 0 || starts_with(path, "/static-files/") ||
           strcmp(path, "/health") == 0 || strcmp(path, "/version") == 0 ||
           (endpoint && strcmp(endpoint, "server-info") == 0);
}

enum mlflow_access mlflow_access_classify(const char *method, const char *path,
                                          const char **ret_name, size_t *ret_name_len)
{
    bool reads = is_read_method(method);
    const char *endpoint = api_endpoint(path);
    if (endpoint && starts_with(endpoint, "workspaces") &&
        (endpoint[10] == '\0' || endpoint[10] == '/')) {
        const char *name = endpoint[10] ? endpoint + 11 : "";
        size_t n = strlen(name);
        if (n && name[n - 1] == '/') n--;
        if (!reads) return MLFLOW_ACCESS_REFUSED;
        if (n == 0) return MLFLOW_ACCESS_WORKSPACES;
        if (memchr(name, '/', n)) return MLFLOW_ACCESS_REFUSED; /* nothing lives below one */
        if (ret_name) *ret_name = name;
        if (ret_name_len) *ret_name_len = n;
        return MLFLOW_ACCESS_WORKSPACE;
    }
    if (reads) return is_asset(path) ? MLFLOW_ACCESS_ASSET : MLFLOW_ACCESS_READ;
    if (strcmp(method, "POST") != 0) return MLFLOW_ACCESS_WRITE;
    if (strcmp(path, "/graphql") == 0 || is_job_search(path)) return MLFLOW_ACCESS_READ;
    for (size_t i = 0; endpoint && i < sizeof(post_reads) / sizeof(post_reads[0]); i++)
        if (strcmp(endpoint, post_reads[i]) == 0) return MLFLOW_ACCESS_READ;
    return MLFLOW_ACCESS_WRITE;
}

const char *mlflow_access_name(enum mlflow_access a)
{
    switch (a) {
    case MLFLOW_ACCESS_ASSET:
        return "asset";
    case MLFLOW_ACCESS_READ:
        return "read";
    case MLFLOW_ACCESS_WRITE:
        return "write";
    case MLFLOW_ACCESS_WORKSPACES:
        return "workspaces";
    case MLFLOW_ACCESS_WORKSPACE:
        return "workspace";
    case MLFLOW_ACCESS_REFUSED:
        return "refused";
    }
    return "";
}
