/* k8s/notebook: Notebook status, summary, the create form and the MLflow PodDefault. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "k8s/notebook.h"
#include "unit.h"

/* 2024-05-01T10:00:00Z */
#define T0 ((time_t)1714557600)

static const char *const images[] = {"kubeflownotebookswg/jupyter-scipy:v1.10.0",
                                     "kubeflownotebookswg/jupyter-pytorch-full:v1.10.0"};
static const char *const vendors[] = {"nvidia.com/gpu", "amd.com/gpu"};
static const struct notebook_catalog cat = {images, 2, vendors, 2, NULL};

/* The phase of a notebook written as JSON, with events (or NULL), at T0 + 1 h. */
static const char *phase_of(const char *nb_text, const char *events_text, char *message)
{
    cJSON *nb = fx_json(nb_text);
    cJSON *events = events_text ? fx_json(events_text) : NULL;
    struct notebook_status s;
    notebook_status(nb, events, T0 + 3600, &s);
    if (message) strcpy(message, s.message);
    cJSON_Delete(nb);
    cJSON_Delete(events);
    return s.phase;
}

#define META "\"metadata\":{\"name\":\"nb1\",\"creationTimestamp\":\"2024-05-01T10:00:00Z\""

START_TEST(a_notebook_with_a_ready_replica_is_ready)
{
    char m[NOTEBOOK_MESSAGE_MAX];
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"readyReplicas\":1}}", NULL, m), "ready");
    ck_assert_str_eq(m, "Running");
}
END_TEST

START_TEST(the_stopped_annotation_means_stopped_once_no_pod_runs)
{
    ck_assert_str_eq(phase_of("{" META ",\"annotations\":{\"kubeflow-resource-stopped\":"
                              "\"2024-05-01T11:00:00Z\"}},\"status\":{\"readyReplicas\":0}}",
                              NULL, NULL),
                     "stopped");
    char m[NOTEBOOK_MESSAGE_MAX];
    ck_assert_str_eq(phase_of("{" META ",\"annotations\":{\"kubeflow-resource-stopped\":"
                              "\"x\"}},\"status\":{\"readyReplicas\":1}}",
                              NULL, m),
                     "waiting");
    ck_assert_ptr_nonnull(strstr(m, "Stopping"));
}
END_TEST

START_TEST(a_deletion_timestamp_means_terminating_before_anything_else)
{
    ck_assert_str_eq(phase_of("{" META ",\"deletionTimestamp\":\"2024-05-01T11:00:00Z\","
                              "\"annotations\":{\"kubeflow-resource-stopped\":\"x\"}},"
                              "\"status\":{\"readyReplicas\":1}}",
                              NULL, NULL),
                     "terminating");
}
END_TEST

START_TEST(image_pull_and_crash_loops_are_errors_with_their_reason)
{
    char m[NOTEBOOK_MESSAGE_MAX];
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"readyReplicas\":0,\"containerState\":"
                              "{\"waiting\":{\"reason\":\"ImagePullBackOff\",\"message\":"
                              "\"Back-off pulling image \\\"nope\\\"\"}}}}",
                              NULL, m),
                     "error");
    ck_assert_str_eq(m, "ImagePullBackOff: Back-off pulling image \"nope\"");
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"containerState\":{\"waiting\":"
                              "{\"reason\":\"ErrImagePull\"}}}}",
                              NULL, m),
                     "error");
    ck_assert_str_eq(m, "ErrImagePull");
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"containerState\":{\"waiting\":"
                              "{\"reason\":\"CrashLoopBackOff\",\"message\":\"back-off 5m\"}}}}",
                              NULL, NULL),
                     "error");
}
END_TEST

START_TEST(a_starting_container_is_waiting_and_other_waits_are_warnings)
{
    char m[NOTEBOOK_MESSAGE_MAX];
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"containerState\":{\"waiting\":"
                              "{\"reason\":\"PodInitializing\"}}}}",
                              NULL, m),
                     "waiting");
    ck_assert_str_eq(m, "PodInitializing");
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"containerState\":{\"waiting\":"
                              "{\"reason\":\"SomethingNew\",\"message\":\"hm\"}}}}",
                              NULL, m),
                     "warning");
    ck_assert_str_eq(m, "SomethingNew: hm");
}
END_TEST

