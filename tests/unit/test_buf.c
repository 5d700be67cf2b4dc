/* buf: never grows past its maximum, and the first error sticks. */
#include <errno.h>
#include <string.h>

#include "server/buf.h"
#include "unit.h"

START_TEST(grows_up_to_its_maximum_and_then_fails_for_good)
{
    struct buf b;
    buf_init(&b, 10);
    ck_assert_int_eq(buf_adds(&b, "12345"), 0);
    ck_assert_int_eq(buf_adds(&b, "67890"), 0);
    ck_assert_int_eq(buf_adds(&b, "x"), -E2BIG);
    ck_assert_int_eq(buf_adds(&b, ""), -E2BIG);
    ck_assert_int_eq(buf_error(&b), -E2BIG);
    ck_assert_ptr_null(buf_take(&b, NULL));
    buf_reset(&b);
}
END_TEST

START_TEST(formats_and_hands_over_its_bytes)
{
    struct buf b;
    buf_init(&b, 100);
    buf_addf(&b, "%s=%d", "n", 42);
    size_t len;
    char *s = buf_take(&b, &len);
    ck_assert_str_eq(s, "n=42");
    ck_assert_uint_eq(len, 4);
    ck_assert_str_eq(buf_str(&b), "");
    free(s);
    buf_reset(&b);
}
END_TEST

START_TEST(json_strings_escape_controls_and_replace_invalid_utf8)
{
    struct buf b;
    buf_init(&b, 100);
    buf_add_json_string(&b, "a\"b\\c\n\x01\xc3\xa9\xff");
    ck_assert_str_eq(buf_str(&b), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd\"");
    buf_reset(&b);
}
END_TEST

RUN_SUITE("buf", grows_up_to_its_maximum_and_then_fails_for_good, formats_and_hands_over_its_bytes,
          json_strings_escape_controls_and_replace_invalid_utf8)
