/*
 * handlers_workloads: the forms and names of what users run in their namespaces, as the
 * handlers check them before any call to the API server: notebooks (server/api/notebooks.c),
 * Spark applications (server/api/spark.c), InferenceServices (server/api/kserve.c). A refusal
 * names the field; a form that passes goes on to the API server, here a refusing address.
 */
#include <cjson/cJSON.h>
#include <string.h>

#include "fixtures.h"
#include "handlers.h"

#define ALICE "alice@example.com"

static struct server_fixture f;
static struct table t;

static void start(const char *const *args)
{
    sfx_start(&f, args);
    table_load(&t, &f);
    sfx_profile(&f, "alice", ALICE);
}

static void stop(void)
{
    table_free(&t);
    sfx_stop(&f);
}

/* method target with body as alice (the owner of alice), the handler run at once. */
static struct http_request *ask(const char *method, const char *target, const char *body)
{
    struct http_request *r = routed(&f, &t, method, target, false);
    proved(r, IDENTITY_SESSION, ALICE);
    if (body) fake_body(r, body);
    run(r);
    return r;
}

struct refusal {
    const char *body;  /* what the client sent */
    unsigned status;   /* what kfdash answered */
    const char *error; /* and said */
};

static void expect_refusals(const char *method, const char *target, const struct refusal *cases,
                            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct http_request *r = ask(method, target, cases[i].body);
        ck_assert_msg(fake_status(r) == cases[i].status, "%s %.200s: %u %s", target, cases[i].body,
                      fake_status(r), fake_reply_body(r));
        ck_assert_msg(strcmp(error_of(r), cases[i].error) == 0, "%.200s: \"%s\", wanted \"%s\"",
                      cases[i].body, error_of(r), cases[i].error);
        fake_free(r);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- notebooks */

START_TEST(the_notebook_form_is_offered_the_configured_catalog)
{
    const char *args[] = {"--notebook-images",
                          "registry.example.com/jupyter:1,registry.example.com/rstudio:2",
                          "--notebook-gpu-vendors",
                          "nvidia.com/gpu,example.com/tpu",
                          "--notebook-mlflow-tracking-uri",
                          "http://mlflow.example.com:5000",
                          NULL};
    start(args);
    struct http_request *r = ask("GET", "/api/config", NULL);
    ck_assert_uint_eq(fake_status(r), 200);
    cJSON *j = fake_reply_json(r);
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(j, "images")), 2);
    ck_assert_str_eq(fx_str_at(j, "images.1"), "registry.example.com/rstudio:2");
    ck_assert_str_eq(fx_str(j, "defaultImage"), "registry.example.com/jupyter:1");
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(j, "gpuVendors")), 2);
    ck_assert_str_eq(fx_str_at(j, "gpuVendors.0"), "nvidia.com/gpu");
    ck_assert_str_eq(fx_str_at(j, "defaults.cpu"), "0.5");
    ck_assert_str_eq(fx_str_at(j, "defaults.memory"), "1Gi");
    ck_assert_str_eq(fx_str_at(j, "defaults.workspaceSize"), "5Gi");
    ck_assert_str_eq(fx_str(j, "mlflowTrackingUri"), "http://mlflow.example.com:5000");
    cJSON_Delete(j);
    fake_free(r);

    /* the GPU vendors by the names people know them by */
    r = ask("GET", "/api/gpus", NULL);
    ck_assert_uint_eq(fake_status(r), 200);
    j = fake_reply_json(r);
    ck_assert_int_eq(cJSON_GetArraySize(fx_obj(j, "vendors")), 2);
    ck_assert_str_eq(fx_str_at(j, "vendors.0.limitsKey"), "nvidia.com/gpu");
    ck_assert_str_eq(fx_str_at(j, "vendors.0.uiName"), "NVIDIA");
    ck_assert_str_eq(fx_str_at(j, "vendors.1.uiName"), "example.com/tpu");
    cJSON_Delete(j);
    fake_free(r);
    stop();
}
END_TEST

