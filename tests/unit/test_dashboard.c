/* dashboard: only links in Kubeflow's shape are served to the web app. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "server/api/dashboard.h"
#include "unit.h"

static int check(const char *json, char err[DASHBOARD_ERROR_MAX])
{
    cJSON *j = cJSON_Parse(json);
    int r = dashboard_validate_links(j, err);
    cJSON_Delete(j);
    return r;
}

START_TEST(accepts_kubeflow_default_links)
{
    char err[DASHBOARD_ERROR_MAX];
    ck_assert_int_eq(
        check(
            "{\"menuLinks\":[{\"type\":\"item\",\"link\":\"/jupyter/\",\"text\":\"Notebooks\","
            "\"icon\":\"book\"},{\"type\":\"section\",\"text\":\"Pipelines\",\"icon\":\"x\","
            "\"items\":[{\"type\":\"item\",\"link\":\"/pipeline/#/runs\",\"text\":\"Runs\"}]}],"
            "\"externalLinks\":[],\"quickLinks\":[{\"desc\":\"d\",\"link\":\"/l\",\"text\":\"t\"}],"
            "\"documentationItems\":[{\"desc\":\"d\",\"link\":\"https://x\",\"text\":\"t\"}]}",
            err),
        0);
    ck_assert_int_eq(check("{}", err), 0);
}
END_TEST

START_TEST(names_the_entry_that_is_malformed)
{
    char err[DASHBOARD_ERROR_MAX];
    ck_assert_int_eq(
        check("{\"menuLinks\":[{\"text\":\"a\",\"link\":\"/a\"},{\"text\":\"b\"}]}", err), -EINVAL);
    ck_assert_str_eq(err, "dashboard links: menuLinks[1]: expected strings \"text\" and \"link\"");
    ck_assert_int_eq(check("{\"menuLinks\":[{\"type\":\"section\",\"text\":\"s\",\"items\":"
                           "[{\"text\":1,\"link\":\"/x\"}]}]}",
                           err),
                     -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "menuLinks[0].items[0]"));
    ck_assert_int_eq(check("{\"quickLinks\":{}}", err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "quickLinks: expected an array"));
}
END_TEST

START_TEST(sections_are_only_allowed_in_the_menu)
{
    char err[DASHBOARD_ERROR_MAX];
    ck_assert_int_eq(check("{\"externalLinks\":[{\"type\":\"section\",\"text\":\"s\","
                           "\"items\":[]}]}",
                           err),
                     -EINVAL);
}
END_TEST

RUN_SUITE("dashboard", accepts_kubeflow_default_links, names_the_entry_that_is_malformed,
          sections_are_only_allowed_in_the_menu)
