/* The unit tests' JSON fixtures: a test's JSON text parsed, and the members a test reads, each
 * failing the test (with the key or path named) rather than crashing it when it is not there. */
#pragma once

#include <cjson/cJSON.h>

/* `text` parsed; the test fails on text that is not JSON. */
cJSON *fx_json(const char *text);

/* The member `key` of o, or NULL (also when o is NULL or not an object). */
const cJSON *fx_obj(const cJSON *o, const char *key);

/* The string member `key` of o; the test fails when it is missing or not a string. */
const char *fx_str(const cJSON *o, const char *key);

/* The number member `key` of o; the test fails when it is missing or not a number. */
double fx_num(const cJSON *o, const char *key);

/* Where a dotted path leads from j: object members by name, array items by number
 * ("spec.containers.0.name"); NULL when a step is missing. */
const cJSON *fx_at(const cJSON *j, const char *path);

/* The string at a dotted path from j; the test fails when there is none. */
const char *fx_str_at(const cJSON *j, const char *path);
