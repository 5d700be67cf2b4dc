/* server/mlflow_access: a viewer reads MLflow and changes nothing, whatever the method says. */
#include <stdio.h>
#include <string.h>

#include "server/proxy/mlflow_access.h"
#include "unit.h"

static enum mlflow_access classify(const char *method, const char *path)
{
    return mlflow_access_classify(method, path, NULL, NULL);
}

#define ASSERT_ACCESS(method, path, want)                                                          \
    ck_assert_msg(classify(method, path) == (want), "%s %s: %s, not %s", method, path,             \
                  mlflow_access_name(classify(method, path)), mlflow_access_name(want))

START_TEST(searches_and_gets_sent_as_post_are_reads)
{
    static const char *const endpoints[] = {
        "experiments/search",   "runs/search",    "registered-models/get-latest-versions",
        "logged-models/search", "traces/search",  "datasets/search",
        "metrics/get-history",  "artifacts/list", "model-versions/get-download-uri",
    };
    static const char *const prefixes[] = {"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/",
                                           "/api/3.0/mlflow/", "/ajax-api/3.0/mlflow/"};
    char path[256];
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
        for (size_t k = 0; k < 4; k++) {
            snprintf(path, sizeof(path), "%s%s", prefixes[k], endpoints[i]);
            ASSERT_ACCESS("POST", path, MLFLOW_ACCESS_READ);
        }
    /* MLflow's own route without the slash, and the UI's GraphQL (searches only in 3.x). */
    ASSERT_ACCESS("POST", "/ajax-api/2.0mlflow/experiments/search-datasets", MLFLOW_ACCESS_READ);
    ASSERT_ACCESS("POST", "/graphql", MLFLOW_ACCESS_READ);
    ASSERT_ACCESS("POST", "/ajax-api/3.0/jobs/search", MLFLOW_ACCESS_READ);
}
END_TEST

START_TEST(every_get_and_head_reads)
{
    ASSERT_ACCESS("GET", "/api/2.0/mlflow/runs/get", MLFLOW_ACCESS_READ);
    ASSERT_ACCESS("GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
                  MLFLOW_ACCESS_READ);
    ASSERT_ACCESS("HEAD", "/api/2.0/mlflow-artifacts/artifacts/workspaces/alice/1/x",
                  MLFLOW_ACCESS_READ);
    ASSERT_ACCESS("GET", "/get-artifact", MLFLOW_ACCESS_READ);
}
END_TEST