START_TEST(a_terminated_container_is_an_error_with_its_exit_code)
{
    char m[NOTEBOOK_MESSAGE_MAX];
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"containerState\":{\"terminated\":"
                              "{\"reason\":\"OOMKilled\",\"exitCode\":137}}}}",
                              NULL, m),
                     "error");
    ck_assert_str_eq(m, "OOMKilled: the server exited with code 137");
}
END_TEST

START_TEST(warning_events_of_the_notebook_explain_a_pod_that_is_not_there)
{
    const char *nb = "{" META "},\"status\":{\"readyReplicas\":0,\"conditions\":[]}}";
    const char *events =
        "[{\"type\":\"Warning\",\"reason\":\"FailedScheduling\",\"message\":\"0/1 nodes: "
        "Insufficient cpu\",\"lastTimestamp\":\"2024-05-01T10:05:00Z\",\"involvedObject\":"
        "{\"kind\":\"Pod\",\"name\":\"nb1-0\"}},"
        /* Older, same notebook: not the latest. */
        "{\"type\":\"Warning\",\"reason\":\"Old\",\"message\":\"x\",\"lastTimestamp\":"
        "\"2024-05-01T10:01:00Z\",\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"nb1-0\"}},"
        /* Newer, but another notebook's, or before this one was created, or not a warning. */
        "{\"type\":\"Warning\",\"reason\":\"Other\",\"message\":\"x\",\"lastTimestamp\":"
        "\"2024-05-01T10:09:00Z\",\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"nb10-0\"}},"
        "{\"type\":\"Normal\",\"reason\":\"Pulled\",\"message\":\"x\",\"lastTimestamp\":"
        "\"2024-05-01T10:09:00Z\",\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"nb1-0\"}}]";
    char m[NOTEBOOK_MESSAGE_MAX];
    ck_assert_str_eq(phase_of(nb, events, m), "warning");
    ck_assert_str_eq(m, "FailedScheduling: 0/1 nodes: Insufficient cpu");
    const char *stale = "[{\"type\":\"Warning\",\"reason\":\"Stale\",\"message\":\"x\","
                        "\"lastTimestamp\":\"2024-05-01T09:00:00Z\",\"involvedObject\":"
                        "{\"kind\":\"Notebook\",\"name\":\"nb1\"}}]";
    ck_assert_str_ne(phase_of(nb, stale, NULL), "warning");
    /* A ready notebook stays ready whatever old warnings say. */
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"readyReplicas\":1}}", events, NULL),
                     "ready");
}
END_TEST

START_TEST(conditions_with_a_reason_are_warnings)
{
    char m[NOTEBOOK_MESSAGE_MAX];
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"readyReplicas\":0,\"conditions\":"
                              "[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":"
                              "\"PodScheduled\",\"status\":\"False\",\"reason\":"
                              "\"Unschedulable\",\"message\":\"no nodes\"}]}}",
                              NULL, m),
                     "warning");
    ck_assert_str_eq(m, "Unschedulable: no nodes");
}
END_TEST

START_TEST(a_notebook_nobody_reported_on_waits_then_is_uninitialized)
{
    cJSON *nb = fx_json("{" META "}}");
    struct notebook_status s;
    notebook_status(nb, NULL, T0 + 5, &s);
    ck_assert_str_eq(s.phase, "waiting");
    notebook_status(nb, NULL, T0 + 600, &s);
    ck_assert_str_eq(s.phase, "uninitialized");
    cJSON_Delete(nb);
    ck_assert_str_eq(phase_of("{" META "},\"status\":{\"readyReplicas\":0,\"containerState\":{},"
                              "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}",
                              NULL, NULL),
                     "unavailable");
}
END_TEST