START_TEST(a_notebook_form_that_is_wrong_is_400_naming_the_field)
{
    const char *args[] = {"--notebook-images", "jupyter:1", "--notebook-gpu-vendors",
                          "nvidia.com/gpu", NULL};
    start(args);
    const char *name_rule = "name: 1-52 lowercase letters, digits or '-', starting with a letter "
                            "and ending with a letter or digit";
    const struct refusal cases[] = {
        {"", 400, "send the form as a JSON object"},
        {"{\"name\":", 400, "send the form as a JSON object"},
        {"[]", 400, "send a JSON object"},
        {"{}", 400, name_rule},
        {"{\"name\":\"Nb\"}", 400, name_rule},
        {"{\"name\":\"1nb\"}", 400, name_rule},
        {"{\"name\":\"nb\",\"image\":\"evil:latest\"}", 400,
         "image: not one of the offered images (send \"customImage\": true to use another)"},
        {"{\"name\":\"nb\",\"customImage\":\"yes\"}", 400, "customImage: true or false"},
        {"{\"name\":\"nb\",\"image\":5}", 400, "image: a string"},
        {"{\"name\":\"nb\",\"cpu\":\"lots\"}", 400, "cpu: a quantity such as 0.5 or 500m"},
        {"{\"name\":\"nb\",\"memory\":\"-1Gi\"}", 400, "memory: a quantity such as 1Gi"},
        {"{\"name\":\"nb\",\"serverType\":\"emacs\"}", 400,
         "serverType: jupyter, group-one or group-two"},
        {"{\"name\":\"nb\",\"gpus\":{\"count\":17,\"vendor\":\"nvidia.com/gpu\"}}", 400,
         "gpus: count is a whole number from 0 to 16"},
        {"{\"name\":\"nb\",\"gpus\":{\"count\":1,\"vendor\":\"amd.com/gpu\"}}", 400,
         "gpus: vendor is not one this dashboard offers"},
        {"{\"name\":\"nb\",\"workspace\":{\"mode\":\"sometimes\"}}", 400,
         "workspace: mode is new, existing or none"},
        {"{\"name\":\"nb\",\"workspace\":{\"mode\":\"existing\"}}", 400,
         "workspace: pvc names the existing volume"},
        {"{\"name\":\"nb\",\"workspace\":{\"size\":\"big\"}}", 400,
         "workspace: size must be a Kubernetes quantity such as 10Gi"},
        {"{\"name\":\"nb\",\"dataVolumes\":{}}", 400, "dataVolumes: a list"},
        {"{\"name\":\"nb\",\"dataVolumes\":[{\"mode\":\"existing\",\"pvc\":\"data\"}]}", 400,
         "dataVolumes[0]: mountPath is missing"},
        {"{\"name\":\"nb\",\"dataVolumes\":[{\"mode\":\"existing\",\"pvc\":\"data\","
         "\"mountPath\":\"/home/../etc\"}]}",
         400, "dataVolumes[0]: mountPath must be an absolute path without '.' or '..' segments"},
        {"{\"name\":\"nb\",\"dataVolumes\":[{\"mode\":\"existing\",\"pvc\":\"data\","
         "\"mountPath\":\"/home/jovyan\"}]}",
         400, "dataVolumes[0]: two volumes are mounted at /home/jovyan"},
        {"{\"name\":\"nb\",\"podDefaults\":\"mlflow\"}", 400, "podDefaults: a list of labels"},
        {"{\"name\":\"nb\",\"podDefaults\":[\"not a label\"]}", 400,
         "podDefaults: each is a PodDefault's label key"},
    };
    expect_refusals("POST", "/api/namespaces/alice/notebooks", cases, N(cases));

    /* a form that passes goes on, as alice, to the API server */
    const struct refusal good[] = {
        {"{\"name\":\"nb\"}", 502, "cannot create the notebook: connection refused"},
        {"{\"name\":\"nb\",\"image\":\"mine:1\",\"customImage\":true,\"gpus\":{\"count\":1,"
         "\"vendor\":\"nvidia.com/gpu\"},\"workspace\":{\"mode\":\"none\"}}",
         502, "cannot create the notebook: connection refused"},
    };
    expect_refusals("POST", "/api/namespaces/alice/notebooks", good, N(good));
    stop();
}
END_TEST

