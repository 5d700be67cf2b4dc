/* k8s/sparkapp: the summary of a SparkApplication, the submit form, the templates. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "k8s/sparkapp.h"
#include "unit.h"

/* What the Spark operator records for a running application (as the stack seeds it). */
static const char *const RUNNING_APP =
    "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\",\"kind\":\"SparkApplication\","
    "\"metadata\":{\"name\":\"app1\",\"namespace\":\"alice\","
    "\"creationTimestamp\":\"2025-01-02T03:04:05Z\"},"
    "\"spec\":{\"type\":\"Python\",\"mode\":\"cluster\",\"image\":\"spark:4.1.0-python3\","
    "\"mainApplicationFile\":\"local:///opt/app/job.py\",\"arguments\":[\"a\",\"b\"],"
    "\"sparkVersion\":\"4.1.0\","
    "\"driver\":{\"cores\":1,\"memory\":\"1g\",\"serviceAccount\":\"default-editor\"},"
    "\"executor\":{\"instances\":3,\"cores\":2,\"memory\":\"2g\"}},"
    "\"status\":{\"applicationState\":{\"state\":\"RUNNING\"},"
    "\"sparkApplicationId\":\"spark-0001\",\"submissionAttempts\":1,\"executionAttempts\":2,"
    "\"lastSubmissionAttemptTime\":\"2025-01-02T03:05:00Z\","
    "\"driverInfo\":{\"podName\":\"app1-driver\",\"webUIServiceName\":\"app1-ui-svc\","
    "\"webUIPort\":4041},"
    "\"executorState\":{\"app1-exec-1\":\"RUNNING\",\"app1-exec-2\":\"RUNNING\","
    "\"app1-exec-3\":\"FAILED\"}}}";

START_TEST(summary_of_a_running_app_has_its_ui_and_executors)
{
    cJSON *app = cJSON_Parse(RUNNING_APP);
    cJSON *s = sparkapp_summary(app);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(fx_str(s, "name"), "app1");
    ck_assert_str_eq(fx_str(s, "namespace"), "alice");
    ck_assert_str_eq(fx_str(s, "type"), "Python");
    ck_assert_str_eq(fx_str(s, "mode"), "cluster");
    ck_assert_str_eq(fx_str(s, "image"), "spark:4.1.0-python3");
    ck_assert_str_eq(fx_str(s, "mainApplicationFile"), "local:///opt/app/job.py");
    ck_assert_str_eq(fx_str(s, "mainClass"), "");
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(s, "arguments")), 2);
    ck_assert_str_eq(fx_str(s, "state"), "RUNNING");
    ck_assert_str_eq(fx_str(s, "errorMessage"), "");
    ck_assert_str_eq(fx_str(s, "sparkApplicationId"), "spark-0001");
    ck_assert_str_eq(fx_str(s, "uiUrl"), "/spark/alice/app1/");
    const cJSON *d = fx_obj(s, "driver");
    ck_assert_str_eq(fx_str(d, "pod"), "app1-driver");
    ck_assert_str_eq(fx_str(d, "state"), "RUNNING");
    ck_assert_str_eq(fx_str(d, "serviceAccount"), "default-editor");
    ck_assert_str_eq(fx_str(d, "memory"), "1g");
    ck_assert_str_eq(fx_str(d, "uiService"), "app1-ui-svc");
    ck_assert_int_eq(fx_num(d, "uiPort"), 4041);
    ck_assert_int_eq(fx_num(fx_obj(s, "executor"), "instances"), 3);
    ck_assert_int_eq(fx_num(fx_obj(s, "executor"), "cores"), 2);
    ck_assert_str_eq(fx_str(fx_obj(s, "executorStates"), "app1-exec-3"), "FAILED");
    ck_assert_int_eq(fx_num(fx_obj(s, "executorCounts"), "RUNNING"), 2);
    ck_assert_int_eq(fx_num(fx_obj(s, "executorCounts"), "FAILED"), 1);
    ck_assert_int_eq(fx_num(s, "submissionAttempts"), 1);
    ck_assert_int_eq(fx_num(s, "executionAttempts"), 2);
    ck_assert_str_eq(fx_str(s, "submittedAt"), "2025-01-02T03:05:00Z");
    ck_assert_str_eq(fx_str(s, "terminatedAt"), "");
    ck_assert_str_eq(fx_str(s, "createdAt"), "2025-01-02T03:04:05Z");
    cJSON_Delete(s);
    cJSON_Delete(app);
}
END_TEST

