/* k8s/spawner: Kubeflow's spawner_ui_config.yaml for the notebook form; see spawner.h. */
#include "k8s/spawner.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/json.h"
#include "k8s/notebook.h"
#include "k8s/yamltree.h"

#define FACTOR_MAX 100 /* a limit factor beyond this is a typing mistake */
#define PREFIX     "spawnerFormDefaults."

static int bad(char *err, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int bad(char *err, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(err, SPAWNER_ERROR_MAX, format, ap);
    va_end(ap);
    return -EINVAL;
}

/* A value kfdash puts into an object as it is: 1..max bytes, no control characters or spaces. */
static bool is_token(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max && !json_has_control(s, true);
}

/* defaults[name]: NULL when absent or null, err set when not a mapping. */
static int section(const cJSON *defaults, const char *name, const cJSON **ret, char *err)
{
    const cJSON *s = json_item(defaults, name);
    if (s && !cJSON_IsNull(s) && !cJSON_IsObject(s)) return bad(err, PREFIX "%s: a mapping", name);
    *ret = cJSON_IsObject(s) ? s : NULL;
    return 0;
}

static int read_only(const cJSON *sec, const char *name, bool *ret, char *err)
{
    const cJSON *v = json_item(sec, "readOnly");
    if (v && !cJSON_IsNull(v) && !cJSON_IsBool(v))
        return bad(err, PREFIX "%s.readOnly: true or false", name);
    *ret = cJSON_IsTrue(v);
    return 0;
}

/*
 * sec[key] as a string: numbers (an unquoted 0.5) are turned into their text in the tree, so
 * the pointer borrows from it like the others. NULL in *ret when absent or null.
 */
static int string_of(cJSON *sec, const char *key, const char *what, const char **ret, char *err)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, key);
    *ret = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (cJSON_IsNumber(v)) {
        char text[32];
        snprintf(text, sizeof(text), "%.15g", v->valuedouble);
        cJSON *s = cJSON_CreateString(text);
        if (!s) return -ENOMEM;
        cJSON_ReplaceItemViaPointer(sec, v, s);
        v = s;
    }
    if (!cJSON_IsString(v)) return bad(err, PREFIX "%s.%s: a string", what, key);
    *ret = v->valuestring;
    return 0;
}

static int read_images(cJSON *defaults, const char *name, struct spawner_images *ret, char *err)
{
    const cJSON *sec = NULL;
    int r = section(defaults, name, &sec, err);
    if (r < 0 || !sec) return r;
    if ((r = read_only(sec, name, &ret->read_only, err)) < 0 ||
        (r = string_of((cJSON *)sec, "value", name, &ret->value, err)) < 0)
        return r;
    const cJSON *options = json_item(sec, "options"), *o;
    if (options && !cJSON_IsArray(options) && !cJSON_IsNull(options))
        return bad(err, PREFIX "%s.options: a list of images", name);
    cJSON_ArrayForEach(o, (cJSON_IsArray(options) ? options : NULL))
    {
        if (!cJSON_IsString(o) || !is_token(o->valuestring, NOTEBOOK_IMAGE_MAX))
            return bad(err, PREFIX "%s.options: each is an image reference", name);
        if (ret->n_options == SPAWNER_IMAGES_MAX)
            return bad(err, PREFIX "%s.options: at most %d", name, SPAWNER_IMAGES_MAX);
        ret->options[ret->n_options++] = o->valuestring;
    }
    if (!ret->value && ret->n_options) ret->value = ret->options[0];
    if (!ret->value) return bad(err, PREFIX "%s.value: the default image is missing", name);
    if (!is_token(ret->value, NOTEBOOK_IMAGE_MAX))
        return bad(err, PREFIX "%s.value: an image reference", name);
    bool listed = false;
    for (size_t i = 0; i < ret->n_options; i++)
        listed = listed || !strcmp(ret->options[i], ret->value);
    if (!listed) {
        /* The default is offered even when the list forgot it, as Kubeflow's form does. */
        if (ret->n_options == SPAWNER_IMAGES_MAX)
            return bad(err, PREFIX "%s.options: at most %d", name, SPAWNER_IMAGES_MAX);
        memmove(ret->options + 1, ret->options, ret->n_options * sizeof(ret->options[0]));
        ret->options[0] = ret->value;
        ret->n_options++;
    }
    return 0;
}

