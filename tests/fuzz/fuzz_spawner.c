/*
 * Fuzzes k8s/yamltree and k8s/spawner: a spawner_ui_config.yaml as an admin hands it over
 * (yamltree_parse, spawner_config_parse), then what kfdash makes of an accepted one: the form's
 * settings for /api/config, and notebooks built from forms that take its defaults and pick its
 * choices.
 */
#include <cjson/cJSON.h>
#include <errno.h>

#include "fuzz.h"
#include "k8s/notebook.h"
#include "k8s/spawner.h"
#include "k8s/yamltree.h"

static void tree(const uint8_t *data, size_t size)
{
    char err[YAMLTREE_ERROR_MAX];
    cJSON *j = NULL;
    int r = yamltree_parse((const char *)data, size, &j, err);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)));
        FUZZ_CHECK(size > YAMLTREE_INPUT_MAX || strncmp(err, "line ", 5) == 0);
        return;
    }
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    FUZZ_CHECK(!j || text);
    free(text);
    cJSON_Delete(j);
}

/* A form taking the defaults, or choosing the first affinity and toleration options. */
static void create(const struct spawner_config *s, const char *form_text)
{
    const struct notebook_catalog cat = {s->image.options, s->image.n_options, s->gpu_vendors,
                                         s->n_gpu_vendors, s};
    cJSON *form = cJSON_Parse(form_text), *nb = NULL, *pvcs = NULL;
    FUZZ_CHECK(form);
    const cJSON *a = cJSON_GetArrayItem(s->affinity.options, 0);
    const cJSON *t = cJSON_GetArrayItem(s->tolerations.options, 0);
    if (a)
        cJSON_AddStringToObject(form, "affinityConfig",
                                cJSON_GetStringValue(cJSON_GetObjectItem(a, "configKey")));
    if (t)
        cJSON_AddStringToObject(form, "tolerationGroup",
                                cJSON_GetStringValue(cJSON_GetObjectItem(t, "groupKey")));
    char err[NOTEBOOK_ERROR_MAX];
    int r = notebook_from_form(form, &cat, "ns1", "alice@example.com", &nb, &pvcs, err);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r == 0) {
        char *text = cJSON_PrintUnformatted(nb);
        FUZZ_CHECK(text);
        free(text);
    }
    cJSON_Delete(nb);
    cJSON_Delete(pvcs);
    cJSON_Delete(form);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tree(data, size);
    char err[SPAWNER_ERROR_MAX];
    struct spawner_config *s = NULL;
    int r = spawner_config_parse((const char *)data, size, &s, err);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        FUZZ_CHECK(!s && memchr(err, '\0', sizeof(err)));
        return 0;
    }
    FUZZ_CHECK(s->image.value && s->image.n_options > 0 && s->pull_policy);
    cJSON *j = spawner_form_config(s);
    FUZZ_CHECK(j);
    cJSON_Delete(j);
    create(s, "{\"name\":\"nb1\"}");
    create(s, "{\"name\":\"nb1\",\"serverType\":\"group-one\",\"cpu\":\"250m\","
              "\"memory\":\"3Gi\"}");
    spawner_config_free(s);
    return 0;
}