START_TEST(summary_offers_no_ui_once_the_app_ended_or_before_it_started)
{
    cJSON *app = cJSON_Parse(RUNNING_APP);
    cJSON *state = cJSON_GetObjectItem(cJSON_GetObjectItem(app, "status"), "applicationState");
    cJSON_ReplaceItemInObject(state, "state", cJSON_CreateString("COMPLETED"));
    cJSON *s = sparkapp_summary(app);
    ck_assert_str_eq(fx_str(s, "uiUrl"), "");
    ck_assert_str_eq(fx_str(fx_obj(s, "driver"), "state"), "COMPLETED");
    cJSON_Delete(s);
    cJSON_DeleteItemFromObject(app, "status");
    s = sparkapp_summary(app);
    ck_assert_str_eq(fx_str(s, "state"), "");
    ck_assert_str_eq(fx_str(s, "uiUrl"), "");
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(s, "executorStates")), 0);
    cJSON_Delete(s);
    cJSON_Delete(app);
}
END_TEST

START_TEST(summary_names_the_default_ui_service_unless_the_ui_is_off)
{
    cJSON *app = cJSON_Parse("{\"metadata\":{\"name\":\"x\",\"namespace\":\"ns\"},"
                             "\"spec\":{\"sparkConf\":{}},"
                             "\"status\":{\"applicationState\":{\"state\":\"SUBMITTED\"}}}");
    cJSON *s = sparkapp_summary(app);
    ck_assert_str_eq(fx_str(fx_obj(s, "driver"), "uiService"), "x-ui-svc");
    ck_assert_int_eq(fx_num(fx_obj(s, "driver"), "uiPort"), 4040);
    ck_assert_str_eq(fx_str(fx_obj(s, "driver"), "state"), "PENDING");
    ck_assert_str_eq(fx_str(s, "uiUrl"), "/spark/ns/x/");
    cJSON_Delete(s);
    cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(app, "spec"), "sparkConf"),
                            "spark.ui.enabled", "false");
    s = sparkapp_summary(app);
    ck_assert_str_eq(fx_str(fx_obj(s, "driver"), "uiService"), "");
    ck_assert_str_eq(fx_str(s, "uiUrl"), "");
    cJSON_Delete(s);
    cJSON_Delete(app);
}
END_TEST

START_TEST(summary_of_garbage_is_empty_not_a_crash)
{
    static const char *const inputs[] = {"null", "[]", "{\"spec\":7,\"status\":\"x\"}",
                                         "{\"status\":{\"executorState\":{\"a\":1,\"b\":[]}}}"};
    for (size_t i = 0; i < 4; i++) {
        cJSON *app = cJSON_Parse(inputs[i]);
        cJSON *s = sparkapp_summary(app);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(fx_str(s, "name"), "");
        ck_assert_str_eq(fx_str(s, "uiUrl"), "");
        ck_assert_int_eq(cJSON_GetArraySize(fx_obj(s, "executorStates")), 0);
        cJSON_Delete(s);
        cJSON_Delete(app);
    }
}
END_TEST

/* ---------------------------------------------------------------- the form */

static const char *const GOOD_FORM =
    "{\"name\":\"pi\",\"type\":\"Scala\",\"image\":\"spark:4.1.0\","
    "\"mainApplicationFile\":\"local:///opt/spark/examples/jars/spark-examples.jar\","
    "\"mainClass\":\"org.apache.spark.examples.SparkPi\",\"arguments\":[\"100\"],"
    "\"sparkVersion\":\"4.1.0\",\"sparkConf\":{\"spark.eventLog.enabled\":\"false\"},"
    "\"driver\":{\"cores\":2,\"memory\":\"1Gi\",\"serviceAccount\":\"spark\"},"
    "\"executor\":{\"instances\":3,\"cores\":4,\"memory\":\"2G\"},\"timeToLiveSeconds\":600}";

