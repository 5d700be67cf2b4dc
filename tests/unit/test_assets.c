/* assets: lookup by path, and the caching rules browsers rely on. */
#include <string.h>

#include "server/http/assets.h"
#include "unit.h"

static const unsigned char one[] = "a";
static const struct asset table[] = {
    {"/assets/index-1a2b.js", one, 1, NULL, 0, "\"js\""},
    {"/favicon.svg", one, 1, NULL, 0, "\"svg\""},
    {"/index.html", one, 1, one, 1, "\"html\""},
};

START_TEST(finds_assets_by_exact_path_only)
{
    ck_assert_ptr_eq(assets_find(table, 3, "/index.html"), &table[2]);
    ck_assert_ptr_eq(assets_find(table, 3, "/assets/index-1a2b.js"), &table[0]);
    ck_assert_ptr_null(assets_find(table, 3, "/index.htm"));
    ck_assert_ptr_null(assets_find(table, 3, "/assets/"));
}
END_TEST

START_TEST(embedded_table_is_sorted_and_has_index_html)
{
    for (size_t i = 1; i < assets_embedded_count; i++)
        ck_assert_int_lt(strcmp(assets_embedded[i - 1].path, assets_embedded[i].path), 0);
    ck_assert_ptr_nonnull(assets_find(assets_embedded, assets_embedded_count, "/index.html"));
}
END_TEST

START_TEST(content_types_follow_the_extension)
{
    ck_assert_str_eq(assets_content_type("/index.html"), "text/html; charset=utf-8");
    ck_assert_str_eq(assets_content_type("/assets/a.b-1.js"), "text/javascript; charset=utf-8");
    ck_assert_str_eq(assets_content_type("/x.CSS"), "text/css; charset=utf-8");
    ck_assert_str_eq(assets_content_type("/dir.d/file"), "application/octet-stream");
}
END_TEST

START_TEST(only_hashed_assets_are_immutable)
{
    ck_assert(assets_is_immutable("/assets/index-1a2b.js"));
    ck_assert(!assets_is_immutable("/index.html"));
    ck_assert(!assets_is_immutable("/assetsx/a.js"));
}
END_TEST

START_TEST(if_none_match_compares_lists_weak_tags_and_star)
{
    ck_assert(assets_etag_matches("\"abc\"", "\"abc\""));
    ck_assert(assets_etag_matches("\"x\", W/\"abc\"", "\"abc\""));
    ck_assert(assets_etag_matches("*", "\"abc\""));
    ck_assert(assets_etag_matches("W/\"1-2\"", "W/\"1-2\""));
    ck_assert(!assets_etag_matches("\"abcd\"", "\"abc\""));
    ck_assert(!assets_etag_matches("abc", "\"abc\""));
    ck_assert(!assets_etag_matches(NULL, "\"abc\""));
    ck_assert(!assets_etag_matches("\"abc", "\"abc\""));
}
END_TEST

START_TEST(gzip_is_used_only_when_accepted)
{
    ck_assert(assets_accepts_gzip("gzip, deflate, br"));
    ck_assert(assets_accepts_gzip("br;q=1.0, gzip;q=0.8"));
    ck_assert(assets_accepts_gzip("*"));
    ck_assert(!assets_accepts_gzip("gzip;q=0"));
    ck_assert(!assets_accepts_gzip("br, deflate"));
    ck_assert(!assets_accepts_gzip("x-gzip2"));
    ck_assert(!assets_accepts_gzip(NULL));
}
END_TEST

RUN_SUITE("assets", finds_assets_by_exact_path_only, embedded_table_is_sorted_and_has_index_html,
          content_types_follow_the_extension, only_hashed_assets_are_immutable,
          if_none_match_compares_lists_weak_tags_and_star, gzip_is_used_only_when_accepted)
