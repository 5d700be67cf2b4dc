/*
 * k8s/json: reading Kubernetes objects and clients' forms without checking every step, and
 * building objects that remember a failure instead of checking every call.
 *
 * Readers take anything (NULL, a non-object) and answer "absent"; adders take a NULL parent and
 * note the failure in *ok, so a builder checks ok once at its end. Pure, thread-safe. Used by
 * k8s/isvc, k8s/sparkapp and k8s/notebook.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* What a refused form string is explained in, at most (the modules' own *_ERROR_MAX). */
#define JSON_ERROR_MAX 256

/* o[key] when o is an object, else NULL (borrowed from o). */
const struct cJSON *json_item(const struct cJSON *o, const char *key);
/* o[key] when a string, else "" (borrowed from o). */
const char *json_text(const struct cJSON *o, const char *key);
/* o[key] when a number, else 0. */
double json_number(const struct cJSON *o, const char *key);

/* cJSON_Add*ToObject that clear *ok when out of memory (or o is NULL). */
void json_add_string(struct cJSON *o, const char *key, const char *value, bool *ok);
void json_add_number(struct cJSON *o, const char *key, double value, bool *ok);
void json_add_bool(struct cJSON *o, const char *key, bool value, bool *ok);
/* Adds child (taken; deleted when it cannot be added) to an object, or to an array when key is
 * NULL. */
void json_add_item(struct cJSON *o, const char *key, struct cJSON *child, bool *ok);
/* A new empty object at o[key] (borrowed from o), or NULL with *ok cleared. */
struct cJSON *json_add_object(struct cJSON *o, const char *key, bool *ok);

/* s holds a control character (or a space, when or_space). */
bool json_has_control(const char *s, bool or_space);
/*
 * A form's o[key] as a string of 1..max bytes without control characters (nor spaces when
 * tight): 0 and *ret borrowed from o, or NULL in *ret when absent (null or "") and not required;
 * -EINVAL with the reason (naming key) in err.
 */
int json_get_string(const struct cJSON *o, const char *key, bool required, size_t max, bool tight,
                    const char **ret, char err[JSON_ERROR_MAX]);
