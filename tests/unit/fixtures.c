/* The unit tests' JSON fixtures (fixtures.h). */
#include "fixtures.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

cJSON *fx_json(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "bad test JSON: %s", text);
    return j;
}

const cJSON *fx_obj(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

const char *fx_str(const cJSON *o, const char *key)
{
    const cJSON *v = fx_obj(o, key);
    ck_assert_msg(cJSON_IsString(v), "%s is not a string", key);
    return v->valuestring;
}

double fx_num(const cJSON *o, const char *key)
{
    const cJSON *v = fx_obj(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
    return v->valuedouble;
}

const cJSON *fx_at(const cJSON *j, const char *path)
{
    char key[128];
    while (j && *path) {
        size_t n = strcspn(path, ".");
        ck_assert_msg(n < sizeof(key), "a step of %s is too long", path);
        memcpy(key, path, n);
        key[n] = '\0';
        j = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, atoi(key)) : fx_obj(j, key);
        path += n + (path[n] == '.');
    }
    return j;
}

const char *fx_str_at(const cJSON *j, const char *path)
{
    const cJSON *v = fx_at(j, path);
    ck_assert_msg(cJSON_IsString(v), "no string at %s", path);
    return v->valuestring;
}
