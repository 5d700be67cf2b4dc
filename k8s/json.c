/* k8s/json: see json.h. */
#include "k8s/json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- reading */

const cJSON *json_item(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

const char *json_text(const cJSON *o, const char *key)
{
    const cJSON *v = json_item(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

double json_number(const cJSON *o, const char *key)
{
    const cJSON *v = json_item(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* ---------------------------------------------------------------- building */

void json_add_string(cJSON *o, const char *key, const char *value, bool *ok)
{
    *ok = cJSON_AddStringToObject(o, key, value) && *ok;
}

void json_add_number(cJSON *o, const char *key, double value, bool *ok)
{
    *ok = cJSON_AddNumberToObject(o, key, value) && *ok;
}

void json_add_bool(cJSON *o, const char *key, bool value, bool *ok)
{
    *ok = cJSON_AddBoolToObject(o, key, value) && *ok;
}

void json_add_item(cJSON *o, const char *key, cJSON *child, bool *ok)
{
    bool added =
        child && o && (key ? cJSON_AddItemToObject(o, key, child) : cJSON_AddItemToArray(o, child));
    if (!added) cJSON_Delete(child);
    *ok = added && *ok;
}

cJSON *json_add_object(cJSON *o, const char *key, bool *ok)
{
    cJSON *child = o ? cJSON_AddObjectToObject(o, key) : NULL;
    *ok = child && *ok;
    return child;
}

/* ---------------------------------------------------------------- a form's strings */

bool json_has_control(const char *s, bool or_space)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || (or_space && *s == ' ')) return true;
    return false;
}

__attribute__((format(printf, 2, 3))) static int refuse(char err[JSON_ERROR_MAX], const char *fmt,
                                                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, JSON_ERROR_MAX, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

int json_get_string(const cJSON *o, const char *key, bool required, size_t max, bool tight,
                    const char **ret, char err[JSON_ERROR_MAX])
{
    const cJSON *v = json_item(o, key);
    *ret = NULL;
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
        return required ? refuse(err, "%s: required", key) : 0;
    if (!cJSON_IsString(v)) return refuse(err, "%s: a string", key);
    if (strlen(v->valuestring) > max) return refuse(err, "%s: at most %zu bytes", key, max);
    if (json_has_control(v->valuestring, tight))
        return refuse(err, "%s: no control characters%s", key, tight ? " or spaces" : "");
    *ret = v->valuestring;
    return 0;
}