START_TEST(events_are_about_the_notebook_its_statefulset_and_pods_only)
{
    cJSON *e = fx_json("{\"involvedObject\":{\"name\":\"nb1-0\"}}");
    ck_assert(notebook_event_is_about(e, "nb1"));
    ck_assert(!notebook_event_is_about(e, "nb"));
    ck_assert(!notebook_event_is_about(e, "nb1-0-x"));
    cJSON_Delete(e);
    e = fx_json("{\"involvedObject\":{\"name\":\"nb1\"}}");
    ck_assert(notebook_event_is_about(e, "nb1"));
    cJSON_Delete(e);
    e = fx_json("{}");
    ck_assert(!notebook_event_is_about(e, "nb1"));
    cJSON_Delete(e);
}
END_TEST

START_TEST(the_summary_has_what_the_list_shows)
{
    cJSON *nb = fx_json(
        "{\"metadata\":{\"name\":\"nb1\",\"namespace\":\"alice\",\"creationTimestamp\":"
        "\"2024-05-01T10:00:00Z\",\"annotations\":{\"notebooks.kubeflow.org/creator\":"
        "\"alice@example.com\",\"notebooks.kubeflow.org/last-activity\":\"2024-05-01T10:30:00Z\","
        "\"notebooks.kubeflow.org/server-type\":\"group-one\"}},\"spec\":{\"template\":{\"spec\":"
        "{\"containers\":[{\"name\":\"nb1\",\"image\":\"reg.io/kf/jupyter-scipy:v1\",\"resources\":"
        "{\"requests\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"},\"limits\":{\"nvidia.com/gpu\":\"2\"}}"
        "}],\"volumes\":[{\"name\":\"w\",\"persistentVolumeClaim\":{\"claimName\":"
        "\"nb1-workspace\"}},{\"name\":\"dshm\",\"emptyDir\":{\"medium\":\"Memory\"}}]}}},"
        "\"status\":{\"readyReplicas\":1}}");
    cJSON *s = notebook_summary(nb, NULL, &cat, T0 + 3600);
    char *text = cJSON_PrintUnformatted(s);
    ck_assert_str_eq(
        text, "{\"name\":\"nb1\",\"namespace\":\"alice\",\"serverType\":\"group-one\",\"image\":"
              "\"reg.io/kf/jupyter-scipy:v1\",\"shortImage\":\"jupyter-scipy:v1\",\"cpu\":\"500m\","
              "\"memory\":\"1Gi\",\"gpus\":{\"count\":2,\"vendor\":\"nvidia.com/gpu\"},\"volumes\":"
              "[\"nb1-workspace\"],\"status\":{\"phase\":\"ready\",\"message\":\"Running\"},"
              "\"lastActivity\":\"2024-05-01T10:30:00Z\",\"createdAt\":\"2024-05-01T10:00:00Z\","
              "\"creator\":\"alice@example.com\",\"stopped\":false,\"url\":"
              "\"/notebook/alice/nb1/\"}");
    free(text);
    cJSON_Delete(s);
    cJSON_Delete(nb);
    /* Whatever the object lacks, the summary still has every field. */
    nb = fx_json("{}");
    s = notebook_summary(nb, NULL, &cat, T0);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "serverType")->valuestring, "jupyter");
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "gpus"), "count")->valueint, 0);
    cJSON_Delete(s);
    cJSON_Delete(nb);
}
END_TEST

/* ---- the create form */

/* 0 and the objects, or -EINVAL and the reason in err. */
static int build(const char *form_text, cJSON **nb, cJSON **pvcs, char *err)
{
    cJSON *form = fx_json(form_text);
    *nb = *pvcs = NULL;
    int e = notebook_from_form(form, &cat, "alice", "alice@example.com", nb, pvcs, err);
    cJSON_Delete(form);
    return e;
}

static void refused(const char *form_text, const char *why)
{
    cJSON *nb, *pvcs;
    char err[NOTEBOOK_ERROR_MAX] = "";
    ck_assert_int_eq(build(form_text, &nb, &pvcs, err), -EINVAL);
    ck_assert_ptr_null(nb);
    ck_assert_msg(strstr(err, why) != NULL, "%s: got \"%s\", wanted \"%s\"", form_text, err, why);
}

