/* k8s/spawner: Kubeflow's spawner_ui_config.yaml read, published for the form, and enforced by
 * notebook_from_form. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "k8s/notebook.h"
#include "k8s/spawner.h"
#include "unit.h"

/* Written the way an admin's copy of Kubeflow's file reads: comments, quoted quantities, empty
 * lists, compact sequences, a readOnly field or two. */
static const char fixture[] = "# Configuration file for the Kubeflow Notebooks UI.\n"
                              "spawnerFormDefaults:\n"
                              "  allowCustomImage: false\n"
                              "  hideRegistry: true   # not used by kfdash\n"
                              "  imagePullPolicy:\n"
                              "    readOnly: true\n"
                              "    value: Always\n"
                              "  image:\n"
                              "    value: registry.example.com/nb/jupyter-scipy:v2\n"
                              "    options:\n"
                              "      - registry.example.com/nb/jupyter-scipy:v2\n"
                              "      - registry.example.com/nb/jupyter-torch:v2\n"
                              "  imageGroupOne:\n"
                              "    value: registry.example.com/nb/codeserver:v2\n"
                              "    options:\n"
                              "    - registry.example.com/nb/codeserver:v2\n"
                              "  cpu:\n"
                              "    value: \"0.5\"\n"
                              "    limitFactor: \"1.5\"\n"
                              "  memory:\n"
                              "    readOnly: false\n"
                              "    value: 1Gi\n"
                              "    limitFactor: 2\n"
                              "  gpus:\n"
                              "    value:\n"
                              "      vendor: \"\"\n"
                              "      vendors:\n"
                              "        - limitsKey: \"nvidia.com/gpu\"\n"
                              "          uiName: \"NVIDIA\"\n"
                              "      num: \"none\"\n"
                              "  workspaceVolume:\n"
                              "    value:\n"
                              "      mount: /home/jovyan\n"
                              "      newPvc:\n"
                              "        metadata:\n"
                              "          name: \"{notebook-name}-workspace\"\n"
                              "        spec:\n"
                              "          resources:\n"
                              "            requests:\n"
                              "              storage: 10Gi\n"
                              "          accessModes:\n"
                              "            - ReadWriteOnce\n"
                              "  dataVolumes:\n"
                              "    readOnly: false\n"
                              "    value: []\n"
                              "  affinityConfig:\n"
                              "    value: \"\"\n"
                              "    options:\n"
                              "      - configKey: dedicated\n"
                              "        displayName: \"Dedicated node\"\n"
                              "        affinity:\n"
                              "          nodeAffinity:\n"
                              "            requiredDuringSchedulingIgnoredDuringExecution:\n"
                              "              nodeSelectorTerms:\n"
                              "                - matchExpressions:\n"
                              "                    - key: lifecycle\n"
                              "                      operator: In\n"
                              "                      values: [kubeflow-notebook]\n"
                              "  tolerationGroup:\n"
                              "    value: group_1\n"
                              "    options:\n"
                              "      - groupKey: group_1\n"
                              "        displayName: \"4 CPU 8Gb\"\n"
                              "        tolerations:\n"
                              "          - key: dedicated\n"
                              "            operator: Equal\n"
                              "            value: kubeflow-c5.xlarge\n"
                              "            effect: NoSchedule\n"
                              "  shm:\n"
                              "    readOnly: true\n"
                              "    value: false\n"
                              "  configurations:\n"
                              "    value: [add-gcp-secret]\n"
                              "  environment:\n"
                              "    readOnly: false\n"
                              "    value: {}\n";

static struct spawner_config *load(const char *text)
{
    char err[SPAWNER_ERROR_MAX] = "";
    struct spawner_config *s = NULL;
    int r = spawner_config_parse(text, strlen(text), &s, err);
    ck_assert_msg(r == 0, "refused: %s", err);
    return s;
}

static void assert_refused(const char *text, const char *want)
{
    char err[SPAWNER_ERROR_MAX] = "";
    struct spawner_config *s = NULL;
    ck_assert_int_eq(spawner_config_parse(text, strlen(text), &s, err), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err, want), "\"%s\" does not say \"%s\"", err, want);
}

