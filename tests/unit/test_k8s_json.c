/* k8s/json: readers answer "absent" for anything, adders remember a failure, form strings are
 * bounded and clean. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "k8s/json.h"
#include "unit.h"

START_TEST(readers_answer_absent_for_missing_or_mistyped_members)
{
    cJSON *o = cJSON_Parse("{\"s\":\"x\",\"n\":2.5,\"o\":{\"k\":\"v\"},\"a\":[1]}");
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_text(json_item(o, "o"), "k"), "v");
    ck_assert_str_eq(json_text(o, "s"), "x");
    ck_assert(json_number(o, "n") == 2.5);
    /* Missing, of another type, or asked of something that is not an object. */
    ck_assert_str_eq(json_text(o, "missing"), "");
    ck_assert_str_eq(json_text(o, "n"), "");
    ck_assert(json_number(o, "s") == 0);
    ck_assert_ptr_null(json_item(json_item(o, "a"), "0"));
    ck_assert_ptr_null(json_item(NULL, "s"));
    ck_assert_str_eq(json_text(json_item(json_item(o, "s"), "deeper"), "still"), "");
    cJSON_Delete(o);
}
END_TEST

START_TEST(adders_remember_a_failure_and_free_what_they_could_not_add)
{
    bool ok = true;
    cJSON *o = cJSON_CreateObject();
    cJSON *inner = json_add_object(o, "inner", &ok);
    json_add_string(inner, "s", "v", &ok);
    json_add_number(inner, "n", 3, &ok);
    json_add_bool(inner, "b", true, &ok);
    json_add_item(o, "list", cJSON_CreateArray(), &ok);
    json_add_item(cJSON_GetObjectItem(o, "list"), NULL, cJSON_CreateString("x"), &ok);
    ck_assert(ok);
    char *text = cJSON_PrintUnformatted(o);
    ck_assert_str_eq(text, "{\"inner\":{\"s\":\"v\",\"n\":3,\"b\":true},\"list\":[\"x\"]}");
    cJSON_free(text);

    /* A missing parent (an earlier failure) fails every later add; the child is freed (the
     * sanitizers' leak check proves it). */
    cJSON *none = json_add_object(NULL, "x", &ok);
    ck_assert_ptr_null(none);
    ck_assert(!ok);
    ok = true;
    json_add_item(none, "child", cJSON_CreateObject(), &ok);
    ck_assert(!ok);
    ok = true;
    json_add_string(none, "s", "v", &ok);
    ck_assert(!ok);
    /* Once failed, it stays failed. */
    json_add_string(o, "fine", "v", &ok);
    ck_assert(!ok);
    cJSON_Delete(o);
}
END_TEST

START_TEST(form_strings_are_bounded_and_free_of_control_characters)
{
    cJSON *f = cJSON_Parse("{\"ok\":\"a b\",\"empty\":\"\",\"null\":null,\"num\":1,"
                           "\"long\":\"abcdef\",\"ctl\":\"a\\u0001b\"}");
    char err[JSON_ERROR_MAX];
    const char *v = NULL;
    ck_assert_int_eq(json_get_string(f, "ok", true, 8, false, &v, err), 0);
    ck_assert_str_eq(v, "a b");
    /* Absent, null or "": fine unless required. */
    ck_assert_int_eq(json_get_string(f, "missing", false, 8, true, &v, err), 0);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(json_get_string(f, "null", false, 8, true, &v, err), 0);
    ck_assert_int_eq(json_get_string(f, "empty", true, 8, true, &v, err), -EINVAL);
    ck_assert_str_eq(err, "empty: required");
    ck_assert_int_eq(json_get_string(f, "num", false, 8, true, &v, err), -EINVAL);
    ck_assert_str_eq(err, "num: a string");
    ck_assert_int_eq(json_get_string(f, "long", false, 5, true, &v, err), -EINVAL);
    ck_assert_str_eq(err, "long: at most 5 bytes");
    ck_assert_int_eq(json_get_string(f, "ctl", false, 8, false, &v, err), -EINVAL);
    ck_assert_str_eq(err, "ctl: no control characters");
    /* Tight: no spaces either. */
    ck_assert_int_eq(json_get_string(f, "ok", false, 8, true, &v, err), -EINVAL);
    ck_assert_str_eq(err, "ok: no control characters or spaces");
    ck_assert(json_has_control("a\tb", false) && json_has_control("a\x7f", false));
    ck_assert(!json_has_control("a b", false) && json_has_control("a b", true));
    cJSON_Delete(f);
}
END_TEST

RUN_SUITE("k8s_json", readers_answer_absent_for_missing_or_mistyped_members,
          adders_remember_a_failure_and_free_what_they_could_not_add,
          form_strings_are_bounded_and_free_of_control_characters)
