/* k8s/isvc: the summary of an InferenceService, the create form, the address, the paths. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "k8s/isvc.h"
#include "unit.h"

/* What KServe records for a ready MLflow model (as the stack seeds alice/iris-classifier). */
static const char *const READY_ISVC =
    "{\"apiVersion\":\"serving.kserve.io/v1beta1\",\"kind\":\"InferenceService\","
    "\"metadata\":{\"name\":\"iris\",\"namespace\":\"alice\","
    "\"creationTimestamp\":\"2025-01-02T03:04:05Z\","
    "\"annotations\":{\"kfdash/creator\":\"alice@example.com\","
    "\"kfdash/mlflow-model\":\"iris-classifier\",\"kfdash/mlflow-version\":\"1\"}},"
    "\"spec\":{\"predictor\":{\"serviceAccountName\":\"sa-s3\",\"model\":{"
    "\"modelFormat\":{\"name\":\"mlflow\"},\"protocolVersion\":\"v2\","
    "\"storageUri\":\"mlflow-artifacts:/workspaces/alice/1/models/m-1/artifacts\"}}},"
    "\"status\":{\"url\":\"http://iris.alice.example.com\","
    "\"address\":{\"url\":\"http://iris-predictor.alice.svc.cluster.local/\"},"
    "\"conditions\":[{\"type\":\"IngressReady\",\"status\":\"True\"},"
    "{\"type\":\"PredictorReady\",\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\"}],"
    "\"components\":{\"predictor\":{\"latestReadyRevision\":\"iris-predictor-00002\","
    "\"traffic\":[{\"revisionName\":\"iris-predictor-00002\",\"percent\":90,"
    "\"latestRevision\":true},{\"revisionName\":\"iris-predictor-00001\",\"tag\":\"prev\","
    "\"percent\":10,\"latestRevision\":false}]}},"
    "\"modelStatus\":{\"transitionStatus\":\"UpToDate\","
    "\"states\":{\"activeModelState\":\"Loaded\",\"targetModelState\":\"Loaded\"}}}}";

/* And for one whose model failed to load. */
static const char *const FAILED_ISVC =
    "{\"metadata\":{\"name\":\"broken\",\"namespace\":\"alice\"},"
    "\"spec\":{\"predictor\":{\"model\":{\"modelFormat\":{\"name\":\"mlflow\"},"
    "\"storageUri\":\"s3://nowhere/model\"}}},"
    "\"status\":{\"conditions\":[{\"type\":\"PredictorReady\",\"status\":\"False\","
    "\"reason\":\"ModelLoadFailed\",\"message\":\"no MLmodel file\"},"
    "{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"ModelLoadFailed\"}],"
    "\"modelStatus\":{\"transitionStatus\":\"BlockedByFailedLoad\","
    "\"states\":{\"activeModelState\":\"\",\"targetModelState\":\"FailedToLoad\"},"
    "\"lastFailureInfo\":{\"reason\":\"ModelLoadFailed\",\"message\":\"no MLmodel file\","
    "\"time\":\"2025-01-02T03:05:00Z\",\"exitCode\":1}}}}";

START_TEST(summary_of_a_ready_endpoint_has_its_urls_traffic_and_model)
{
    cJSON *isvc = cJSON_Parse(READY_ISVC);
    cJSON *s = isvc_summary(isvc);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(fx_str(s, "name"), "iris");
    ck_assert_str_eq(fx_str(s, "namespace"), "alice");
    ck_assert_str_eq(fx_str(s, "creator"), "alice@example.com");
    ck_assert(cJSON_IsTrue(fx_obj(s, "ready")));
    ck_assert_str_eq(fx_str(s, "state"), "ready");
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(s, "reasons")), 0);
    ck_assert_str_eq(fx_str(s, "url"), "http://iris.alice.example.com");
    ck_assert_str_eq(fx_str(s, "address"), "http://iris-predictor.alice.svc.cluster.local/");
    ck_assert_str_eq(fx_str(s, "latestReadyRevision"), "iris-predictor-00002");
    const cJSON *t = fx_obj(s, "traffic");
    ck_assert_int_eq(cJSON_GetArraySize(t), 2);
    ck_assert_str_eq(fx_str(cJSON_GetArrayItem(t, 0), "revisionName"), "iris-predictor-00002");
    ck_assert_int_eq(fx_num(cJSON_GetArrayItem(t, 0), "percent"), 90);
    ck_assert(cJSON_IsTrue(fx_obj(cJSON_GetArrayItem(t, 0), "latestRevision")));
    ck_assert_str_eq(fx_str(cJSON_GetArrayItem(t, 1), "tag"), "prev");
    ck_assert_int_eq(fx_num(cJSON_GetArrayItem(t, 1), "percent"), 10);
    const cJSON *m = fx_obj(s, "model");
    ck_assert_str_eq(fx_str(m, "format"), "mlflow");
    ck_assert_str_eq(fx_str(m, "protocolVersion"), "v2");
    ck_assert_str_eq(fx_str(m, "storageUri"),
                     "mlflow-artifacts:/workspaces/alice/1/models/m-1/artifacts");
    ck_assert_str_eq(fx_str(m, "runtime"), "");
    ck_assert_str_eq(fx_str(s, "serviceAccountName"), "sa-s3");
    ck_assert_str_eq(fx_str(fx_obj(s, "mlflow"), "model"), "iris-classifier");
    ck_assert_str_eq(fx_str(fx_obj(s, "mlflow"), "version"), "1");
    ck_assert_str_eq(fx_str(fx_obj(s, "modelStatus"), "transitionStatus"), "UpToDate");
    ck_assert_str_eq(fx_str(fx_obj(s, "modelStatus"), "activeModelState"), "Loaded");
    ck_assert(cJSON_IsNull(fx_obj(s, "lastFailure")));
    ck_assert_str_eq(fx_str(s, "createdAt"), "2025-01-02T03:04:05Z");
    ck_assert_str_eq(fx_str(s, "predictUrl"), "/serving/alice/iris/");
    cJSON_Delete(s);
    cJSON_Delete(isvc);
}
END_TEST