START_TEST(a_notebook_is_named_by_a_dns_label)
{
    start(NULL);
    const char *targets[][2] = {
        {"GET", "/api/namespaces/alice/notebooks/Not_A_Name"},
        {"PATCH", "/api/namespaces/alice/notebooks/nb.1"},
        {"DELETE", "/api/namespaces/alice/notebooks/-nb"},
        {"GET", "/api/namespaces/alice/notebooks/NB/pod"},
        {"GET", "/api/namespaces/alice/notebooks/nb_1/events"},
        {"GET", "/api/namespaces/alice/notebooks/nb_1/pod/nb-0/logs"},
    };
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = ask(targets[i][0], targets[i][1], "{\"stopped\":true}");
        ck_assert_msg(fake_status(r) == 400, "%s: %u", targets[i][1], fake_status(r));
        ck_assert_str_eq(error_of(r), "not a notebook name");
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(a_notebook_is_stopped_or_started_by_one_flag)
{
    start(NULL);
    const char *rule = "send {\"stopped\": true} or {\"stopped\": false}";
    const struct refusal cases[] = {
        {"", 400, rule},
        {"{}", 400, rule},
        {"{\"stopped\":\"yes\"}", 400, rule},
        {"{\"stopped\":1}", 400, rule},
        {"{\"stopped\":true,\"image\":\"evil:1\"}", 400, rule},
        {"[true]", 400, rule},
        {"{\"stopped\":true}", 502, "cannot change the notebook: connection refused"},
        {"{\"stopped\":false}", 502, "cannot change the notebook: connection refused"},
    };
    expect_refusals("PATCH", "/api/namespaces/alice/notebooks/nb", cases, N(cases));
    stop();
}
END_TEST

START_TEST(a_notebooks_log_is_asked_for_by_pod_lines_and_follow)
{
    start(NULL);
    const char *targets[][2] = {
        {"/api/namespaces/alice/notebooks/nb/pod/nb-0/logs?tailLines=0",
         "tailLines: a number from 1 to 10000"},
        {"/api/namespaces/alice/notebooks/nb/pod/nb-0/logs?tailLines=10001",
         "tailLines: a number from 1 to 10000"},
        {"/api/namespaces/alice/notebooks/nb/pod/nb-0/logs?tailLines=ten",
         "tailLines: a number from 1 to 10000"},
        {"/api/namespaces/alice/notebooks/nb/pod/nb-0/logs?tailLines=",
         "tailLines: a number from 1 to 10000"},
        {"/api/namespaces/alice/notebooks/nb/pod/Nb_0/logs", "not a pod name"},
        {"/api/namespaces/alice/notebooks/nb/pod/nb-0/logs?follow=maybe", "follow: true or false"},
    };
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = ask("GET", targets[i][0], NULL);
        ck_assert_refused(r, 400, targets[i][1]);
        fake_free(r);
    }
    stop();
}
END_TEST

