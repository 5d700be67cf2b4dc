/* limits: each oversized part of a request gets its own status. */
#include <errno.h>

#include "server/http/limits.h"
#include "unit.h"

static const struct config cfg = {
    .max_url_bytes = 100,
    .max_header_bytes = 1000,
    .max_body_bytes = 5000,
    .max_connections = 10,
};

static unsigned status_of(struct limits_request req)
{
    struct limits_refusal refusal = {0};
    int r = limits_check(&cfg, &req, &refusal);
    if (r == 0) return 0;
    ck_assert_ptr_nonnull(refusal.message);
    return refusal.status;
}

static struct limits_request ok(void)
{
    return (struct limits_request){.target_bytes = 100,
                                   .header_bytes = 1000,
                                   .header_count = 10,
                                   .open_connections = 10,
                                   .content_length = "5000"};
}

START_TEST(accepts_a_request_exactly_at_every_limit)
{
    ck_assert_uint_eq(status_of(ok()), 0);
}
END_TEST

START_TEST(long_target_gets_414)
{
    struct limits_request r = ok();
    r.target_bytes = 101;
    ck_assert_uint_eq(status_of(r), 414);
}
END_TEST

START_TEST(large_or_many_headers_get_431)
{
    struct limits_request r = ok();
    r.header_bytes = 1001;
    ck_assert_uint_eq(status_of(r), 431);
    r = ok();
    r.header_count = LIMITS_MAX_HEADERS + 1;
    ck_assert_uint_eq(status_of(r), 431);
}
END_TEST

START_TEST(too_many_connections_get_503)
{
    struct limits_request r = ok();
    r.open_connections = 11;
    ck_assert_uint_eq(status_of(r), 503);
}
END_TEST

START_TEST(declared_body_over_the_limit_gets_413_before_it_is_read)
{
    struct limits_request r = ok();
    r.content_length = "5001";
    ck_assert_uint_eq(status_of(r), 413);
    r.content_length = "99999999999999999999999999";
    ck_assert_uint_eq(status_of(r), 413);
}
END_TEST

START_TEST(malformed_content_length_gets_400)
{
    struct limits_request r = ok();
    const char *bad[] = {"-1", "12abc", "", " 5", "+5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r.content_length = bad[i];
        ck_assert_uint_eq(status_of(r), 400);
    }
}
END_TEST

RUN_SUITE("limits", accepts_a_request_exactly_at_every_limit, long_target_gets_414,
          large_or_many_headers_get_431, too_many_connections_get_503,
          declared_body_over_the_limit_gets_413_before_it_is_read,
          malformed_content_length_gets_400)