static int read_resource(cJSON *defaults, const char *name, const char *fallback,
                         struct spawner_resource *ret, char *err)
{
    const cJSON *sec = NULL;
    const char *factor = NULL;
    ret->value = fallback;
    int r = section(defaults, name, &sec, err);
    if (r < 0 || !sec) return r;
    if ((r = read_only(sec, name, &ret->read_only, err)) < 0 ||
        (r = string_of((cJSON *)sec, "value", name, &ret->value, err)) < 0 ||
        (r = string_of((cJSON *)sec, "limitFactor", name, &factor, err)) < 0)
        return r;
    if (!ret->value) ret->value = fallback;
    if (!notebook_is_quantity(ret->value))
        return bad(err, PREFIX "%s.value: a quantity such as %s", name, fallback);
    if (!factor || strcmp(factor, "none") == 0) return 0;
    char *end;
    double f = strtod(factor, &end);
    if (end == factor || *end || !(f >= 1 && f <= FACTOR_MAX))
        return bad(err, PREFIX "%s.limitFactor: a number from 1 to %d, or \"none\"", name,
                   FACTOR_MAX);
    ret->limit_factor = f;
    return 0;
}

static int read_pull_policy(cJSON *defaults, struct spawner_config *s, char *err)
{
    const cJSON *sec = NULL;
    s->pull_policy = "IfNotPresent";
    int r = section(defaults, "imagePullPolicy", &sec, err);
    if (r < 0 || !sec) return r;
    const char *v = NULL;
    if ((r = read_only(sec, "imagePullPolicy", &s->pull_policy_read_only, err)) < 0 ||
        (r = string_of((cJSON *)sec, "value", "imagePullPolicy", &v, err)) < 0)
        return r;
    if (v && strcmp(v, "Always") && strcmp(v, "IfNotPresent") && strcmp(v, "Never"))
        return bad(err, PREFIX "imagePullPolicy.value: Always, IfNotPresent or Never");
    if (v) s->pull_policy = v;
    return 0;
}

static int read_gpus(cJSON *defaults, struct spawner_config *s, char *err)
{
    const cJSON *sec = NULL;
    s->gpu_vendor = "";
    int r = section(defaults, "gpus", &sec, err);
    if (r < 0 || !sec) return r;
    if ((r = read_only(sec, "gpus", &s->gpu_read_only, err)) < 0) return r;
    cJSON *value = cJSON_GetObjectItemCaseSensitive(sec, "value");
    if (!cJSON_IsObject(value)) return 0;
    const cJSON *vendors = json_item(value, "vendors"), *v;
    if (vendors && !cJSON_IsArray(vendors) && !cJSON_IsNull(vendors))
        return bad(err, PREFIX "gpus.value.vendors: a list of {limitsKey, uiName}");
    cJSON_ArrayForEach(v, (cJSON_IsArray(vendors) ? vendors : NULL))
    {
        const char *key = json_text(v, "limitsKey"), *ui = json_text(v, "uiName");
        if (!notebook_is_label_key(key))
            return bad(err, PREFIX "gpus.value.vendors: each limitsKey is a resource name");
        if (s->n_gpu_vendors == SPAWNER_VENDORS_MAX)
            return bad(err, PREFIX "gpus.value.vendors: at most %d", SPAWNER_VENDORS_MAX);
        s->gpu_ui_names[s->n_gpu_vendors] = *ui ? ui : key;
        s->gpu_vendors[s->n_gpu_vendors++] = key;
    }
    const char *vendor = NULL, *num = NULL;
    if ((r = string_of(value, "vendor", "gpus.value", &vendor, err)) < 0 ||
        (r = string_of(value, "num", "gpus.value", &num, err)) < 0)
        return r;
    if (vendor && *vendor) {
        bool known = false;
        for (size_t i = 0; i < s->n_gpu_vendors; i++)
            known = known || !strcmp(vendor, s->gpu_vendors[i]);
        if (!known) return bad(err, PREFIX "gpus.value.vendor: not one of the vendors' limitsKey");
        s->gpu_vendor = vendor;
    }
    if (num && strcmp(num, "none") != 0) {
        char *end;
        long n = strtol(num, &end, 10);
        if (end == num || *end || n < 0 || n > NOTEBOOK_GPUS_MAX)
            return bad(err, PREFIX "gpus.value.num: \"none\" or 0 to %d", NOTEBOOK_GPUS_MAX);
        s->gpu_num = n;
    }
    if (s->gpu_num > 0 && !*s->gpu_vendor)
        return bad(err, PREFIX "gpus.value.num: GPUs by default need a default vendor");
    return 0;
}