START_TEST(the_mlflow_poddefault_needs_a_tracking_address)
{
    const char *args[] = {"--notebook-mlflow-tracking-uri", "", NULL};
    start(args);
    struct http_request *r = ask("POST", "/api/namespaces/alice/poddefaults/mlflow", NULL);
    ck_assert_refused(r, 409,
                      "no MLflow tracking URI is configured here (notebooks.mlflow_tracking_uri)");
    fake_free(r);
    stop();
    start(NULL);
    r = ask("POST", "/api/namespaces/alice/poddefaults/mlflow", NULL);
    ck_assert_refused(r, 502, "cannot make the MLflow token Secret: connection refused");
    fake_free(r);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- Spark */

START_TEST(every_spark_template_is_a_form_the_server_accepts)
{
    start(NULL);
    struct http_request *r = ask("GET", "/api/spark/templates", NULL);
    ck_assert_uint_eq(fake_status(r), 200);
    cJSON *j = fake_reply_json(r);
    fake_free(r);
    const cJSON *list = fx_obj(j, "templates"), *tpl;
    ck_assert_int_ge(cJSON_GetArraySize(list), 2);
    ck_assert_str_eq(fx_str_at(list, "0.id"), "spark-pi-python");
    ck_assert_str_eq(fx_str_at(list, "0.form.type"), "Python");
    ck_assert_str_eq(fx_str_at(list, "1.form.mainClass"), "org.apache.spark.examples.SparkPi");
    cJSON_ArrayForEach(tpl, list)
    {
        ck_assert(strlen(fx_str(tpl, "title")) > 0);
        char *form = cJSON_PrintUnformatted(fx_obj(tpl, "form"));
        r = ask("POST", "/api/namespaces/alice/sparkapplications", form);
        ck_assert_msg(fake_status(r) == 502, "%s: %u %s", fx_str(tpl, "id"), fake_status(r),
                      fake_reply_body(r));
        ck_assert_str_eq(error_of(r), "cannot submit the Spark application: connection refused");
        fake_free(r);
        free(form);
    }
    cJSON_Delete(j);
    stop();
}
END_TEST

START_TEST(a_spark_form_that_is_wrong_is_400_naming_the_field)
{
    start(NULL);
#define PY                                                                                         \
    "\"name\":\"pi\",\"type\":\"Python\",\"image\":\"spark:4\",\"mainApplicationFile\":\"local://" \
    "/pi.py\""
    const struct refusal cases[] = {
        {"", 400, "send a JSON object"},
        {"{", 400, "send a JSON object"},
        {"[]", 400, "send a JSON object"},
        {"{}", 400, "name: required"},
        {"{\"name\":\"Pi\",\"type\":\"Python\"}", 400,
         "name: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit"},
        {"{\"name\":\"pi\",\"type\":\"Go\"}", 400, "type: Python, Scala, Java or R"},
        {"{\"name\":\"pi\",\"type\":\"Python\"}", 400, "image: required"},
        {"{\"name\":\"pi\",\"type\":\"Scala\",\"image\":\"spark:4\",\"mainApplicationFile\":"
         "\"local:///x.jar\"}",
         400, "mainClass: required"},
        {"{\"name\":\"pi\",\"type\":\"Java\",\"image\":\"spark:4\",\"mainApplicationFile\":"
         "\"local:///x.jar\",\"mainClass\":\"1bad\"}",
         400, "mainClass: a class name like org.apache.spark.examples.SparkPi"},
        {"{" PY ",\"sparkVersion\":\"4 1\"}", 400, "sparkVersion: no control characters or spaces"},
        {"{" PY ",\"arguments\":\"10\"}", 400, "arguments: a list of strings"},
        {"{" PY ",\"arguments\":[10]}", 400, "arguments: a list of strings"},
        {"{" PY ",\"sparkConf\":[]}", 400, "sparkConf: an object of strings"},
        {"{" PY ",\"sparkConf\":{\"a\":1}}", 400, "sparkConf: values are strings"},
        {"{" PY ",\"sparkConf\":{\"a\":\"1\",\"a\":\"2\"}}", 400, "sparkConf: a given twice"},
        {"{" PY ",\"driver\":5}", 400, "driver: an object"},
        {"{" PY ",\"driver\":{\"cores\":0}}", 400, "driver.cores: a whole number from 1 to 64"},
        {"{" PY ",\"driver\":{\"memory\":\"lots\"}}", 400,
         "driver.memory: a size like 512m, 2g or 1Gi"},
        {"{" PY ",\"driver\":{\"serviceAccount\":\"Not A SA\"}}", 400,
         "driver.serviceAccount: a service account name"},
        {"{" PY ",\"executor\":{\"instances\":101}}", 400,
         "executor.instances: a whole number from 1 to 100"},
        {"{" PY ",\"executor\":{\"cores\":1.5}}", 400,
         "executor.cores: a whole number from 1 to 64"},
        {"{" PY ",\"executor\":{\"memory\":\"0g\"}}", 400,
         "executor.memory: a size like 512m, 2g or 1Gi"},
        {"{" PY ",\"timeToLiveSeconds\":-1}", 400,
         "timeToLiveSeconds: a whole number from 1 to 31622400"},
        {"{" PY "}", 502, "cannot submit the Spark application: connection refused"},
    };
#undef PY
    expect_refusals("POST", "/api/namespaces/alice/sparkapplications", cases, N(cases));

    /* a form beyond any real one is refused unread */
    char *big = malloc(300 * 1024);
    memset(big, ' ', 300 * 1024 - 1);
    big[0] = '{';
    big[300 * 1024 - 2] = '}';
    big[300 * 1024 - 1] = '\0';
    const struct refusal too_big[] = {{big, 413, "the submit form is too large"}};
    expect_refusals("POST", "/api/namespaces/alice/sparkapplications", too_big, 1);
    free(big);
    stop();
}
END_TEST

START_TEST(a_spark_application_is_named_by_a_dns_label_and_its_log_asked_for_plainly)
{
    start(NULL);
    const char *targets[][2] = {
        {"GET", "/api/namespaces/alice/sparkapplications/Pi"},
        {"DELETE", "/api/namespaces/alice/sparkapplications/pi_1"},
        {"GET", "/api/namespaces/alice/sparkapplications/pi./logs"},
    };
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = ask(targets[i][0], targets[i][1], NULL);
        ck_assert_refused(r, 400, "not a Spark application name");
        fake_free(r);
    }
    const char *queries[][2] = {
        {"?tailLines=0", "tailLines: a whole number from 1 to 10000"},
        {"?tailLines=10001", "tailLines: a whole number from 1 to 10000"},
        {"?tailLines=-5", "tailLines: a whole number from 1 to 10000"},
        {"?tailLines=1e3", "tailLines: a whole number from 1 to 10000"},
        {"?follow=maybe", "follow: true or false"},
    };
    for (size_t i = 0; i < N(queries); i++) {
        char target[256];
        snprintf(target, sizeof(target), "/api/namespaces/alice/sparkapplications/pi/logs%s",
                 queries[i][0]);
        struct http_request *r = ask("GET", target, NULL);
        ck_assert_refused(r, 400, queries[i][1]);
        fake_free(r);
    }
    /* a good question goes on, as alice, to the API server */
    struct http_request *r =
        ask("GET", "/api/namespaces/alice/sparkapplications/pi/logs?tailLines=10&follow=1", NULL);
    ck_assert_refused(r, 502, "cannot read the Spark application: connection refused");
    fake_free(r);
    stop();
}
END_TEST