/* notebook_from_form on a JSON form with s: 0 and the Notebook, or the error in err. */
static int create(const struct spawner_config *s, const char *form_text, cJSON **ret_nb,
                  char err[NOTEBOOK_ERROR_MAX])
{
    const struct notebook_catalog cat = {s->image.options, s->image.n_options, s->gpu_vendors,
                                         s->n_gpu_vendors, s};
    cJSON *form = fx_json(form_text), *pvcs = NULL;
    *ret_nb = NULL;
    int r = notebook_from_form(form, &cat, "alice", "alice@example.com", ret_nb, &pvcs, err);
    cJSON_Delete(form);
    cJSON_Delete(pvcs);
    return r;
}

static void assert_create_refused(const struct spawner_config *s, const char *form_text,
                                  const char *want)
{
    char err[NOTEBOOK_ERROR_MAX] = "";
    cJSON *nb;
    ck_assert_int_eq(create(s, form_text, &nb, err), -EINVAL);
    ck_assert_msg(strstr(err, want), "\"%s\" does not say \"%s\"", err, want);
}

START_TEST(reads_kubeflows_file_into_the_form_settings)
{
    struct spawner_config *s = load(fixture);
    ck_assert_str_eq(s->image.value, "registry.example.com/nb/jupyter-scipy:v2");
    ck_assert_uint_eq(s->image.n_options, 2);
    ck_assert_str_eq(s->group_one.options[0], "registry.example.com/nb/codeserver:v2");
    ck_assert_ptr_null(s->group_two.value);
    ck_assert(!s->allow_custom_image);
    ck_assert_str_eq(s->pull_policy, "Always");
    ck_assert(s->pull_policy_read_only);
    ck_assert_str_eq(s->cpu.value, "0.5");
    ck_assert(s->cpu.limit_factor == 1.5);
    ck_assert_str_eq(s->memory.value, "1Gi");
    ck_assert(s->memory.limit_factor == 2); /* written unquoted: a number */
    ck_assert_uint_eq(s->n_gpu_vendors, 1);
    ck_assert_str_eq(s->gpu_ui_names[0], "NVIDIA");
    ck_assert_int_eq(s->gpu_num, 0);
    ck_assert_str_eq(s->workspace_size, "10Gi");
    ck_assert_str_eq(s->tolerations.value, "group_1");
    ck_assert(!s->shm && s->shm_read_only);
    ck_assert_uint_eq(s->n_configurations, 1);
    ck_assert_str_eq(s->configurations[0], "add-gcp-secret");
    spawner_config_free(s);
}
END_TEST

START_TEST(publishes_choices_defaults_and_read_only_fields_for_the_form)
{
    struct spawner_config *s = load(fixture);
    cJSON *j = spawner_form_config(s);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(fx_str(j, "defaultImage"), "registry.example.com/nb/jupyter-scipy:v2");
    ck_assert_str_eq(fx_str_at(j, "imageGroups.group-one.value"),
                     "registry.example.com/nb/codeserver:v2");
    ck_assert_ptr_null(fx_at(j, "imageGroups.group-two"));
    ck_assert(cJSON_IsFalse(fx_obj(j, "allowCustomImage")));
    ck_assert_str_eq(fx_str_at(j, "affinityConfigs.0.key"), "dedicated");
    ck_assert_str_eq(fx_str_at(j, "affinityConfigs.0.displayName"), "Dedicated node");
    ck_assert_str_eq(fx_str_at(j, "tolerationGroups.0.key"), "group_1");
    ck_assert_str_eq(fx_str_at(j, "defaults.tolerationGroup"), "group_1");
    ck_assert_str_eq(fx_str_at(j, "defaults.workspaceSize"), "10Gi");
    ck_assert_str_eq(fx_str_at(j, "defaults.podDefaults.0"), "add-gcp-secret");
    ck_assert(cJSON_IsTrue(fx_at(j, "readOnly.imagePullPolicy")));
    ck_assert(cJSON_IsTrue(fx_at(j, "readOnly.shm")));
    ck_assert(cJSON_IsFalse(fx_at(j, "readOnly.cpu")));
    /* The affinity objects themselves stay on the server. */
    ck_assert_ptr_null(fx_at(j, "affinityConfigs.0.affinity"));
    cJSON_Delete(j);
    spawner_config_free(s);
}
END_TEST

