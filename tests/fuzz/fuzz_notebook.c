/*
 * Fuzzes k8s/notebook: the create form a client POSTs (notebook_from_form) and the Notebook
 * objects and Events the API server returns (notebook_status, notebook_summary), plus the
 * string checks a form passes through. The input is JSON: a form or a Notebook, or an array of
 * a Notebook and its Events.
 */
#include <cjson/cJSON.h>
#include <errno.h>

#include "fuzz.h"
#include "k8s/name.h"
#include "k8s/notebook.h"

#define NOW 1714561200 /* 2024-05-01T11:00:00Z */

static const char *const images[] = {"kubeflownotebookswg/jupyter-scipy:v1.10.0",
                                     "kubeflownotebookswg/jupyter-pytorch-full:v1.10.0"};
static const char *const vendors[] = {"nvidia.com/gpu", "amd.com/gpu"};
static const struct notebook_catalog cat = {images, 2, vendors, 2, NULL};

static const char *const phases[] = {"ready",         "waiting",     "warning",     "error",
                                     "uninitialized", "unavailable", "terminating", "stopped"};

static void status_of(const cJSON *nb, const cJSON *events)
{
    struct notebook_status s;
    notebook_status(nb, events, NOW, &s);
    bool known = false;
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
        known = known || strcmp(s.phase, phases[i]) == 0;
    FUZZ_CHECK(known && memchr(s.message, '\0', sizeof(s.message)));
    cJSON *summary = notebook_summary(nb, events, &cat, NOW);
    FUZZ_CHECK(summary);
    char *text = cJSON_PrintUnformatted(summary);
    FUZZ_CHECK(text);
    free(text);
    cJSON_Delete(summary);
    const cJSON *e;
    cJSON_ArrayForEach(e, (cJSON_IsArray(events) ? events : NULL))
        notebook_event_is_about(e, "nb1");
}

static void form(const cJSON *f)
{
    cJSON *nb = NULL, *pvcs = NULL;
    char err[NOTEBOOK_ERROR_MAX];
    int r = notebook_from_form(f, &cat, "team-a", "alice@example.com", &nb, &pvcs, err);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        FUZZ_CHECK(!nb && !pvcs && memchr(err, '\0', sizeof(err)) && err[0]);
        return;
    }
    const cJSON *name =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(nb, "metadata"), "name");
    FUZZ_CHECK(cJSON_IsString(name) && k8s_name_is_dns_label(name->valuestring) &&
               strlen(name->valuestring) <= NOTEBOOK_NAME_MAX);
    const cJSON *p;
    cJSON_ArrayForEach(p, pvcs)
    {
        const cJSON *claim = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(p, "metadata"), "name");
        FUZZ_CHECK(cJSON_IsString(claim) && k8s_name_is_dns_label(claim->valuestring));
    }
    /* What kfdash made reads back as a notebook nobody has reported on. */
    status_of(nb, NULL);
    cJSON_Delete(nb);
    cJSON_Delete(pvcs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);
    if (j) {
        form(j);
        if (cJSON_IsArray(j))
            status_of(cJSON_GetArrayItem(j, 0), cJSON_GetArrayItem(j, 1));
        else
            status_of(j, NULL);
        cJSON_Delete(j);
    }
    char *s = fuzz_strndup(data, size);
    notebook_is_quantity(s);
    if (notebook_is_mount_path(s)) FUZZ_CHECK(s[0] == '/' && !strstr(s, "/../"));
    if (notebook_is_label_key(s)) FUZZ_CHECK(strlen(s) <= 253 + 1 + 63);
    cJSON *pd = notebook_mlflow_poddefault("team-a", s);
    FUZZ_CHECK(pd);
    cJSON_Delete(pd);
    free(s);
    return 0;
}