START_TEST(what_changes_mlflow_is_a_write)
{
    static const char *const endpoints[] = {
        "experiments/create",
        "experiments/delete",
        "experiments/set-experiment-tag",
        "runs/create",
        "runs/log-metric",
        "runs/log-batch",
        "runs/set-tag",
        "runs/delete",
        "runs/update",
        "model-versions/create",
        "registered-models/create",
        "registered-models/alias",
        "model-versions/transition-stage",
        "traces/delete-traces",
        "webhooks",
    };
    char path[256];
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        snprintf(path, sizeof(path), "/api/2.0/mlflow/%s", endpoints[i]);
        ASSERT_ACCESS("POST", path, MLFLOW_ACCESS_WRITE);
        snprintf(path, sizeof(path), "/ajax-api/2.0/mlflow/%s", endpoints[i]);
        ASSERT_ACCESS("POST", path, MLFLOW_ACCESS_WRITE);
    }
    ASSERT_ACCESS("PUT", "/api/2.0/mlflow-artifacts/artifacts/workspaces/alice/1/x",
                  MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("DELETE", "/api/2.0/mlflow/registered-models/alias", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("PATCH", "/api/2.0/mlflow/model-versions/update", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("POST", "/ajax-api/2.0/mlflow/upload-artifact", MLFLOW_ACCESS_WRITE);
}
END_TEST

START_TEST(unknown_endpoints_and_methods_count_as_writes)
{
    ASSERT_ACCESS("POST", "/api/2.0/mlflow/runs/search-and-destroy", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("POST", "/api/2.0/mlflow/runs/search/", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("POST", "/api/9.9/mlflow/something-new", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("POST", "/v1/traces", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("POST", "/gateway/ep/mlflow/invocations", MLFLOW_ACCESS_WRITE);
    /* Its name starts with get-, but it creates. */
    ASSERT_ACCESS("POST", "/api/3.0/mlflow/review-queues/get-or-create-user", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("OPTIONS", "/api/2.0/mlflow/runs/search", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("PROPFIND", "/", MLFLOW_ACCESS_WRITE);
    ASSERT_ACCESS("POST", "/", MLFLOW_ACCESS_WRITE);
}
END_TEST

START_TEST(the_ui_files_need_no_workspace)
{
    ASSERT_ACCESS("GET", "/", MLFLOW_ACCESS_ASSET);
    ASSERT_ACCESS("GET", "/static-files/static/js/main.c2f5f8d4.js", MLFLOW_ACCESS_ASSET);
    ASSERT_ACCESS("HEAD", "/static-files/favicon.ico", MLFLOW_ACCESS_ASSET);
    ASSERT_ACCESS("GET", "/ajax-api/3.0/mlflow/server-info", MLFLOW_ACCESS_ASSET);
    ASSERT_ACCESS("GET", "/api/3.0/mlflow/server-info", MLFLOW_ACCESS_ASSET);
    /* Not a file of the UI. */
    ASSERT_ACCESS("GET", "/static-filesx", MLFLOW_ACCESS_READ);
}
END_TEST

START_TEST(workspaces_are_listed_by_kfdash_and_never_changed_through_it)
{
    ASSERT_ACCESS("GET", "/api/3.0/mlflow/workspaces", MLFLOW_ACCESS_WORKSPACES);
    ASSERT_ACCESS("GET", "/ajax-api/3.0/mlflow/workspaces", MLFLOW_ACCESS_WORKSPACES);
    ASSERT_ACCESS("GET", "/ajax-api/3.0/mlflow/workspaces/", MLFLOW_ACCESS_WORKSPACES);
    ASSERT_ACCESS("POST", "/api/3.0/mlflow/workspaces", MLFLOW_ACCESS_REFUSED);
    ASSERT_ACCESS("PATCH", "/api/3.0/mlflow/workspaces/alice", MLFLOW_ACCESS_REFUSED);
    ASSERT_ACCESS("DELETE", "/ajax-api/3.0/mlflow/workspaces/alice", MLFLOW_ACCESS_REFUSED);
    ASSERT_ACCESS("GET", "/api/3.0/mlflow/workspaces/alice/more", MLFLOW_ACCESS_REFUSED);
    /* Another endpoint that only starts alike. */
    ASSERT_ACCESS("GET", "/api/3.0/mlflow/workspaces-x", MLFLOW_ACCESS_READ);

    const char *name = NULL;
    size_t len = 0;
    ck_assert_int_eq(mlflow_access_classify("GET", "/api/3.0/mlflow/workspaces/bob", &name, &len),
                     MLFLOW_ACCESS_WORKSPACE);
    ck_assert_uint_eq(len, 3);
    ck_assert(strncmp(name, "bob", len) == 0);
    ck_assert_int_eq(mlflow_access_classify("GET", "/api/3.0/mlflow/workspaces/bob/", &name, &len),
                     MLFLOW_ACCESS_WORKSPACE);
    ck_assert_uint_eq(len, 3);
}
END_TEST

RUN_SUITE("mlflow_access", searches_and_gets_sent_as_post_are_reads, every_get_and_head_reads,
          what_changes_mlflow_is_a_write, unknown_endpoints_and_methods_count_as_writes,
          the_ui_files_need_no_workspace,
          workspaces_are_listed_by_kfdash_and_never_changed_through_it)