START_TEST(a_create_gets_limits_from_the_factors_and_the_chosen_groups_objects)
{
    struct spawner_config *s = load(fixture);
    char err[NOTEBOOK_ERROR_MAX] = "";
    cJSON *nb;
    ck_assert_msg(create(s,
                         "{\"name\":\"nb1\",\"cpu\":\"500m\",\"memory\":\"1.5Gi\","
                         "\"affinityConfig\":\"dedicated\"}",
                         &nb, err) == 0,
                  "%s", err);
    const char *c = "spec.template.spec.containers.0.";
    char path[128];
#define AT(rest) (snprintf(path, sizeof(path), "%s%s", c, rest), path)
    ck_assert_str_eq(fx_str_at(nb, AT("resources.requests.cpu")), "500m");
    ck_assert_str_eq(fx_str_at(nb, AT("resources.limits.cpu")), "750m");
    ck_assert_str_eq(fx_str_at(nb, AT("resources.limits.memory")), "3Gi");
    ck_assert_str_eq(fx_str_at(nb, AT("imagePullPolicy")), "Always");
    ck_assert_str_eq(fx_str_at(nb, AT("image")), "registry.example.com/nb/jupyter-scipy:v2");
    ck_assert_str_eq(fx_str_at(nb, AT("volumeMounts.0.mountPath")), "/home/jovyan");
    /* shm is off and read-only: no /dev/shm. */
    ck_assert_ptr_null(fx_at(nb, AT("volumeMounts.1")));
#undef AT
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.affinity.nodeAffinity."
                                   "requiredDuringSchedulingIgnoredDuringExecution."
                                   "nodeSelectorTerms.0.matchExpressions.0.values.0"),
                     "kubeflow-notebook");
    /* The default toleration group, and the PodDefault ticked by default. */
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.tolerations.0.value"), "kubeflow-c5.xlarge");
    ck_assert_str_eq(fx_str_at(nb, "spec.template.metadata.labels.add-gcp-secret"), "true");
    cJSON_Delete(nb);

    /* A VS Code server gets its group's default image. */
    ck_assert_int_eq(create(s, "{\"name\":\"nb2\",\"serverType\":\"group-one\"}", &nb, err), 0);
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.containers.0.image"),
                     "registry.example.com/nb/codeserver:v2");
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.containers.0.resources.limits.cpu"), "0.75");
    cJSON_Delete(nb);
    spawner_config_free(s);
}
END_TEST

START_TEST(a_create_is_refused_what_the_file_does_not_allow)
{
    struct spawner_config *s = load(fixture);
    assert_create_refused(s,
                          "{\"name\":\"nb1\",\"image\":\"evil.example.com/x:1\","
                          "\"customImage\":true}",
                          "image: not one of the offered images, and this dashboard allows no");
    assert_create_refused(s,
                          "{\"name\":\"nb1\",\"serverType\":\"group-one\","
                          "\"image\":\"registry.example.com/nb/jupyter-scipy:v2\"}",
                          "image: not one of the offered images");
    assert_create_refused(s, "{\"name\":\"nb1\",\"serverType\":\"group-two\"}",
                          "serverType: this dashboard offers no group-two images");
    assert_create_refused(s, "{\"name\":\"nb1\",\"imagePullPolicy\":\"IfNotPresent\"}",
                          "imagePullPolicy: set by the administrator (readOnly)");
    assert_create_refused(s, "{\"name\":\"nb1\",\"shm\":true}", "shm: set by the administrator");
    assert_create_refused(s, "{\"name\":\"nb1\",\"affinityConfig\":\"nope\"}",
                          "affinityConfig: not one this dashboard offers");
    assert_create_refused(s, "{\"name\":\"nb1\",\"tolerationGroup\":\"group_9\"}",
                          "tolerationGroup: not one this dashboard offers");
    assert_create_refused(s, "{\"name\":\"nb1\",\"gpus\":{\"count\":1,\"vendor\":\"amd.com/gpu\"}}",
                          "gpus: vendor is not one this dashboard offers");
    /* The same value as the file's is no change. */
    char err[NOTEBOOK_ERROR_MAX];
    cJSON *nb;
    ck_assert_int_eq(
        create(s, "{\"name\":\"nb1\",\"imagePullPolicy\":\"Always\",\"shm\":false}", &nb, err), 0);
    cJSON_Delete(nb);
    spawner_config_free(s);
}
END_TEST