/* ---------------------------------------------------------------- KServe */

START_TEST(an_inference_service_form_that_is_wrong_is_400_naming_the_field)
{
    start(NULL);
#define SK "\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"s3://models/iris\""
    const struct refusal cases[] = {
        {"", 400, "send a JSON object"},
        {"nope", 400, "send a JSON object"},
        {"[]", 400, "send a JSON object"},
        {"{}", 400, "name: required"},
        {"{\"name\":\"1ris\"}", 400,
         "name: 1-63 lowercase letters, digits or '-', starting with a letter and ending with a "
         "letter or digit"},
        {"{\"name\":\"iris\"}", 400, "modelFormat: required"},
        {"{\"name\":\"iris\",\"modelFormat\":\"SKLearn\"}", 400,
         "modelFormat: a format name such as sklearn, mlflow or onnx"},
        {"{\"name\":\"iris\",\"modelFormat\":\"sklearn\",\"storageUri\":\"model.pkl\"}", 400,
         "storageUri: a URI such as s3://bucket/model or pvc://claim/path"},
        {"{" SK ",\"protocolVersion\":\"v3\"}", 400, "protocolVersion: v1 or v2"},
        {"{" SK ",\"modelFormatVersion\":\"1/2\"}", 400,
         "modelFormatVersion: a version such as 1 or 2.3"},
        {"{" SK ",\"runtime\":\"Not_A_Runtime\"}", 400, "runtime: a ServingRuntime's name"},
        {"{" SK ",\"serviceAccountName\":\"sa_1\"}", 400,
         "serviceAccountName: a service account's name"},
        {"{" SK ",\"resources\":[]}", 400, "resources: an object with requests and limits"},
        {"{" SK ",\"resources\":{\"requests\":{\"cpu\":\"lots\"}}}", 400,
         "resources.requests.cpu: a quantity such as 500m, 1 or 2Gi"},
        {"{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"iris\",\"version\":1},\"storageUri\":"
         "\"s3://x/y\"}",
         400, "storageUri: not with fromMlflow, which decides it"},
        {"{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"iris\",\"version\":\"01\"}}", 400,
         "fromMlflow.version: a model version number such as 1"},
        {"{\"name\":\"iris\",\"fromMlflow\":\"iris/1\"}", 400,
         "fromMlflow: an object with model and version"},
        {"{" SK "}", 502, "cannot create the InferenceService: connection refused"},
        /* from MLflow, without an MLflow server to ask where the model is */
        {"{\"name\":\"iris\",\"fromMlflow\":{\"model\":\"iris\",\"version\":\"3\"}}", 503,
         "no MLflow server is configured (mlflow.url)"},
    };
#undef SK
    expect_refusals("POST", "/api/namespaces/alice/inferenceservices", cases, N(cases));

    char *big = malloc(70 * 1024);
    memset(big, ' ', 70 * 1024 - 1);
    big[0] = '{';
    big[70 * 1024 - 2] = '}';
    big[70 * 1024 - 1] = '\0';
    const struct refusal too_big[] = {{big, 413, "the form is too large"}};
    expect_refusals("POST", "/api/namespaces/alice/inferenceservices", too_big, 1);
    free(big);
    stop();
}
END_TEST