START_TEST(a_full_form_builds_the_notebook_jwa_would)
{
    cJSON *nb, *pvcs;
    char err[NOTEBOOK_ERROR_MAX] = "";
    int e =
        build("{\"name\":\"mynb\",\"image\":\"kubeflownotebookswg/jupyter-pytorch-full:v1.10.0\","
              "\"cpu\":\"2\",\"memory\":\"4Gi\",\"gpus\":{\"count\":1,\"vendor\":\"amd.com/gpu\"},"
              "\"workspace\":{\"mode\":\"new\",\"size\":\"10Gi\"},\"dataVolumes\":[{\"mode\":"
              "\"new\",\"name\":\"data1\",\"size\":\"20Gi\",\"mountPath\":\"/home/jovyan/data\"},"
              "{\"mode\":\"existing\",\"pvc\":\"shared\",\"mountPath\":\"/mnt/shared\"}],"
              "\"podDefaults\":[\"mlflow-access\",\"access-ml-pipeline\"],\"serverType\":"
              "\"jupyter\"}",
              &nb, &pvcs, err);
    ck_assert_msg(e == 0, "%s", err);
    ck_assert_str_eq(fx_str_at(nb, "apiVersion"), "kubeflow.org/v1");
    ck_assert_str_eq(fx_str_at(nb, "kind"), "Notebook");
    ck_assert_str_eq(fx_str_at(nb, "metadata.name"), "mynb");
    ck_assert_str_eq(fx_str_at(nb, "metadata.namespace"), "alice");
    ck_assert_str_eq(fx_str_at(nb, "metadata.labels.app"), "mynb");
    const cJSON *ann = fx_at(nb, "metadata.annotations");
    ck_assert_str_eq(cJSON_GetObjectItem(ann, "notebooks.kubeflow.org/creator")->valuestring,
                     "alice@example.com");
    ck_assert_str_eq(cJSON_GetObjectItem(ann, "notebooks.kubeflow.org/server-type")->valuestring,
                     "jupyter");
    ck_assert_str_eq(fx_str_at(nb, "spec.template.metadata.labels.mlflow-access"), "true");
    ck_assert_str_eq(fx_str_at(nb, "spec.template.metadata.labels.access-ml-pipeline"), "true");
    const cJSON *c = fx_at(nb, "spec.template.spec.containers.0");
    ck_assert_str_eq(fx_str_at(c, "name"), "mynb");
    ck_assert_str_eq(fx_str_at(c, "image"), "kubeflownotebookswg/jupyter-pytorch-full:v1.10.0");
    ck_assert_str_eq(fx_str_at(c, "env.0.name"), "NB_PREFIX");
    ck_assert_str_eq(fx_str_at(c, "env.0.value"), "/notebook/alice/mynb");
    ck_assert_str_eq(fx_str_at(c, "resources.requests.cpu"), "2");
    ck_assert_str_eq(fx_str_at(c, "resources.requests.memory"), "4Gi");
    ck_assert_str_eq(cJSON_GetObjectItem(fx_at(c, "resources.limits"), "amd.com/gpu")->valuestring,
                     "1");
    /* Mounts: workspace, data1, shared, then shared memory. */
    const char *mounts[][2] = {{"mynb-workspace", "/home/jovyan"},
                               {"data1", "/home/jovyan/data"},
                               {"shared", "/mnt/shared"},
                               {"dshm", "/dev/shm"}};
    ck_assert_int_eq(cJSON_GetArraySize(fx_at(c, "volumeMounts")), 4);
    const cJSON *volumes = fx_at(nb, "spec.template.spec.volumes");
    ck_assert_int_eq(cJSON_GetArraySize(volumes), 4);
    for (int i = 0; i < 4; i++) {
        const cJSON *m = cJSON_GetArrayItem(fx_at(c, "volumeMounts"), i);
        const cJSON *v = cJSON_GetArrayItem(volumes, i);
        ck_assert_str_eq(fx_str_at(m, "name"), mounts[i][0]);
        ck_assert_str_eq(fx_str_at(m, "mountPath"), mounts[i][1]);
        ck_assert_str_eq(fx_str_at(v, "name"), mounts[i][0]);
        if (i < 3) ck_assert_str_eq(fx_str_at(v, "persistentVolumeClaim.claimName"), mounts[i][0]);
    }
    ck_assert_str_eq(fx_str_at(volumes, "3.emptyDir.medium"), "Memory");
    /* The new volumes only, ReadWriteOnce, the default StorageClass. */
    ck_assert_int_eq(cJSON_GetArraySize(pvcs), 2);
    ck_assert_str_eq(fx_str_at(pvcs, "0.kind"), "PersistentVolumeClaim");
    ck_assert_str_eq(fx_str_at(pvcs, "0.metadata.name"), "mynb-workspace");
    ck_assert_str_eq(fx_str_at(pvcs, "0.spec.resources.requests.storage"), "10Gi");
    ck_assert_str_eq(fx_str_at(pvcs, "0.spec.accessModes.0"), "ReadWriteOnce");
    ck_assert_ptr_null(fx_at(pvcs, "0.spec.storageClassName"));
    ck_assert_str_eq(fx_str_at(pvcs, "1.metadata.name"), "data1");
    ck_assert_str_eq(fx_str_at(pvcs, "1.spec.resources.requests.storage"), "20Gi");
    cJSON_Delete(nb);
    cJSON_Delete(pvcs);
}
END_TEST