START_TEST(summary_of_a_failed_load_names_the_reasons_and_the_last_failure)
{
    cJSON *isvc = cJSON_Parse(FAILED_ISVC);
    cJSON *s = isvc_summary(isvc);
    ck_assert_ptr_nonnull(s);
    ck_assert(cJSON_IsFalse(fx_obj(s, "ready")));
    ck_assert_str_eq(fx_str(s, "state"), "failed");
    const cJSON *reasons = fx_obj(s, "reasons");
    ck_assert_int_eq(cJSON_GetArraySize(reasons), 2);
    ck_assert_str_eq(fx_str(cJSON_GetArrayItem(reasons, 0), "type"), "PredictorReady");
    ck_assert_str_eq(fx_str(cJSON_GetArrayItem(reasons, 0), "reason"), "ModelLoadFailed");
    ck_assert_str_eq(fx_str(cJSON_GetArrayItem(reasons, 0), "message"), "no MLmodel file");
    const cJSON *f = fx_obj(s, "lastFailure");
    ck_assert_str_eq(fx_str(f, "reason"), "ModelLoadFailed");
    ck_assert_str_eq(fx_str(f, "message"), "no MLmodel file");
    ck_assert_str_eq(fx_str(f, "time"), "2025-01-02T03:05:00Z");
    ck_assert_int_eq(fx_num(f, "exitCode"), 1);
    ck_assert_str_eq(fx_str(fx_obj(s, "modelStatus"), "transitionStatus"), "BlockedByFailedLoad");
    ck_assert_str_eq(fx_str(s, "url"), "");
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(s, "traffic")), 0);
    cJSON_Delete(s);
    cJSON_Delete(isvc);
}
END_TEST

START_TEST(summary_of_garbage_is_pending_not_a_crash)
{
    static const char *const inputs[] = {
        "{}",
        "[]",
        "null",
        "{\"metadata\":7,\"status\":[1]}",
        "{\"status\":{\"conditions\":{\"Ready\":true},\"components\":{\"predictor\":"
        "{\"traffic\":[1,\"x\",{\"percent\":\"100\"}]}}}}",
        "{\"metadata\":{\"name\":\"../x\",\"namespace\":\"alice\"}}"};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        cJSON *j = cJSON_Parse(inputs[i]);
        cJSON *s = isvc_summary(j);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(fx_str(s, "state"), "pending");
        ck_assert(cJSON_IsFalse(fx_obj(s, "ready")));
        ck_assert_str_eq(fx_str(s, "predictUrl"), "");
        cJSON_Delete(s);
        cJSON_Delete(j);
    }
}
END_TEST

/* Builds from a form; the object as text, or NULL with err filled when refused. */
static char *build(const char *form_text, const char *sa, const char *mlflow_uri, char *err)
{
    cJSON *form = cJSON_Parse(form_text);
    struct isvc_form f;
    cJSON *isvc = NULL;
    int e = isvc_form_check(form, &f, err);
    if (e == 0) e = isvc_build(&f, "alice", "alice@example.com", sa, mlflow_uri, &isvc, err);
    char *out = e == 0 ? cJSON_PrintUnformatted(isvc) : NULL;
    cJSON_Delete(isvc);
    cJSON_Delete(form);
    return out;
}