/* Builds GOOD_FORM with key replaced by value (JSON text; NULL removes it). */
static int build_with(const char *key, const char *value, cJSON **ret, char err[SPARKAPP_ERROR_MAX])
{
    cJSON *form = cJSON_Parse(GOOD_FORM);
    cJSON *target = form;
    char path[64];
    snprintf(path, sizeof(path), "%s", key);
    char *dot = strchr(path, '.');
    if (dot) {
        *dot = '\0';
        target = cJSON_GetObjectItem(form, path);
        key = dot + 1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(target, key);
    if (value) cJSON_AddItemToObject(target, key, cJSON_Parse(value));
    *ret = NULL;
    int e = sparkapp_build(form, "alice", "alice@example.com", ret, err);
    cJSON_Delete(form);
    return e;
}

START_TEST(a_good_form_builds_a_cluster_mode_app_that_never_restarts)
{
    cJSON *app = NULL;
    char err[SPARKAPP_ERROR_MAX];
    ck_assert_int_eq(build_with("name", "\"pi\"", &app, err), 0);
    ck_assert_str_eq(fx_str(app, "apiVersion"), "sparkoperator.k8s.io/v1beta2");
    ck_assert_str_eq(fx_str(app, "kind"), "SparkApplication");
    const cJSON *meta = fx_obj(app, "metadata");
    ck_assert_str_eq(fx_str(meta, "name"), "pi");
    ck_assert_str_eq(fx_str(meta, "namespace"), "alice");
    ck_assert_str_eq(fx_str(fx_obj(meta, "annotations"), "kfdash/creator"), "alice@example.com");
    ck_assert_str_eq(fx_str(fx_obj(meta, "labels"), "app.kubernetes.io/managed-by"), "kfdash");
    const cJSON *spec = fx_obj(app, "spec");
    ck_assert_str_eq(fx_str(spec, "type"), "Scala");
    ck_assert_str_eq(fx_str(spec, "mode"), "cluster");
    ck_assert_str_eq(fx_str(spec, "image"), "spark:4.1.0");
    ck_assert_str_eq(fx_str(spec, "mainClass"), "org.apache.spark.examples.SparkPi");
    ck_assert_str_eq(cJSON_GetArrayItem(fx_obj(spec, "arguments"), 0)->valuestring, "100");
    ck_assert_str_eq(fx_str(fx_obj(spec, "sparkConf"), "spark.eventLog.enabled"), "false");
    ck_assert_str_eq(fx_str(fx_obj(spec, "restartPolicy"), "type"), "Never");
    ck_assert_int_eq(fx_num(spec, "timeToLiveSeconds"), 600);
    ck_assert_int_eq(fx_num(fx_obj(spec, "driver"), "cores"), 2);
    /* Kubernetes' 1Gi and Spark's 2G both reach Spark in its own notation. */
    ck_assert_str_eq(fx_str(fx_obj(spec, "driver"), "memory"), "1g");
    ck_assert_str_eq(fx_str(fx_obj(spec, "driver"), "serviceAccount"), "spark");
    ck_assert_int_eq(fx_num(fx_obj(spec, "executor"), "instances"), 3);
    ck_assert_int_eq(fx_num(fx_obj(spec, "executor"), "cores"), 4);
    ck_assert_str_eq(fx_str(fx_obj(spec, "executor"), "memory"), "2g");
    /* Spark pods run without Istio's sidecar. */
    ck_assert_str_eq(fx_str(fx_obj(fx_obj(spec, "driver"), "labels"), "sidecar.istio.io/inject"),
                     "false");
    ck_assert_str_eq(fx_str(fx_obj(fx_obj(spec, "executor"), "labels"), "sidecar.istio.io/inject"),
                     "false");
    cJSON_Delete(app);
}
END_TEST

START_TEST(a_minimal_python_form_gets_the_defaults)
{
    cJSON *form = cJSON_Parse("{\"name\":\"p\",\"type\":\"Python\",\"image\":\"spark:4.1.0\","
                              "\"mainApplicationFile\":\"local:///x.py\"}");
    cJSON *app = NULL;
    char err[SPARKAPP_ERROR_MAX];
    ck_assert_int_eq(sparkapp_build(form, "bob", "bob@example.com", &app, err), 0);
    const cJSON *spec = fx_obj(app, "spec");
    ck_assert_ptr_null(fx_obj(spec, "mainClass"));
    ck_assert_ptr_null(fx_obj(spec, "arguments"));
    ck_assert_ptr_null(fx_obj(spec, "timeToLiveSeconds"));
    ck_assert_str_eq(fx_str(spec, "sparkVersion"), SPARKAPP_DEFAULT_SPARK_VERSION);
    ck_assert_int_eq(fx_num(fx_obj(spec, "driver"), "cores"), 1);
    ck_assert_str_eq(fx_str(fx_obj(spec, "driver"), "memory"), "512m");
    ck_assert_str_eq(fx_str(fx_obj(spec, "driver"), "serviceAccount"), "spark");
    ck_assert_int_eq(fx_num(fx_obj(spec, "executor"), "instances"), 1);
    ck_assert_str_eq(fx_str(fx_obj(spec, "executor"), "memory"), "512m");
    cJSON_Delete(app);
    cJSON_Delete(form);
}
END_TEST

/* Each bad field is refused with a reason naming it, and nothing is built. */
START_TEST(bad_forms_are_refused_with_the_field_named)
{
    char many_args[SPARKAPP_ARGS_MAX * 4 + 16] = "[";
    for (int i = 0; i <= SPARKAPP_ARGS_MAX; i++) strcat(many_args, i ? ",\"a\"" : "\"a\"");
    strcat(many_args, "]");
    static char long_arg[SPARKAPP_ARG_MAX + 8];
    memset(long_arg, 'x', sizeof(long_arg) - 1);
    long_arg[0] = '[';
    long_arg[1] = '"';
    long_arg[sizeof(long_arg) - 3] = '"';
    long_arg[sizeof(long_arg) - 2] = ']';
    char many_conf[SPARKAPP_CONF_MAX * 16 + 16] = "{";
    for (int i = 0; i <= SPARKAPP_CONF_MAX; i++)
        sprintf(many_conf + strlen(many_conf), "%s\"k%d\":\"v\"", i ? "," : "", i);
    strcat(many_conf, "}");
    static char long_image[SPARKAPP_IMAGE_MAX + 8];
    memset(long_image, 'i', sizeof(long_image) - 1);
    long_image[0] = long_image[sizeof(long_image) - 2] = '"';
    static const struct {
        const char *key, *value, *named;
    } cases[] = {
        {"name", NULL, "name"},
        {"name", "\"Not_A_Name\"", "name"},
        {"name", "\"a-name-that-is-much-longer-than-sixty-three-characters-in-total-xx\"", "name"},
        {"name", "\"-x\"", "name"},
        {"type", "\"Go\"", "type"},
        {"type", "1", "type"},
        {"mainClass", NULL, "mainClass"},
        {"mainClass", "\"org..Pi\"", "mainClass"},
        {"mainClass", "\"1Pi\"", "mainClass"},
        {"image", "\"\"", "image"},
        {"image", "\"spark 4\"", "image"},
        {"mainApplicationFile", NULL, "mainApplicationFile"},
        {"mainApplicationFile", "\"a\\nb\"", "mainApplicationFile"},
        {"sparkVersion", "\"4.1.0;rm\"", "sparkVersion"},
        {"arguments", "\"100\"", "arguments"},
        {"arguments", "[1]", "arguments"},
        {"sparkConf", "{\"a\":1}", "sparkConf"},
        {"sparkConf", "{\"a b\":\"c\"}", "sparkConf"},
        {"sparkConf", "{\"a\":\"1\",\"a\":\"2\"}", "sparkConf"},
        {"sparkConf", "[]", "sparkConf"},
        {"driver", "\"big\"", "driver"},
        {"driver.cores", "0", "driver.cores"},
        {"driver.cores", "65", "driver.cores"},
        {"driver.cores", "1.5", "driver.cores"},
        {"driver.cores", "\"1\"", "driver.cores"},
        {"driver.memory", "\"512\"", "driver.memory"},
        {"driver.memory", "\"lots\"", "driver.memory"},
        {"driver.memory", "\"0512m\"", "driver.memory"},
        {"driver.memory", "\"1gi\"", "driver.memory"},
        {"driver.memory", "\"1234567m\"", "driver.memory"},
        {"driver.serviceAccount", "\"Spark!\"", "driver.serviceAccount"},
        {"executor.instances", "0", "executor.instances"},
        {"executor.instances", "101", "executor.instances"},
        {"executor.cores", "1000", "executor.cores"},
        {"executor.memory", "512", "executor.memory"},
        {"timeToLiveSeconds", "-1", "timeToLiveSeconds"},
        {"timeToLiveSeconds", "1e12", "timeToLiveSeconds"},
    };
    char err[SPARKAPP_ERROR_MAX];
    cJSON *app;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        ck_assert_msg(build_with(cases[i].key, cases[i].value, &app, err) == -EINVAL,
                      "%s = %s was accepted", cases[i].key, cases[i].value);
        ck_assert_ptr_null(app);
        ck_assert_msg(strncmp(err, cases[i].named, strlen(cases[i].named)) == 0,
                      "%s = %s: \"%s\" does not name it", cases[i].key, cases[i].value, err);
    }
    const struct {
        const char *key, *value;
    } big[] = {{"arguments", many_args},
               {"arguments", long_arg},
               {"sparkConf", many_conf},
               {"image", long_image}};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(build_with(big[i].key, big[i].value, &app, err), -EINVAL);
        ck_assert_msg(strstr(err, "at most"), "%s: %s", big[i].key, err);
    }
    cJSON *not_object = cJSON_Parse("[]");
    ck_assert_int_eq(sparkapp_build(not_object, "a", "b", &app, err), -EINVAL);
    cJSON_Delete(not_object);
}
END_TEST