static int read_workspace(cJSON *defaults, struct spawner_config *s, char *err)
{
    const cJSON *sec = NULL;
    s->workspace_size = NOTEBOOK_DEFAULT_WORKSPACE_SIZE;
    s->workspace_mount = "/home/jovyan";
    int r = section(defaults, "workspaceVolume", &sec, err);
    if (r < 0 || !sec) return r;
    if ((r = read_only(sec, "workspaceVolume", &s->workspace_read_only, err)) < 0) return r;
    const cJSON *value = json_item(sec, "value");
    if (cJSON_IsNull(value) || (value && !cJSON_IsObject(value))) {
        if (!cJSON_IsNull(value))
            return bad(err, PREFIX "workspaceVolume.value: a mapping or null");
        s->workspace_size = NULL;
        return 0;
    }
    const char *mount = NULL, *size = NULL;
    cJSON *requests = (cJSON *)json_item(
        json_item(json_item(json_item(value, "newPvc"), "spec"), "resources"), "requests");
    if ((r = string_of((cJSON *)value, "mount", "workspaceVolume.value", &mount, err)) < 0 ||
        (r = string_of(requests, "storage", "workspaceVolume.value.newPvc.spec.resources.requests",
                       &size, err)) < 0)
        return r;
    if (mount && !notebook_is_mount_path(mount))
        return bad(err, PREFIX "workspaceVolume.value.mount: an absolute path");
    if (size && !notebook_is_quantity(size))
        return bad(err, PREFIX "workspaceVolume.value.newPvc.spec.resources.requests.storage: a "
                               "quantity such as 5Gi");
    if (mount) s->workspace_mount = mount;
    if (size) s->workspace_size = size;
    return 0;
}

static int read_choice(const cJSON *defaults, const char *name, const char *key_name,
                       const char *object_name, bool list, struct spawner_choice *ret, char *err)
{
    const cJSON *sec = NULL;
    ret->value = "";
    int r = section(defaults, name, &sec, err);
    if (r < 0 || !sec) return r;
    if ((r = read_only(sec, name, &ret->read_only, err)) < 0) return r;
    const cJSON *options = json_item(sec, "options"), *o;
    if (options && !cJSON_IsArray(options) && !cJSON_IsNull(options))
        return bad(err, PREFIX "%s.options: a list", name);
    ret->options = cJSON_IsArray(options) ? options : NULL;
    int i = 0;
    cJSON_ArrayForEach(o, ret->options)
    {
        const char *key = json_text(o, key_name);
        const cJSON *obj = json_item(o, object_name);
        if (!is_token(key, 253))
            return bad(err, PREFIX "%s.options[%d].%s: a name without spaces", name, i, key_name);
        if (list ? !cJSON_IsArray(obj) : !cJSON_IsObject(obj))
            return bad(err, PREFIX "%s.options[%d].%s: a %s", name, i, object_name,
                       list ? "list" : "mapping");
        const cJSON *p;
        for (p = ret->options->child; p != o; p = p->next)
            if (!strcmp(json_text(p, key_name), key))
                return bad(err, PREFIX "%s.options[%d].%s: \"%s\" is used twice", name, i, key_name,
                           key);
        i++;
    }
    const cJSON *v = json_item(sec, "value");
    if (v && !cJSON_IsNull(v) && !cJSON_IsString(v))
        return bad(err, PREFIX "%s.value: a string", name);
    if (cJSON_IsString(v)) ret->value = v->valuestring;
    if (*ret->value && !spawner_choice_find(ret, ret->value))
        return bad(err, PREFIX "%s.value: \"%s\" is not one of the options' %s", name, ret->value,
                   key_name);
    return 0;
}

const cJSON *spawner_choice_find(const struct spawner_choice *c, const char *key)
{
    const cJSON *o;
    if (!key || !*key) return NULL;
    cJSON_ArrayForEach(o, c->options)
    {
        if (strcmp(json_text(o, "configKey"), key) == 0 ||
            strcmp(json_text(o, "groupKey"), key) == 0)
            return o;
    }
    return NULL;
}