START_TEST(a_minimal_form_takes_the_defaults)
{
    cJSON *nb, *pvcs;
    char err[NOTEBOOK_ERROR_MAX] = "";
    ck_assert_int_eq(build("{\"name\":\"a\"}", &nb, &pvcs, err), 0);
    const cJSON *c = fx_at(nb, "spec.template.spec.containers.0");
    ck_assert_str_eq(fx_str_at(c, "image"), images[0]);
    ck_assert_str_eq(fx_str_at(c, "resources.requests.cpu"), NOTEBOOK_DEFAULT_CPU);
    ck_assert_str_eq(fx_str_at(c, "resources.requests.memory"), NOTEBOOK_DEFAULT_MEMORY);
    ck_assert_ptr_null(fx_at(c, "resources.limits"));
    ck_assert_str_eq(fx_str_at(pvcs, "0.metadata.name"), "a-workspace");
    ck_assert_str_eq(fx_str_at(pvcs, "0.spec.resources.requests.storage"),
                     NOTEBOOK_DEFAULT_WORKSPACE_SIZE);
    cJSON_Delete(nb);
    cJSON_Delete(pvcs);
}
END_TEST

START_TEST(without_a_spawner_config_pull_policy_and_shm_are_the_forms_and_no_groups_exist)
{
    cJSON *nb, *pvcs;
    char err[NOTEBOOK_ERROR_MAX] = "";
    ck_assert_int_eq(build("{\"name\":\"a\",\"imagePullPolicy\":\"Always\",\"shm\":false,"
                           "\"affinityConfig\":\"\",\"workspace\":{\"mode\":\"none\"}}",
                           &nb, &pvcs, err),
                     0);
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.containers.0.imagePullPolicy"), "Always");
    ck_assert_ptr_null(fx_at(nb, "spec.template.spec.containers.0.volumeMounts.0"));
    ck_assert_ptr_null(fx_at(nb, "spec.template.spec.affinity"));
    cJSON_Delete(nb);
    cJSON_Delete(pvcs);
    ck_assert_int_eq(build("{\"name\":\"a\",\"imagePullPolicy\":\"Sometimes\"}", &nb, &pvcs, err),
                     -EINVAL);
    ck_assert_str_eq(err, "imagePullPolicy: Always, IfNotPresent or Never");
    ck_assert_int_eq(build("{\"name\":\"a\",\"shm\":\"yes\"}", &nb, &pvcs, err), -EINVAL);
    ck_assert_str_eq(err, "shm: true or false");
    ck_assert_int_eq(build("{\"name\":\"a\",\"tolerationGroup\":\"g\"}", &nb, &pvcs, err), -EINVAL);
    ck_assert_str_eq(err, "tolerationGroup: not one this dashboard offers");
}
END_TEST

