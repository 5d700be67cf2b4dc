/* buf: never grows past its maximum, and the first error sticks. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
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

START_TEST(reads_a_file_within_its_maximum_and_refuses_a_larger_one)
{
    char path[] = "/tmp/kfdash-test-buf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "0123456789", 10), 10);
    close(fd);
    struct buf b;
    buf_init(&b, 10);
    ck_assert_int_eq(buf_read_file(&b, path), 0);
    ck_assert_str_eq(buf_str(&b), "0123456789");
    buf_reset(&b);
    buf_init(&b, 9);
    ck_assert_int_eq(buf_read_file(&b, path), -E2BIG);
    buf_reset(&b);
    unlink(path);
    ck_assert_int_eq(buf_read_file(&b, path), -ENOENT);
}
END_TEST

RUN_SUITE("buf", reads_a_file_within_its_maximum_and_refuses_a_larger_one,
          grows_up_to_its_maximum_and_then_fails_for_good, formats_and_hands_over_its_bytes,
          json_strings_escape_controls_and_replace_invalid_utf8)