static int read_flags(const cJSON *defaults, struct spawner_config *s, char *err)
{
    const cJSON *sec = NULL;
    int r;
    const cJSON *custom = json_item(defaults, "allowCustomImage");
    if (cJSON_IsObject(custom)) custom = json_item(custom, "value"); /* {value: bool} too */
    if (custom && !cJSON_IsNull(custom) && !cJSON_IsBool(custom))
        return bad(err, PREFIX "allowCustomImage: true or false");
    s->allow_custom_image = cJSON_IsTrue(custom);

    s->shm = true;
    if ((r = section(defaults, "shm", &sec, err)) < 0) return r;
    if ((r = read_only(sec, "shm", &s->shm_read_only, err)) < 0) return r;
    const cJSON *shm = json_item(sec, "value");
    if (shm && !cJSON_IsNull(shm) && !cJSON_IsBool(shm))
        return bad(err, PREFIX "shm.value: true or false");
    if (cJSON_IsBool(shm)) s->shm = cJSON_IsTrue(shm);

    if ((r = section(defaults, "dataVolumes", &sec, err)) < 0 ||
        (r = read_only(sec, "dataVolumes", &s->data_volumes_read_only, err)) < 0)
        return r;

    if ((r = section(defaults, "configurations", &sec, err)) < 0 ||
        (r = read_only(sec, "configurations", &s->configurations_read_only, err)) < 0)
        return r;
    const cJSON *labels = json_item(sec, "value"), *l;
    if (labels && !cJSON_IsNull(labels) && !cJSON_IsArray(labels))
        return bad(err, PREFIX "configurations.value: a list of PodDefault labels");
    cJSON_ArrayForEach(l, (cJSON_IsArray(labels) ? labels : NULL))
    {
        if (!cJSON_IsString(l) || !notebook_is_label_key(l->valuestring))
            return bad(err, PREFIX "configurations.value: each is a PodDefault's label key");
        if (s->n_configurations == SPAWNER_LABELS_MAX)
            return bad(err, PREFIX "configurations.value: at most %d", SPAWNER_LABELS_MAX);
        s->configurations[s->n_configurations++] = l->valuestring;
    }
    return 0;
}

static int read_defaults(cJSON *d, struct spawner_config *s, char *err)
{
    int r;
    if ((r = read_images(d, "image", &s->image, err)) < 0) return r;
    if (!s->image.value) return bad(err, PREFIX "image: the Jupyter images are missing");
    if ((r = read_images(d, "imageGroupOne", &s->group_one, err)) < 0 ||
        (r = read_images(d, "imageGroupTwo", &s->group_two, err)) < 0 ||
        (r = read_pull_policy(d, s, err)) < 0 ||
        (r = read_resource(d, "cpu", NOTEBOOK_DEFAULT_CPU, &s->cpu, err)) < 0 ||
        (r = read_resource(d, "memory", NOTEBOOK_DEFAULT_MEMORY, &s->memory, err)) < 0 ||
        (r = read_gpus(d, s, err)) < 0 || (r = read_workspace(d, s, err)) < 0 ||
        (r = read_choice(d, "affinityConfig", "configKey", "affinity", false, &s->affinity, err)) <
            0 ||
        (r = read_choice(d, "tolerationGroup", "groupKey", "tolerations", true, &s->tolerations,
                         err)) < 0)
        return r;
    return read_flags(d, s, err);
}

int spawner_config_parse(const char *text, size_t len, struct spawner_config **ret,
                         char err[SPAWNER_ERROR_MAX])
{
    char why[YAMLTREE_ERROR_MAX];
    cJSON *root = NULL;
    int r = yamltree_parse(text, len, &root, why);
    if (r == -EINVAL) return bad(err, "%s", why);
    if (r < 0) return r;
    cJSON *defaults = cJSON_GetObjectItemCaseSensitive(root, "spawnerFormDefaults");
    if (!cJSON_IsObject(defaults)) {
        cJSON_Delete(root);
        return bad(err, "spawnerFormDefaults: the file has no such mapping");
    }
    struct spawner_config *s = calloc(1, sizeof(*s));
    if (!s) {
        cJSON_Delete(root);
        return -ENOMEM;
    }
    s->root = root;
    if ((r = read_defaults(defaults, s, err)) < 0) {
        spawner_config_free(s);
        return r;
    }
    *ret = s;
    return 0;
}

void spawner_config_free(struct spawner_config *s)
{
    if (!s) return;
    cJSON_Delete(s->root);
    free(s);
}

bool spawner_limit(const char *request, double factor, char *out, size_t size)
{
    static const char *const suffixes[] = {"",   "m",  "k",  "M",  "G",  "T",  "P", "E",
                                           "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", NULL};
    char *end;
    double v = strtod(request, &end);
    if (end == request || !isfinite(v) || v <= 0) return false;
    bool known = false;
    for (const char *const *s = suffixes; *s; s++) known = known || strcmp(end, *s) == 0;
    if (!known) return false;
    double limit = v * factor;
    if (!isfinite(limit) || limit >= 1e15) return false;
    /* Six decimals, then no trailing zeros: 0.6000000000000001 is written 0.6. */
    char number[48];
    snprintf(number, sizeof(number), "%.6f", limit);
    char *dot = strchr(number, '.');
    if (dot) {
        char *z = number + strlen(number) - 1;
        while (z > dot && *z == '0') *z-- = '\0';
        if (z == dot) *z = '\0';
    }
    if (strcmp(number, "0") == 0) return false;
    return snprintf(out, size, "%s%s", number, end) < (int)size;
}