START_TEST(an_existing_or_no_workspace_makes_no_volume)
{
    cJSON *nb, *pvcs;
    char err[NOTEBOOK_ERROR_MAX] = "";
    ck_assert_int_eq(
        build("{\"name\":\"a\",\"workspace\":{\"mode\":\"existing\",\"pvc\":\"old-home\"}}", &nb,
              &pvcs, err),
        0);
    ck_assert_int_eq(cJSON_GetArraySize(pvcs), 0);
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.volumes.0.persistentVolumeClaim.claimName"),
                     "old-home");
    cJSON_Delete(nb);
    cJSON_Delete(pvcs);
    ck_assert_int_eq(build("{\"name\":\"a\",\"workspace\":{\"mode\":\"none\"}}", &nb, &pvcs, err),
                     0);
    ck_assert_int_eq(cJSON_GetArraySize(pvcs), 0);
    ck_assert_int_eq(cJSON_GetArraySize(fx_at(nb, "spec.template.spec.volumes")), 1); /* dshm */
    cJSON_Delete(nb);
    cJSON_Delete(pvcs);
}
END_TEST

START_TEST(a_custom_image_needs_to_be_asked_for)
{
    refused("{\"name\":\"a\",\"image\":\"evil.io/miner:latest\"}", "image");
    cJSON *nb, *pvcs;
    char err[NOTEBOOK_ERROR_MAX] = "";
    ck_assert_int_eq(
        build("{\"name\":\"a\",\"image\":\"evil.io/miner:latest\",\"customImage\":true}", &nb,
              &pvcs, err),
        0);
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.containers.0.image"),
                     "evil.io/miner:latest");
    cJSON_Delete(nb);
    cJSON_Delete(pvcs);
    refused("{\"name\":\"a\",\"image\":\"x y\",\"customImage\":true}", "image");
    refused("{\"name\":\"a\",\"image\":\"-x\",\"customImage\":true}", "image");
    refused("{\"name\":\"a\",\"image\":\"x\",\"customImage\":\"yes\"}", "customImage");
}
END_TEST

START_TEST(bad_forms_are_refused_with_the_field_named)
{
    refused("[]", "JSON object");
    refused("{}", "name");
    refused("{\"name\":\"My-NB\"}", "name");
    refused("{\"name\":\"1nb\"}", "name");
    refused("{\"name\":\"nb-\"}", "name");
    refused("{\"name\":\"a2345678901234567890123456789012345678901234567890123\"}", "name");
    refused("{\"name\":42}", "name");
    refused("{\"name\":\"a\",\"cpu\":\"lots\"}", "cpu");
    refused("{\"name\":\"a\",\"cpu\":\"-1\"}", "cpu");
    refused("{\"name\":\"a\",\"memory\":\"1GB\"}", "memory");
    refused("{\"name\":\"a\",\"memory\":0.5}", "memory");
    refused("{\"name\":\"a\",\"gpus\":{\"count\":99,\"vendor\":\"nvidia.com/gpu\"}}", "gpus");
    refused("{\"name\":\"a\",\"gpus\":{\"count\":-1,\"vendor\":\"nvidia.com/gpu\"}}", "gpus");
    refused("{\"name\":\"a\",\"gpus\":{\"count\":1.5,\"vendor\":\"nvidia.com/gpu\"}}", "gpus");
    refused("{\"name\":\"a\",\"gpus\":{\"count\":1,\"vendor\":\"cpu\"}}", "vendor");
    refused("{\"name\":\"a\",\"gpus\":{\"count\":1}}", "vendor");
    refused("{\"name\":\"a\",\"serverType\":\"emacs\"}", "serverType");
    refused("{\"name\":\"a\",\"workspace\":{\"mode\":\"maybe\"}}", "workspace");
    refused("{\"name\":\"a\",\"workspace\":{\"mode\":\"existing\"}}", "workspace");
    refused("{\"name\":\"a\",\"workspace\":{\"mode\":\"new\",\"size\":\"big\"}}", "workspace");
    refused("{\"name\":\"a\",\"dataVolumes\":[{\"mode\":\"new\",\"name\":\"d\",\"size\":\"1Gi\","
            "\"mountPath\":\"data\"}]}",
            "mountPath");
    refused("{\"name\":\"a\",\"dataVolumes\":[{\"mode\":\"existing\",\"pvc\":\"d\","
            "\"mountPath\":\"/home/jovyan/../../etc\"}]}",
            "mountPath");
    refused("{\"name\":\"a\",\"dataVolumes\":[{\"mode\":\"existing\",\"pvc\":\"d\","
            "\"mountPath\":\"/home/jovyan\"}]}",
            "two volumes are mounted at /home/jovyan");
    refused("{\"name\":\"a\",\"dataVolumes\":[{\"mode\":\"existing\",\"pvc\":\"a-workspace\","
            "\"mountPath\":\"/x\"}]}",
            "used twice");
    refused("{\"name\":\"a\",\"dataVolumes\":[{\"mode\":\"existing\",\"pvc\":\"d\","
            "\"mountPath\":\"/dev/shm\"}]}",
            "shared memory");
    refused("{\"name\":\"a\",\"dataVolumes\":[{\"mode\":\"existing\",\"pvc\":\"Bad_Name\","
            "\"mountPath\":\"/x\"}]}",
            "volume name");
    refused("{\"name\":\"a\",\"dataVolumes\":[{\"mode\":\"new\",\"name\":\"d\","
            "\"mountPath\":\"/x\"}]}",
            "name and size");
    refused("{\"name\":\"a\",\"dataVolumes\":{}}", "dataVolumes");
    refused("{\"name\":\"a\",\"podDefaults\":[\"has space\"]}", "podDefaults");
    refused("{\"name\":\"a\",\"podDefaults\":[1]}", "podDefaults");
    refused("{\"name\":\"a\",\"podDefaults\":\"mlflow-access\"}", "podDefaults");
}
END_TEST

