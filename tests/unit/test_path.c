/* path: the path a handler sees is the path that was checked. */
#include <errno.h>
#include <string.h>

#include "server/http/path.h"
#include "unit.h"

static int norm(const char *in, char **path, char **raw)
{
    return path_normalize(in, strlen(in), path, raw);
}

static void expect(const char *in, const char *want_path, const char *want_raw)
{
    char *path = NULL, *raw = NULL;
    ck_assert_int_eq(norm(in, &path, &raw), 0);
    ck_assert_str_eq(path, want_path);
    ck_assert_str_eq(raw, want_raw);
    free(path);
    free(raw);
}

static void expect_error(const char *in, int err)
{
    char *path = (char *)"untouched", *raw = (char *)"untouched";
    ck_assert_int_eq(norm(in, &path, &raw), err);
    ck_assert_str_eq(path, "untouched");
    ck_assert_str_eq(raw, "untouched");
}

START_TEST(keeps_a_plain_path_and_its_trailing_slash)
{
    expect("/", "/", "/");
    expect("/api/namespaces", "/api/namespaces", "/api/namespaces");
    expect("/notebook/alice/nb/", "/notebook/alice/nb/", "/notebook/alice/nb/");
}
END_TEST

START_TEST(merges_repeated_slashes)
{
    expect("//api///activities//alice", "/api/activities/alice", "/api/activities/alice");
}
END_TEST

START_TEST(resolves_dot_segments_plain_and_encoded)
{
    expect("/api/x/../namespaces", "/api/namespaces", "/api/namespaces");
    expect("/api/%2e%2e/healthz", "/healthz", "/healthz");
    expect("/api/%2E%2e/./healthz", "/healthz", "/healthz");
    expect("/a/b/..", "/a/", "/a/");
    expect("/a/.", "/a/", "/a/");
}
END_TEST

START_TEST(refuses_to_climb_above_the_root)
{
    expect_error("/..", -EINVAL);
    expect_error("/a/../../etc/passwd", -EINVAL);
    expect_error("/%2e%2e/etc/passwd", -EINVAL);
}
END_TEST

START_TEST(refuses_encoded_slashes_and_backslashes)
{
    expect_error("/notebook/alice%2F..%2Fbob/nb/", -EINVAL);
    expect_error("/api/x%2fy", -EINVAL);
    expect_error("/api/x%5cy", -EINVAL);
}
END_TEST

START_TEST(refuses_nul_and_control_characters)
{
    expect_error("/index.html%00.js", -EINVAL);
    expect_error("/a%0d%0aSet-Cookie:x", -EINVAL);
    expect_error("/a\tb", -EINVAL);
}
END_TEST

START_TEST(refuses_bad_escapes_and_relative_targets)
{
    expect_error("/a%", -EINVAL);
    expect_error("/a%2", -EINVAL);
    expect_error("/a%zz", -EINVAL);
    expect_error("http://evil.example/", -EINVAL);
    expect_error("*", -EINVAL);
    expect_error("", -EINVAL);
}
END_TEST

START_TEST(decodes_for_checks_but_keeps_encoding_for_forwarding)
{
    expect("/api/activities/al%69ce", "/api/activities/alice", "/api/activities/al%69ce");
    expect("/files/a%20b", "/files/a b", "/files/a%20b");
}
END_TEST

START_TEST(refuses_paths_longer_than_the_maximum)
{
    char *big = malloc(PATH_MAX_BYTES + 2);
    memset(big, 'a', PATH_MAX_BYTES + 1);
    big[0] = '/';
    big[PATH_MAX_BYTES + 1] = '\0';
    char *path, *raw;
    ck_assert_int_eq(norm(big, &path, &raw), -E2BIG);
    free(big);
}
END_TEST

START_TEST(decodes_query_components)
{
    char *v;
    ck_assert_int_eq(path_decode_component("a+b%2Fc", 7, 1, &v), 0);
    ck_assert_str_eq(v, "a b/c");
    free(v);
    ck_assert_int_eq(path_decode_component("a+b", 3, 0, &v), 0);
    ck_assert_str_eq(v, "a+b");
    free(v);
    ck_assert_int_eq(path_decode_component("x%00y", 5, 1, &v), -EINVAL);
    ck_assert_int_eq(path_decode_component("x%4", 3, 1, &v), -EINVAL);
}
END_TEST

RUN_SUITE("path", keeps_a_plain_path_and_its_trailing_slash, merges_repeated_slashes,
          resolves_dot_segments_plain_and_encoded, refuses_to_climb_above_the_root,
          refuses_encoded_slashes_and_backslashes, refuses_nul_and_control_characters,
          refuses_bad_escapes_and_relative_targets,
          decodes_for_checks_but_keeps_encoding_for_forwarding,
          refuses_paths_longer_than_the_maximum, decodes_query_components)