START_TEST(read_only_resources_volumes_and_poddefaults_cannot_be_changed)
{
    struct spawner_config *s = load("spawnerFormDefaults:\n"
                                    "  image: {value: a/b:1, options: [a/b:1], readOnly: true}\n"
                                    "  cpu: {value: '1', readOnly: true, limitFactor: none}\n"
                                    "  memory: {value: 2Gi, readOnly: true}\n"
                                    "  workspaceVolume: {readOnly: true, value: null}\n"
                                    "  dataVolumes: {readOnly: true, value: []}\n"
                                    "  configurations: {readOnly: true, value: [a, b]}\n"
                                    "  affinityConfig:\n"
                                    "    readOnly: true\n"
                                    "    value: x\n"
                                    "    options: [{configKey: x, affinity: {}}, "
                                    "{configKey: y, affinity: {}}]\n");
    assert_create_refused(s, "{\"name\":\"n\",\"image\":\"a/c:1\",\"customImage\":true}",
                          "image: set by the administrator");
    assert_create_refused(s, "{\"name\":\"n\",\"cpu\":\"2\"}", "cpu: set by the administrator");
    assert_create_refused(s, "{\"name\":\"n\",\"memory\":\"1Gi\"}", "memory: set by");
    assert_create_refused(s, "{\"name\":\"n\",\"workspace\":{\"mode\":\"new\",\"size\":\"1Gi\"}}",
                          "workspace: set by");
    assert_create_refused(s,
                          "{\"name\":\"n\",\"dataVolumes\":[{\"mode\":\"existing\","
                          "\"pvc\":\"d\",\"mountPath\":\"/data\"}]}",
                          "dataVolumes: set by");
    assert_create_refused(s, "{\"name\":\"n\",\"podDefaults\":[\"a\"]}", "podDefaults: set by");
    assert_create_refused(s, "{\"name\":\"n\",\"affinityConfig\":\"y\"}", "affinityConfig: set by");
    char err[NOTEBOOK_ERROR_MAX];
    cJSON *nb;
    ck_assert_msg(create(s, "{\"name\":\"n\",\"podDefaults\":[\"b\",\"a\"]}", &nb, err) == 0, "%s",
                  err);
    /* No limits (factor none), no workspace (value null), shm by default. */
    ck_assert_ptr_null(fx_at(nb, "spec.template.spec.containers.0.resources.limits"));
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.containers.0.volumeMounts.0.mountPath"),
                     "/dev/shm");
    ck_assert_ptr_nonnull(fx_at(nb, "spec.template.spec.affinity"));
    cJSON_Delete(nb);
    spawner_config_free(s);
}
END_TEST

START_TEST(a_bad_file_is_refused_with_the_line_or_field_named)
{
    assert_refused("spawnerFormDefaults:\n  image:\n    value: a\n   options: []\n", "line 4");
    assert_refused("spawnerFormDefaults:\n  image: &i {value: a}\n", "line 2: YAML anchors");
    assert_refused("other: 1\n", "spawnerFormDefaults: the file has no such mapping");
    assert_refused("spawnerFormDefaults:\n  cpu: {value: '1'}\n",
                   "spawnerFormDefaults.image: the Jupyter images are missing");
    assert_refused("spawnerFormDefaults:\n  image: {value: a}\n  cpu: {limitFactor: '0.5'}\n",
                   "spawnerFormDefaults.cpu.limitFactor: a number from 1 to 100, or \"none\"");
    assert_refused("spawnerFormDefaults:\n  image: {value: a}\n  memory: {value: lots}\n",
                   "spawnerFormDefaults.memory.value: a quantity");
    assert_refused(
        "spawnerFormDefaults:\n  image: {value: a}\n  imagePullPolicy: {value: Sometimes}\n",
        "spawnerFormDefaults.imagePullPolicy.value: Always, IfNotPresent or Never");
    assert_refused("spawnerFormDefaults:\n  image: {value: a}\n"
                   "  tolerationGroup: {value: g, options: []}\n",
                   "spawnerFormDefaults.tolerationGroup.value: \"g\" is not one of the options'");
    assert_refused("spawnerFormDefaults:\n  image: {value: a}\n"
                   "  tolerationGroup: {options: [{groupKey: g, tolerations: {}}]}\n",
                   "spawnerFormDefaults.tolerationGroup.options[0].tolerations: a list");
    assert_refused("spawnerFormDefaults:\n  image: {value: a}\n"
                   "  affinityConfig: {options: [{configKey: k, affinity: {}}, "
                   "{configKey: k, affinity: {}}]}\n",
                   "options[1].configKey: \"k\" is used twice");
    assert_refused("spawnerFormDefaults:\n  image: {value: a}\n  shm: {value: maybe}\n",
                   "spawnerFormDefaults.shm.value: true or false");
    assert_refused("spawnerFormDefaults:\n  image: {value: a}\n  cpu: {readOnly: yes}\n",
                   "spawnerFormDefaults.cpu.readOnly: true or false");
    assert_refused("spawnerFormDefaults:\n  image: {value: a}\n  gpus: {value: {num: '1'}}\n",
                   "GPUs by default need a default vendor");
}
END_TEST