START_TEST(lists_in_a_form_are_bounded)
{
    char form[4096];
    size_t n = (size_t)snprintf(form, sizeof(form), "{\"name\":\"a\",\"dataVolumes\":[");
    for (int i = 0; i <= NOTEBOOK_DATA_VOLUMES_MAX; i++)
        n += (size_t)snprintf(form + n, sizeof(form) - n,
                              "%s{\"mode\":\"existing\",\"pvc\":\"d%d\",\"mountPath\":\"/d%d\"}",
                              i ? "," : "", i, i);
    snprintf(form + n, sizeof(form) - n, "]}");
    refused(form, "at most 8");
    n = (size_t)snprintf(form, sizeof(form), "{\"name\":\"a\",\"podDefaults\":[");
    for (int i = 0; i <= NOTEBOOK_PODDEFAULTS_MAX; i++)
        n += (size_t)snprintf(form + n, sizeof(form) - n, "%s\"l%d\"", i ? "," : "", i);
    snprintf(form + n, sizeof(form) - n, "]}");
    refused(form, "at most 32");
}
END_TEST

START_TEST(quantities_are_what_kubernetes_accepts)
{
    const char *good[] = {"1", "0.5", "500m", "1Gi", "1.5Gi", "10G", "1e3", "2E", "100Ki", ".5"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        ck_assert_msg(notebook_is_quantity(good[i]), "%s refused", good[i]);
    const char *bad[] = {"",
                         "0",
                         "-1",
                         "1GB",
                         "Gi",
                         "1 Gi",
                         "1.2.3",
                         "1gi",
                         "one",
                         ".",
                         "123456789012345678901234567890123",
                         "1e",
                         "1Gi "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!notebook_is_quantity(bad[i]), "%s accepted", bad[i]);
}
END_TEST

START_TEST(mount_paths_are_absolute_and_stay_where_they_say)
{
    ck_assert(notebook_is_mount_path("/home/jovyan/data"));
    ck_assert(notebook_is_mount_path("/d.d/..x"));
    const char *bad[] = {"",    "/",   "data", "/a/../b", "/a/./b", "/a//b",
                         "/a/", "/..", "/a b", "/a\\b",   "/a\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!notebook_is_mount_path(bad[i]), "%s accepted", bad[i]);
}
END_TEST

START_TEST(label_keys_may_carry_a_dns_prefix)
{
    ck_assert(notebook_is_label_key("mlflow-access"));
    ck_assert(notebook_is_label_key("example.com/Access_1.x"));
    ck_assert(!notebook_is_label_key(""));
    ck_assert(!notebook_is_label_key("/x"));
    ck_assert(!notebook_is_label_key("Bad_Prefix/x"));
    ck_assert(!notebook_is_label_key("-x"));
    ck_assert(!notebook_is_label_key("a/b/c"));
}
END_TEST

START_TEST(the_mlflow_poddefault_selects_its_label_and_sets_the_workspace)
{
    cJSON *p = notebook_mlflow_poddefault("alice", "http://mlflow:5000");
    ck_assert_str_eq(fx_str_at(p, "apiVersion"), "kubeflow.org/v1alpha1");
    ck_assert_str_eq(fx_str_at(p, "kind"), "PodDefault");
    ck_assert_str_eq(fx_str_at(p, "metadata.name"), "mlflow");
    ck_assert_str_eq(fx_str_at(p, "metadata.namespace"), "alice");
    ck_assert_str_eq(fx_str_at(p, "spec.selector.matchLabels.mlflow-access"), "true");
    ck_assert_str_eq(fx_str_at(p, "spec.desc"), "Log to this profile's MLflow workspace");
    ck_assert_str_eq(fx_str_at(p, "spec.env.0.name"), "MLFLOW_TRACKING_URI");
    ck_assert_str_eq(fx_str_at(p, "spec.env.0.value"), "http://mlflow:5000");
    ck_assert_str_eq(fx_str_at(p, "spec.env.1.name"), "MLFLOW_WORKSPACE");
    ck_assert_str_eq(fx_str_at(p, "spec.env.1.value"), "alice");
    cJSON_Delete(p);
}
END_TEST

/* A GPU limit no long holds reads as no GPU, not a cast (found by tests/fuzz/fuzz_notebook). */
START_TEST(a_gpu_count_beyond_any_real_one_reads_as_none)
{
    static const char *const counts[] = {"1e300", "-1e300", "9.3e18"};
    for (size_t i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"resources\":"
                 "{\"limits\":{\"nvidia.com/gpu\":%s}}}]}}}}",
                 counts[i]);
        cJSON *nb = fx_json(text);
        cJSON *s = notebook_summary(nb, NULL, &cat, T0);
        const cJSON *gpus = cJSON_GetObjectItem(s, "gpus");
        ck_assert_double_eq(cJSON_GetObjectItem(gpus, "count")->valuedouble, 0);
        ck_assert_str_eq(cJSON_GetObjectItem(gpus, "vendor")->valuestring, "nvidia.com/gpu");
        cJSON_Delete(s);
        cJSON_Delete(nb);
    }
}
END_TEST

RUN_SUITE("notebook", a_notebook_with_a_ready_replica_is_ready,
          the_stopped_annotation_means_stopped_once_no_pod_runs,
          a_deletion_timestamp_means_terminating_before_anything_else,
          image_pull_and_crash_loops_are_errors_with_their_reason,
          a_starting_container_is_waiting_and_other_waits_are_warnings,
          a_terminated_container_is_an_error_with_its_exit_code,
          warning_events_of_the_notebook_explain_a_pod_that_is_not_there,
          conditions_with_a_reason_are_warnings,
          a_notebook_nobody_reported_on_waits_then_is_uninitialized,
          events_are_about_the_notebook_its_statefulset_and_pods_only,
          the_summary_has_what_the_list_shows, a_full_form_builds_the_notebook_jwa_would,
          a_minimal_form_takes_the_defaults,
          without_a_spawner_config_pull_policy_and_shm_are_the_forms_and_no_groups_exist,
          an_existing_or_no_workspace_makes_no_volume, a_custom_image_needs_to_be_asked_for,
          bad_forms_are_refused_with_the_field_named, lists_in_a_form_are_bounded,
          quantities_are_what_kubernetes_accepts, mount_paths_are_absolute_and_stay_where_they_say,
          label_keys_may_carry_a_dns_prefix,
          the_mlflow_poddefault_selects_its_label_and_sets_the_workspace,
          a_gpu_count_beyond_any_real_one_reads_as_none)