START_TEST(every_template_builds_and_names_its_service_account)
{
    cJSON *t = sparkapp_templates();
    const cJSON *list = fx_obj(t, "templates");
    ck_assert_int_ge(cJSON_GetArraySize(list), 2);
    bool python = false, scala = false;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        ck_assert_str_ne(fx_str(item, "title"), "");
        ck_assert_ptr_nonnull(strstr(fx_str(item, "description"), "service account"));
        const cJSON *form = fx_obj(item, "form");
        cJSON *app = NULL;
        char err[SPARKAPP_ERROR_MAX] = "";
        ck_assert_msg(sparkapp_build(form, "alice", "alice@example.com", &app, err) == 0, "%s: %s",
                      fx_str(item, "id"), err);
        const cJSON *spec = fx_obj(app, "spec");
        ck_assert_str_eq(fx_str(fx_obj(spec, "driver"), "serviceAccount"), "spark");
        if (strcmp(fx_str(item, "id"), "spark-pi-python") == 0) {
            python = true;
            ck_assert_str_eq(fx_str(spec, "type"), "Python");
        }
        if (strcmp(fx_str(spec, "type"), "Scala") == 0 &&
            strcmp(fx_str(spec, "mainClass"), "org.apache.spark.examples.SparkPi") == 0) {
            scala = true;
            ck_assert_str_eq(fx_str(spec, "mainApplicationFile"),
                             "local:///opt/spark/examples/jars/spark-examples.jar");
        }
        ck_assert_int_eq(strncmp(fx_str(spec, "image"), "spark:4.1.0", 11), 0);
        cJSON_Delete(app);
    }
    ck_assert(python && scala);
    cJSON_Delete(t);
}
END_TEST