START_TEST(an_mlflow_version_becomes_an_mlflow_v2_endpoint_of_its_artifacts)
{
    char err[ISVC_ERROR_MAX] = "";
    char *text =
        build("{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"iris-classifier\","
              "\"version\":\"1\"}}",
              "kserve-s3", "mlflow-artifacts:/workspaces/alice/1/models/m-1/artifacts", err);
    ck_assert_msg(text != NULL, "%s", err);
    ck_assert_str_eq(text,
                     "{\"apiVersion\":\"serving.kserve.io/v1beta1\",\"kind\":\"InferenceService\","
                     "\"metadata\":{\"name\":\"iris\",\"namespace\":\"alice\","
                     "\"labels\":{\"app.kubernetes.io/managed-by\":\"kfdash\"},"
                     "\"annotations\":{\"kfdash/creator\":\"alice@example.com\","
                     "\"kfdash/mlflow-model\":\"iris-classifier\","
                     "\"kfdash/mlflow-version\":\"1\"}},"
                     "\"spec\":{\"predictor\":{\"serviceAccountName\":\"kserve-s3\","
                     "\"model\":{\"modelFormat\":{\"name\":\"mlflow\"},"
                     "\"protocolVersion\":\"v2\","
                     "\"storageUri\":\"mlflow-artifacts:/workspaces/alice/1/models/m-1/"
                     "artifacts\"}}}}");
    free(text);
    /* A version given as a number, and no service account configured: none is named. */
    text = build("{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"iris classifier/α\","
                 "\"version\":12}}",
                 "", "s3://bucket/1/artifacts", err);
    ck_assert_msg(text != NULL, "%s", err);
    ck_assert_ptr_nonnull(strstr(text, "\"kfdash/mlflow-version\":\"12\""));
    ck_assert_ptr_null(strstr(text, "serviceAccountName"));
    free(text);
}
END_TEST

START_TEST(a_form_builds_the_model_it_names)
{
    char err[ISVC_ERROR_MAX] = "";
    char *text = build("{\"name\":\"flowers\",\"modelFormat\":\"sklearn\","
                       "\"modelFormatVersion\":\"1\",\"protocolVersion\":\"v1\","
                       "\"storageUri\":\"gs://kfserving-examples/models/sklearn/1.0/model\","
                       "\"runtime\":\"kserve-sklearnserver\",\"serviceAccountName\":\"mine\","
                       "\"resources\":{\"requests\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"},"
                       "\"limits\":{\"nvidia.com/gpu\":\"1\"}}}",
                       "configured", NULL, err);
    ck_assert_msg(text != NULL, "%s", err);
    cJSON *j = cJSON_Parse(text);
    const cJSON *predictor = fx_obj(fx_obj(j, "spec"), "predictor");
    const cJSON *model = fx_obj(predictor, "model");
    ck_assert_str_eq(fx_str(predictor, "serviceAccountName"), "mine");
    ck_assert_str_eq(fx_str(fx_obj(model, "modelFormat"), "name"), "sklearn");
    ck_assert_str_eq(fx_str(fx_obj(model, "modelFormat"), "version"), "1");
    ck_assert_str_eq(fx_str(model, "protocolVersion"), "v1");
    ck_assert_str_eq(fx_str(model, "runtime"), "kserve-sklearnserver");
    ck_assert_str_eq(fx_str(fx_obj(fx_obj(model, "resources"), "requests"), "memory"), "1Gi");
    ck_assert_str_eq(fx_str(fx_obj(fx_obj(model, "resources"), "limits"), "nvidia.com/gpu"), "1");
    ck_assert_ptr_null(fx_obj(fx_obj(fx_obj(j, "metadata"), "annotations"), "kfdash/mlflow-model"));
    cJSON_Delete(j);
    free(text);
    /* An mlflow format without a protocol gets v2 (MLServer's); others keep KServe's default. */
    text = build("{\"name\":\"m\",\"modelFormat\":\"mlflow\",\"storageUri\":\"s3://b/m\"}", NULL,
                 NULL, err);
    ck_assert_ptr_nonnull(strstr(text, "\"protocolVersion\":\"v2\""));
    free(text);
    text = build("{\"name\":\"m\",\"modelFormat\":\"onnx\",\"storageUri\":\"s3://b/m\"}", NULL,
                 NULL, err);
    ck_assert_ptr_null(strstr(text, "protocolVersion"));
    free(text);
}
END_TEST

