/* lib: the base layer's small pieces: clocks and RFC 3339 times, hex, the byte ring, the TTL
 * cache, and the buffer's front drop. */
#include <errno.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/hex.h"
#include "lib/ring.h"
#include "lib/ttl_cache.h"
#include "unit.h"

START_TEST(rfc3339_times_parse_and_format_both_ways)
{
    ck_assert_int_eq(rfc3339_parse("1970-01-01T00:00:00Z"), 0);
    ck_assert_int_eq(rfc3339_parse("2024-05-01T10:00:00Z"), 1714557600);
    ck_assert_int_eq(rfc3339_parse("2024-05-01T10:00:00.123456Z"), 1714557600);
    char out[RFC3339_SIZE];
    rfc3339_format(1714557600, out);
    ck_assert_str_eq(out, "2024-05-01T10:00:00Z");
    ck_assert_int_eq(rfc3339_parse(out), 1714557600);
}
END_TEST

START_TEST(what_is_not_an_rfc3339_utc_time_is_minus_one)
{
    const char *bad[] = {NULL,
                         "",
                         "2024-05-01",
                         "2024-05-01T10:00:00",
                         "2024-05-01T10:00:00+02:00",
                         "2024-05-01T10:00:00.Z",
                         "2024-05-01T10:00:00Zjunk",
                         "2024-13-01T10:00:00Z",
                         "2024-05-01T25:00:00Z",
                         "2O24-05-01T10:00:00Z",
                         "-024-05-01T10:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(rfc3339_parse(bad[i]) == -1, "accepted %s", bad[i] ? bad[i] : "NULL");
}
END_TEST

START_TEST(monotonic_clocks_do_not_go_back)
{
    int64_t a = clock_us(), b = clock_us();
    ck_assert_int_ge(b, a);
    ck_assert_int_ge(clock_ms(), a / 1000);
}
END_TEST

START_TEST(hex_encodes_decodes_and_refuses_what_is_not_hex)
{
    const unsigned char bytes[] = {0x00, 0x7f, 0xa0, 0xff};
    char text[9];
    hex_encode(bytes, sizeof(bytes), text);
    ck_assert_str_eq(text, "007fa0ff");
    unsigned char back[4];
    ck_assert_int_eq(hex_decode("007FA0ff", 8, back, sizeof(back)), 0);
    ck_assert_mem_eq(back, bytes, sizeof(bytes));
    ck_assert_int_eq(hex_decode("007fa0f", 7, back, sizeof(back)), -EINVAL);
    ck_assert_int_eq(hex_decode("007fa0fg", 8, back, sizeof(back)), -EINVAL);
    ck_assert_int_eq(hex_decode("007fa0ff00", 10, back, sizeof(back)), -EINVAL);
    ck_assert(hex_is_lower("00ff", 1, 4));
    ck_assert(!hex_is_lower("00FF", 1, 4));
    ck_assert(!hex_is_lower("00ff0", 1, 4));
    ck_assert(!hex_is_lower("", 1, 4));
    char r1[33], r2[33];
    ck_assert_int_eq(hex_random(r1, 16), 0);
    ck_assert_int_eq(hex_random(r2, 16), 0);
    ck_assert(hex_is_lower(r1, 32, 32));
    ck_assert_str_ne(r1, r2);
}
END_TEST

START_TEST(a_ring_keeps_order_across_its_wrap_and_never_overfills)
{
    char storage[8];
    struct ring r;
    ring_init(&r, storage, sizeof(storage));
    ck_assert_uint_eq(ring_put(&r, "abcdef", 6), 6);
    char out[16] = "";
    ck_assert_uint_eq(ring_get(&r, out, 4), 4);
    ck_assert_mem_eq(out, "abcd", 4);
    /* ef are queued at the end; this wraps */
    ck_assert_uint_eq(ring_put(&r, "ghijklmnop", 10), 6);
    ck_assert_uint_eq(ring_len(&r), 8);
    ck_assert_uint_eq(ring_room(&r), 0);
    size_t n;
    ring_space(&r, &n);
    ck_assert_uint_eq(n, 0);
    memset(out, 0, sizeof(out));
    ck_assert_uint_eq(ring_get(&r, out, sizeof(out)), 8);
    ck_assert_str_eq(out, "efghijkl");
    ck_assert_uint_eq(ring_len(&r), 0);
}
END_TEST

START_TEST(a_ring_lends_its_bytes_and_room_in_place)
{
    char storage[8];
    struct ring r;
    ring_init(&r, storage, sizeof(storage));
    size_t room;
    char *at = ring_space(&r, &room);
    ck_assert_uint_eq(room, 8);
    memcpy(at, "012345", 6);
    ring_commit(&r, 6);
    size_t have;
    const char *p = ring_peek(&r, &have);
    ck_assert_uint_eq(have, 6);
    ck_assert_mem_eq(p, "012345", 6);
    ring_consume(&r, 5);
    /* one byte left, at the end: the room is split, the first piece is the tail */
    at = ring_space(&r, &room);
    ck_assert_uint_eq(room, 2);
    memcpy(at, "67", 2);
    ring_commit(&r, 2);
    at = ring_space(&r, &room);
    ck_assert_uint_eq(room, 5);
    p = ring_peek(&r, &have);
    ck_assert_uint_eq(have, 3);
    ck_assert_mem_eq(p, "567", 3);
}
END_TEST

static int64_t fake_now;
static int64_t fake_clock(void)
{
    return fake_now;
}

static int freed;
static void count_free(void *v)
{
    freed++;
    free(v);
}

static void copy_text(void *out, const void *value, long number)
{
    strcpy(out, value);
}

START_TEST(cached_values_live_their_time_and_no_longer)
{
    struct ttl_cache *c;
    fake_now = 1000;
    freed = 0;
    ck_assert_int_eq(ttl_cache_new(4, 2, count_free, fake_clock, &c), 0);
    ttl_cache_put(c, "alice", 5, strdup("one"), 7, 500);
    char out[16] = "";
    ck_assert(ttl_cache_get(c, "alice", 5, copy_text, out));
    ck_assert_str_eq(out, "one");
    ck_assert(!ttl_cache_get(c, "alic", 4, NULL, NULL));
    fake_now += 499;
    ck_assert(ttl_cache_get(c, "alice", 5, NULL, NULL));
    fake_now += 1;
    ck_assert(!ttl_cache_get(c, "alice", 5, NULL, NULL));
    /* a put over the same key replaces (and frees) the old value */
    ttl_cache_put(c, "alice", 5, strdup("two"), 0, 500);
    ttl_cache_put(c, "alice", 5, strdup("three"), 0, 500);
    ck_assert_int_eq(freed, 2);
    ck_assert(ttl_cache_get(c, "alice", 5, copy_text, out));
    ck_assert_str_eq(out, "three");
    ttl_cache_drop(c, "alice", 5);
    ck_assert(!ttl_cache_get(c, "alice", 5, NULL, NULL));
    ck_assert_int_eq(freed, 3);
    ttl_cache_free(c);
}
END_TEST

START_TEST(a_claim_is_refused_while_it_lives_and_never_pushes_out_a_live_one)
{
    struct ttl_cache *c;
    fake_now = 0;
    ck_assert_int_eq(ttl_cache_new(1, 2, NULL, fake_clock, &c), 0); /* two slots in all */
    ck_assert_int_eq(ttl_cache_claim(c, "a", 1, 100), 0);
    ck_assert_int_eq(ttl_cache_claim(c, "a", 1, 100), -EEXIST);
    ck_assert_int_eq(ttl_cache_claim(c, "b", 1, 100), 0);
    /* full of live claims: a third is refused, and neither of the others forgotten */
    ck_assert_int_eq(ttl_cache_claim(c, "c", 1, 100), -ENOSPC);
    ck_assert_int_eq(ttl_cache_claim(c, "a", 1, 100), -EEXIST);
    ck_assert_int_eq(ttl_cache_claim(c, "b", 1, 100), -EEXIST);
    fake_now = 100; /* both expired: their slots are free again */
    ck_assert_int_eq(ttl_cache_claim(c, "c", 1, 100), 0);
    ck_assert_int_eq(ttl_cache_claim(c, "a", 1, 100), 0);
    /* put, unlike claim, makes room by pushing out the one expiring first */
    fake_now = 150;
    ttl_cache_put(c, "d", 1, NULL, 4, 10);
    ck_assert(ttl_cache_get(c, "d", 1, NULL, NULL));
    ttl_cache_free(c);
}
END_TEST

START_TEST(a_buffer_drops_its_front_and_keeps_the_rest)
{
    struct buf b;
    buf_init(&b, 64);
    buf_adds(&b, "line one\nline two");
    buf_drop_front(&b, 9);
    ck_assert_str_eq(buf_str(&b), "line two");
    buf_drop_front(&b, 100);
    ck_assert_str_eq(buf_str(&b), "");
    ck_assert_int_eq(buf_error(&b), 0);
    buf_reset(&b);
}
END_TEST

RUN_SUITE("lib", rfc3339_times_parse_and_format_both_ways,
          what_is_not_an_rfc3339_utc_time_is_minus_one, monotonic_clocks_do_not_go_back,
          hex_encodes_decodes_and_refuses_what_is_not_hex,
          a_ring_keeps_order_across_its_wrap_and_never_overfills,
          a_ring_lends_its_bytes_and_room_in_place, cached_values_live_their_time_and_no_longer,
          a_claim_is_refused_while_it_lives_and_never_pushes_out_a_live_one,
          a_buffer_drops_its_front_and_keeps_the_rest)