START_TEST(the_driver_pod_is_the_recorded_one_or_the_operators_default)
{
    char pod[SPARKAPP_POD_NAME_MAX + 1];
    cJSON *app = cJSON_Parse(RUNNING_APP);
    ck_assert_int_eq(sparkapp_driver_pod(app, pod, sizeof(pod)), 0);
    ck_assert_str_eq(pod, "app1-driver");
    cJSON *info = cJSON_GetObjectItem(cJSON_GetObjectItem(app, "status"), "driverInfo");
    cJSON_ReplaceItemInObject(info, "podName", cJSON_CreateString("custom-driver-0"));
    ck_assert_int_eq(sparkapp_driver_pod(app, pod, sizeof(pod)), 0);
    ck_assert_str_eq(pod, "custom-driver-0");
    cJSON_DeleteItemFromObject(app, "status");
    ck_assert_int_eq(sparkapp_driver_pod(app, pod, sizeof(pod)), 0);
    ck_assert_str_eq(pod, "app1-driver");
    ck_assert_int_eq(sparkapp_driver_pod(app, pod, 5), -E2BIG);
    cJSON_Delete(app);
}
END_TEST

/* A status that names a path instead of a pod (anyone allowed to write the status could) must
 * not steer the log request elsewhere on the API server. */
START_TEST(a_driver_pod_name_that_is_a_path_is_refused)
{
    static const char *const bad[] = {"../../secrets/x", "a/b", "x?watch=1", "..", "A", "a.", ""};
    char pod[SPARKAPP_POD_NAME_MAX + 1];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *app = cJSON_Parse("{\"metadata\":{\"name\":\"\"},\"status\":{\"driverInfo\":{}}}");
        cJSON_AddStringToObject(
            cJSON_GetObjectItem(cJSON_GetObjectItem(app, "status"), "driverInfo"), "podName",
            bad[i]);
        ck_assert_msg(sparkapp_driver_pod(app, pod, sizeof(pod)) == -EINVAL, "%s", bad[i]);
        cJSON_Delete(app);
    }
}
END_TEST

RUN_SUITE("sparkapp", summary_of_a_running_app_has_its_ui_and_executors,
          summary_offers_no_ui_once_the_app_ended_or_before_it_started,
          summary_names_the_default_ui_service_unless_the_ui_is_off,
          summary_of_garbage_is_empty_not_a_crash,
          a_good_form_builds_a_cluster_mode_app_that_never_restarts,
          a_minimal_python_form_gets_the_defaults, bad_forms_are_refused_with_the_field_named,
          every_template_builds_and_names_its_service_account,
          the_driver_pod_is_the_recorded_one_or_the_operators_default,
          a_driver_pod_name_that_is_a_path_is_refused)