START_TEST(bad_forms_are_refused_with_the_field_named)
{
    static const char *const cases[][2] = {
        {"[]", "send a JSON object"},
        {"{\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\"}", "name: required"},
        {"{\"name\":\"Iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\"}", "name:"},
        {"{\"name\":\"1iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\"}", "name:"},
        {"{\"name\":\"iris\",\"storageUri\":\"s3://b\"}", "modelFormat: required"},
        {"{\"name\":\"iris\",\"modelFormat\":\"Sk Learn\",\"storageUri\":\"s3://b\"}",
         "modelFormat:"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\"}", "storageUri: required"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"/local/path\"}",
         "storageUri:"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://a b\"}",
         "storageUri:"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\","
         "\"protocolVersion\":\"v3\"}",
         "protocolVersion: v1 or v2"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\","
         "\"runtime\":\"Not_A_Runtime\"}",
         "runtime:"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\","
         "\"serviceAccountName\":\"../x\"}",
         "serviceAccountName:"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\","
         "\"resources\":{\"requests\":{\"cpu\":\"lots\"}}}",
         "resources.requests.cpu:"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\","
         "\"resources\":{\"wishes\":{}}}",
         "resources: only requests and limits"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\","
         "\"resources\":{\"limits\":{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\",\"e\":\"1\","
         "\"f\":\"1\",\"g\":\"1\",\"h\":\"1\",\"i\":\"1\"}}}",
         "resources.limits: at most 8 entries"},
        {"{\"name\":\"iris\",\"fromMlflow\":\"iris-classifier\"}", "fromMlflow: an object"},
        {"{\"name\":\"iris\",\"fromMlflow\":{\"version\":\"1\"}}", "fromMlflow.model:"},
        {"{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"m\",\"version\":\"latest\"}}",
         "fromMlflow.version:"},
        {"{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"m\",\"version\":0}}",
         "fromMlflow.version:"},
        {"{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"m\",\"version\":\"12345678901\"}}",
         "fromMlflow.version:"},
        {"{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"m\",\"version\":\"1\"},"
         "\"storageUri\":\"s3://elsewhere\"}",
         "storageUri: not with fromMlflow"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[ISVC_ERROR_MAX] = "";
        char *text = build(cases[i][0], NULL, "s3://b/1", err);
        ck_assert_msg(text == NULL, "accepted: %s", cases[i][0]);
        ck_assert_msg(strncmp(err, cases[i][1], strlen(cases[i][1])) == 0, "%s: %s", cases[i][0],
                      err);
    }
    /* A name at the limit is fine, one byte more is not. */
    char form[512], err[ISVC_ERROR_MAX];
    snprintf(form, sizeof(form),
             "{\"name\":\"a%062d\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\"}", 0);
    char *text = build(form, NULL, NULL, err);
    ck_assert_msg(text != NULL, "%s", err);
    free(text);
    snprintf(form, sizeof(form),
             "{\"name\":\"a%063d\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://b\"}", 0);
    ck_assert_ptr_null(build(form, NULL, NULL, err));
}
END_TEST

START_TEST(an_mlflow_answer_that_is_no_uri_builds_nothing)
{
    static const char *const bad[] = {"", "relative/path", "s3://a\nb", "file name with spaces"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[ISVC_ERROR_MAX] = "";
        ck_assert_ptr_null(build("{\"name\":\"i\",\"fromMlflow\":{\"model\":\"m\",\"version\":1}}",
                                 NULL, bad[i], err));
        ck_assert_ptr_nonnull(strstr(err, "artifact location"));
    }
    char err[ISVC_ERROR_MAX] = "";
    ck_assert_ptr_null(
        build("{\"name\":\"i\",\"fromMlflow\":{\"model\":\"m\",\"version\":1}}", NULL, NULL, err));
}
END_TEST

START_TEST(the_address_is_the_ready_cluster_url_without_its_slash)
{
    cJSON *isvc = cJSON_Parse(READY_ISVC);
    char url[ISVC_ADDRESS_MAX + 1];
    ck_assert_int_eq(isvc_address(isvc, url, sizeof(url)), 0);
    ck_assert_str_eq(url, "http://iris-predictor.alice.svc.cluster.local");
    ck_assert_int_eq(isvc_address(isvc, url, 10), -E2BIG);
    cJSON_Delete(isvc);
}
END_TEST

START_TEST(no_address_while_not_ready_and_the_reason_is_said)
{
    cJSON *isvc = cJSON_Parse(FAILED_ISVC);
    char why[512];
    ck_assert_int_eq(isvc_address(isvc, why, sizeof(why)), -EAGAIN);
    ck_assert_str_eq(why, "no MLmodel file");
    cJSON_Delete(isvc);
    isvc = cJSON_Parse("{\"metadata\":{\"name\":\"new\"}}");
    ck_assert_int_eq(isvc_address(isvc, why, sizeof(why)), -EAGAIN);
    ck_assert_str_eq(why, "KServe has not reported it ready yet");
    cJSON_Delete(isvc);
    isvc = cJSON_Parse("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
    ck_assert_int_eq(isvc_address(isvc, why, sizeof(why)), -ENOENT);
    cJSON_Delete(isvc);
}
END_TEST

/* Anyone allowed to write the status could point predictions anywhere: only plain http(s)
 * bases are used. */
START_TEST(an_address_that_is_not_a_plain_http_url_is_refused)
{
    static const char *const bad[] = {
        "file:///etc/passwd", "gopher://x",          "http://",
        "http:///path",       "http://user:pw@host", "http://host/a?b=c",
        "http://host/a#frag", "http://host/a b",     "http://host/\r\nX-Evil: 1",
        "127.0.0.1:8080"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *isvc =
            cJSON_Parse("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
                        "\"address\":{}}}");
        cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(isvc, "status"), "address"),
                                "url", bad[i]);
        char url[ISVC_ADDRESS_MAX + 1];
        ck_assert_msg(isvc_address(isvc, url, sizeof(url)) == -EINVAL, "%s", bad[i]);
        cJSON_Delete(isvc);
    }
}
END_TEST