/* ---------------------------------------------------------------- for the web form */

static void add_images(cJSON *groups, const char *name, const struct spawner_images *g, bool *ok)
{
    if (!g->value) return;
    cJSON *o = json_add_object(groups, name, ok);
    json_add_string(o, "value", g->value, ok);
    json_add_item(o, "options", cJSON_CreateStringArray(g->options, (int)g->n_options), ok);
}

static void add_choices(cJSON *j, const char *name, const struct spawner_choice *c,
                        const char *key_name, bool *ok)
{
    cJSON *list = cJSON_CreateArray();
    json_add_item(j, name, list, ok);
    const cJSON *o;
    cJSON_ArrayForEach(o, c->options)
    {
        cJSON *item = cJSON_CreateObject();
        json_add_string(item, "key", json_text(o, key_name), ok);
        const char *shown = json_text(o, "displayName");
        json_add_string(item, "displayName", *shown ? shown : json_text(o, key_name), ok);
        json_add_item(list, NULL, item, ok);
    }
}

cJSON *spawner_form_config(const struct spawner_config *s)
{
    bool ok = true;
    cJSON *j = cJSON_CreateObject();
    json_add_item(j, "images", cJSON_CreateStringArray(s->image.options, (int)s->image.n_options),
                  &ok);
    json_add_string(j, "defaultImage", s->image.value, &ok);
    cJSON *groups = json_add_object(j, "imageGroups", &ok);
    add_images(groups, "group-one", &s->group_one, &ok);
    add_images(groups, "group-two", &s->group_two, &ok);
    json_add_bool(j, "allowCustomImage", s->allow_custom_image, &ok);
    json_add_item(j, "gpuVendors", cJSON_CreateStringArray(s->gpu_vendors, (int)s->n_gpu_vendors),
                  &ok);
    add_choices(j, "affinityConfigs", &s->affinity, "configKey", &ok);
    add_choices(j, "tolerationGroups", &s->tolerations, "groupKey", &ok);

    cJSON *d = json_add_object(j, "defaults", &ok);
    json_add_string(d, "cpu", s->cpu.value, &ok);
    json_add_string(d, "memory", s->memory.value, &ok);
    if (s->workspace_size)
        json_add_string(d, "workspaceSize", s->workspace_size, &ok);
    else
        json_add_item(d, "workspaceSize", cJSON_CreateNull(), &ok);
    json_add_string(d, "imagePullPolicy", s->pull_policy, &ok);
    json_add_string(d, "affinityConfig", s->affinity.value, &ok);
    json_add_string(d, "tolerationGroup", s->tolerations.value, &ok);
    json_add_bool(d, "shm", s->shm, &ok);
    json_add_item(d, "podDefaults",
                  cJSON_CreateStringArray(s->configurations, (int)s->n_configurations), &ok);
    cJSON *gpus = json_add_object(d, "gpus", &ok);
    json_add_number(gpus, "count", (double)s->gpu_num, &ok);
    json_add_string(gpus, "vendor", s->gpu_vendor, &ok);

    cJSON *factors = json_add_object(j, "limitFactors", &ok);
    json_add_number(factors, "cpu", s->cpu.limit_factor, &ok);
    json_add_number(factors, "memory", s->memory.limit_factor, &ok);

    cJSON *ro = json_add_object(j, "readOnly", &ok);
    json_add_bool(ro, "image", s->image.read_only, &ok);
    json_add_bool(ro, "imagePullPolicy", s->pull_policy_read_only, &ok);
    json_add_bool(ro, "cpu", s->cpu.read_only, &ok);
    json_add_bool(ro, "memory", s->memory.read_only, &ok);
    json_add_bool(ro, "gpus", s->gpu_read_only, &ok);
    json_add_bool(ro, "workspace", s->workspace_read_only, &ok);
    json_add_bool(ro, "dataVolumes", s->data_volumes_read_only, &ok);
    json_add_bool(ro, "affinityConfig", s->affinity.read_only, &ok);
    json_add_bool(ro, "tolerationGroup", s->tolerations.read_only, &ok);
    json_add_bool(ro, "shm", s->shm_read_only, &ok);
    json_add_bool(ro, "podDefaults", s->configurations_read_only, &ok);
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}