START_TEST(an_inference_service_is_named_by_a_dns_label_and_mlflow_must_be_configured)
{
    start(NULL);
    const char *targets[][2] = {{"GET", "/api/namespaces/alice/inferenceservices/Iris"},
                                {"DELETE", "/api/namespaces/alice/inferenceservices/iris_2"}};
    for (size_t i = 0; i < N(targets); i++) {
        struct http_request *r = ask(targets[i][0], targets[i][1], NULL);
        ck_assert_refused(r, 400, "not an InferenceService name");
        fake_free(r);
    }
    struct http_request *r = ask("GET", "/api/namespaces/alice/mlflow-model-versions", NULL);
    ck_assert_refused(r, 503, "no MLflow server is configured (mlflow.url)");
    fake_free(r);
    stop();
}
END_TEST

RUN_SUITE("handlers_workloads", the_notebook_form_is_offered_the_configured_catalog,
          a_notebook_form_that_is_wrong_is_400_naming_the_field, a_notebook_is_named_by_a_dns_label,
          a_notebook_is_stopped_or_started_by_one_flag,
          a_notebooks_log_is_asked_for_by_pod_lines_and_follow,
          the_mlflow_poddefault_needs_a_tracking_address,
          every_spark_template_is_a_form_the_server_accepts,
          a_spark_form_that_is_wrong_is_400_naming_the_field,
          a_spark_application_is_named_by_a_dns_label_and_its_log_asked_for_plainly,
          an_inference_service_form_that_is_wrong_is_400_naming_the_field,
          an_inference_service_is_named_by_a_dns_label_and_mlflow_must_be_configured)
