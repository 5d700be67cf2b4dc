/* router: a request reaches exactly the handler its method and path name. */
#include <errno.h>
#include <string.h>

#include "server/http/router.h"
#include "unit.h"

static void h_a(struct http_request *r)
{
    (void)r;
}
static void h_b(struct http_request *r)
{
    (void)r;
}
static void h_c(struct http_request *r)
{
    (void)r;
}
static void h_d(struct http_request *r)
{
    (void)r;
}

static const struct route table[] = {
    {"GET", "/healthz", h_a, 0},
    {"GET", "/api/activities/:namespace", h_b, 0},
    {"POST", "/api/workgroup/add-contributor/:namespace", h_c, 0},
    {NULL, "/notebook/:namespace/:name/*", h_d, 0},
    {"GET", "/api/*", h_a, 0},
    {"DELETE", "/api/*", h_b, 0},
};
#define N (sizeof(table) / sizeof(table[0]))

/* Which handler a match picked: its first index in the table for that handler. */
enum { R_A = 0, R_B = 1, R_C = 2, R_D = 3 };
static int route_of(const struct route_match *m)
{
    route_handler_fn h = m->route->handler;
    return h == h_a ? R_A : h == h_b ? R_B : h == h_c ? R_C : R_D;
}

static const char *param(const struct route_match *m, const char *name)
{
    static char out[256];
    for (size_t i = 0; i < m->n_params; i++)
        if (m->params[i].name_len == strlen(name) &&
            memcmp(m->params[i].name, name, m->params[i].name_len) == 0) {
            memcpy(out, m->params[i].value, m->params[i].value_len);
            out[m->params[i].value_len] = '\0';
            return out;
        }
    return NULL;
}

START_TEST(matches_literal_paths_exactly)
{
    struct route_match m;
    ck_assert_int_eq(router_match(table, N, "GET", "/healthz", &m, NULL, 0), 0);
    ck_assert_int_eq(route_of(&m), R_A);
    ck_assert_int_eq(router_match(table, N, "GET", "/healthz/", &m, NULL, 0), -ENOENT);
    ck_assert_int_eq(router_match(table, N, "GET", "/healthzz", &m, NULL, 0), -ENOENT);
}
END_TEST

START_TEST(captures_named_parameters)
{
    struct route_match m;
    ck_assert_int_eq(router_match(table, N, "GET", "/api/activities/alice", &m, NULL, 0), 0);
    ck_assert_int_eq(route_of(&m), R_B);
    ck_assert_str_eq(param(&m, "namespace"), "alice");
}
END_TEST

START_TEST(a_parameter_needs_a_non_empty_segment)
{
    struct route_match m;
    /* Falls through to the catch-all rather than matching an empty namespace. */
    ck_assert_int_eq(router_match(table, N, "GET", "/api/activities/", &m, NULL, 0), 0);
    ck_assert_int_eq(route_of(&m), R_A);
}
END_TEST

START_TEST(rest_wildcard_takes_the_remaining_segments)
{
    struct route_match m;
    ck_assert_int_eq(
        router_match(table, N, "PUT", "/notebook/alice/nb/api/kernels/1/channels", &m, NULL, 0), 0);
    ck_assert_int_eq(route_of(&m), R_D);
    ck_assert_str_eq(param(&m, "namespace"), "alice");
    ck_assert_str_eq(param(&m, "name"), "nb");
    ck_assert_str_eq(param(&m, "*"), "api/kernels/1/channels");
    ck_assert_int_eq(router_match(table, N, "GET", "/notebook/alice/nb/", &m, NULL, 0), 0);
    ck_assert_str_eq(param(&m, "*"), "");
    ck_assert_int_eq(router_match(table, N, "GET", "/notebook/alice/nb", &m, NULL, 0), 0);
    ck_assert_str_eq(param(&m, "*"), "");
}
END_TEST

START_TEST(wrong_method_is_told_apart_from_unknown_path_and_lists_allowed_methods)
{
    struct route_match m;
    char allow[64];
    ck_assert_int_eq(router_match(table, N, "DELETE", "/healthz", &m, allow, sizeof(allow)),
                     -EPERM);
    ck_assert_str_eq(allow, "GET");
    ck_assert_int_eq(router_match(table, N, "PUT", "/api/workgroup/add-contributor/alice", &m,
                                  allow, sizeof(allow)),
                     -EPERM);
    ck_assert_str_eq(allow, "POST, GET, DELETE");
    ck_assert_int_eq(router_match(table, N, "GET", "/nothing", &m, allow, sizeof(allow)), -ENOENT);
}
END_TEST

START_TEST(first_matching_route_wins)
{
    struct route_match m;
    ck_assert_int_eq(router_match(table, N, "DELETE", "/api/anything", &m, NULL, 0), 0);
    ck_assert_int_eq(route_of(&m), R_B);
    ck_assert_int_eq(router_match(table, N, "GET", "/api/anything/else", &m, NULL, 0), 0);
    ck_assert_int_eq(route_of(&m), R_A);
}
END_TEST

RUN_SUITE("router", matches_literal_paths_exactly, captures_named_parameters,
          a_parameter_needs_a_non_empty_segment, rest_wildcard_takes_the_remaining_segments,
          wrong_method_is_told_apart_from_unknown_path_and_lists_allowed_methods,
          first_matching_route_wins)