START_TEST(a_default_image_missing_from_its_options_is_offered_first)
{
    struct spawner_config *s =
        load("spawnerFormDefaults:\n  image: {value: a/x:1, options: [a/y:1]}\n");
    ck_assert_uint_eq(s->image.n_options, 2);
    ck_assert_str_eq(s->image.options[0], "a/x:1");
    ck_assert_str_eq(s->pull_policy, "IfNotPresent");
    ck_assert(s->shm);
    ck_assert_str_eq(s->workspace_size, NOTEBOOK_DEFAULT_WORKSPACE_SIZE);
    spawner_config_free(s);
}
END_TEST

START_TEST(custom_images_are_allowed_only_when_the_file_allows_them_and_the_form_asks)
{
    struct spawner_config *s = load("spawnerFormDefaults:\n"
                                    "  allowCustomImage: true\n"
                                    "  image: {value: a/b:1, options: [a/b:1]}\n");
    assert_create_refused(s, "{\"name\":\"n\",\"image\":\"c/d:2\"}",
                          "send \"customImage\": true to use another");
    char err[NOTEBOOK_ERROR_MAX];
    cJSON *nb;
    ck_assert_int_eq(
        create(s, "{\"name\":\"n\",\"image\":\"c/d:2\",\"customImage\":true}", &nb, err), 0);
    ck_assert_str_eq(fx_str_at(nb, "spec.template.spec.containers.0.image"), "c/d:2");
    /* Without a factor there is no limit; without affinity options, choosing one is refused. */
    ck_assert_ptr_null(fx_at(nb, "spec.template.spec.containers.0.resources.limits"));
    cJSON_Delete(nb);
    assert_create_refused(s, "{\"name\":\"n\",\"affinityConfig\":\"x\"}",
                          "affinityConfig: not one this dashboard offers");
    spawner_config_free(s);
}
END_TEST

START_TEST(limits_keep_the_requests_suffix)
{
    char out[48];
    ck_assert(spawner_limit("0.5", 1.2, out, sizeof(out)));
    ck_assert_str_eq(out, "0.6");
    ck_assert(spawner_limit("500m", 1.2, out, sizeof(out)));
    ck_assert_str_eq(out, "600m");
    ck_assert(spawner_limit("1.0Gi", 1.2, out, sizeof(out)));
    ck_assert_str_eq(out, "1.2Gi");
    ck_assert(spawner_limit("1e3", 2, out, sizeof(out)));
    ck_assert_str_eq(out, "2000");
    ck_assert(!spawner_limit("1Zi", 2, out, sizeof(out)));
    ck_assert(!spawner_limit("x", 2, out, sizeof(out)));
    ck_assert(!spawner_limit("1Gi", 2, out, 3));
}
END_TEST

RUN_SUITE("spawner", reads_kubeflows_file_into_the_form_settings,
          publishes_choices_defaults_and_read_only_fields_for_the_form,
          a_create_gets_limits_from_the_factors_and_the_chosen_groups_objects,
          a_create_is_refused_what_the_file_does_not_allow,
          read_only_resources_volumes_and_poddefaults_cannot_be_changed,
          a_bad_file_is_refused_with_the_line_or_field_named,
          a_default_image_missing_from_its_options_is_offered_first,
          custom_images_are_allowed_only_when_the_file_allows_them_and_the_form_asks,
          limits_keep_the_requests_suffix)
