/* auth/base64url: the URL-safe alphabet both ways, and nothing else accepted. */
#include <errno.h>
#include <string.h>

#include "auth/base64url.h"
#include "unit.h"

START_TEST(round_trips_every_length_without_padding)
{
    unsigned char in[64], back[64];
    for (size_t i = 0; i < sizeof(in); i++) in[i] = (unsigned char)(i * 37 + 250);
    for (size_t len = 0; len <= sizeof(in); len++) {
        char text[BASE64URL_SIZE(64)];
        int n = base64url_encode(in, len, text, sizeof(text));
        ck_assert_int_eq(n, (int)strlen(text));
        ck_assert_ptr_null(strpbrk(text, "+/="));
        ck_assert_int_eq(base64url_decode(text, (size_t)n, back, sizeof(back)), (int)len);
        ck_assert_int_eq(memcmp(in, back, len), 0);
    }
}
END_TEST

START_TEST(decodes_known_values)
{
    unsigned char out[16];
    ck_assert_int_eq(base64url_decode("AQAB", 4, out, sizeof(out)), 3);
    ck_assert_int_eq(out[0] << 16 | out[1] << 8 | out[2], 65537);
    ck_assert_int_eq(base64url_decode("_-8", 3, out, sizeof(out)), 2);
    ck_assert_int_eq(out[0], 0xff);
    ck_assert_int_eq(out[1], 0xef);
    ck_assert_int_eq(base64url_decode("AQA=", 4, out, sizeof(out)), 2);
}
END_TEST

START_TEST(refuses_the_standard_alphabet_bad_lengths_and_small_buffers)
{
    unsigned char out[4];
    ck_assert_int_eq(base64url_decode("a+b/", 4, out, sizeof(out)), -EINVAL);
    ck_assert_int_eq(base64url_decode("ab.c", 4, out, sizeof(out)), -EINVAL);
    ck_assert_int_eq(base64url_decode("A", 1, out, sizeof(out)), -EINVAL);
    ck_assert_int_eq(base64url_decode("AAAAAAAA", 8, out, sizeof(out)), -E2BIG);
    char small[4];
    ck_assert_int_eq(base64url_encode("abcd", 4, small, sizeof(small)), -E2BIG);
}
END_TEST

RUN_SUITE("base64url", round_trips_every_length_without_padding, decodes_known_values,
          refuses_the_standard_alphabet_bad_lengths_and_small_buffers)