START_TEST(only_inference_protocol_paths_are_calls)
{
    static const struct {
        const char *path;
        enum isvc_call call;
    } cases[] = {
        {"/v1/models/iris", ISVC_CALL_READ},
        {"/v1/models/iris:predict", ISVC_CALL_PREDICT},
        {"/v1/models/iris:explain", ISVC_CALL_PREDICT},
        {"/v1/models/iris:train", ISVC_CALL_NONE},
        {"/v1/models/iris/predict", ISVC_CALL_NONE},
        {"/v1/models", ISVC_CALL_NONE},
        {"/v2", ISVC_CALL_READ},
        {"/v2/health/ready", ISVC_CALL_READ},
        {"/v2/health/live", ISVC_CALL_READ},
        {"/v2/models/iris", ISVC_CALL_READ},
        {"/v2/models/iris/ready", ISVC_CALL_READ},
        {"/v2/models/iris/infer", ISVC_CALL_PREDICT},
        {"/v2/models/iris-classifier_2.x/versions/1/infer", ISVC_CALL_PREDICT},
        {"/v2/models/iris/versions/1", ISVC_CALL_READ},
        {"/v2/models/iris/versions/1/ready", ISVC_CALL_READ},
        {"/v2/models/iris/versions", ISVC_CALL_NONE},
        {"/v2/models/iris/generate", ISVC_CALL_NONE},
        {"/v2/repository/models/iris/unload", ISVC_CALL_NONE},
        {"/v2/repository/index", ISVC_CALL_NONE},
        {"/v2/models/../repository/index", ISVC_CALL_NONE},
        {"/v2/models/./infer", ISVC_CALL_NONE},
        {"/v2/models//infer", ISVC_CALL_NONE},
        {"/v2/models/ir%2Fis/infer", ISVC_CALL_NONE},
        {"/v2/models/iris/infer/", ISVC_CALL_NONE},
        {"/metrics", ISVC_CALL_NONE},
        {"/", ISVC_CALL_NONE},
        {"", ISVC_CALL_NONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(isvc_protocol_call(cases[i].path) == cases[i].call, "%s", cases[i].path);
    char long_name[300] = "/v2/models/";
    memset(long_name + 11, 'a', 256);
    ck_assert_int_eq(isvc_protocol_call(long_name), ISVC_CALL_NONE);
    long_name[11 + 255] = '\0';
    ck_assert_int_eq(isvc_protocol_call(long_name), ISVC_CALL_READ);
}
END_TEST

RUN_SUITE("isvc", summary_of_a_ready_endpoint_has_its_urls_traffic_and_model,
          summary_of_a_failed_load_names_the_reasons_and_the_last_failure,
          summary_of_garbage_is_pending_not_a_crash,
          an_mlflow_version_becomes_an_mlflow_v2_endpoint_of_its_artifacts,
          a_form_builds_the_model_it_names, bad_forms_are_refused_with_the_field_named,
          an_mlflow_answer_that_is_no_uri_builds_nothing,
          the_address_is_the_ready_cluster_url_without_its_slash,
          no_address_while_not_ready_and_the_reason_is_said,
          an_address_that_is_not_a_plain_http_url_is_refused,
          only_inference_protocol_paths_are_calls)
