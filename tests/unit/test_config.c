/* config: every source applies in order and every bad value is refused with a clear line. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "server/config.h"
#include "unit.h"

static int load(char **argv, char **envp, struct config *c, char err[CONFIG_ERROR_MAX])
{
    int argc = 0;
    while (argv[argc]) argc++;
    enum config_action action;
    return config_load(argc, argv, envp, c, &action, err);
}

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/kfdash-test-config-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

START_TEST(defaults_listen_on_ipv4_and_ipv6_loopback)
{
    char *argv[] = {"kfdash", NULL}, *envp[] = {NULL}, err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), 0);
    ck_assert_uint_eq(c.n_listen, 2);
    ck_assert_str_eq(c.listen[0], "127.0.0.1:8080");
    ck_assert_str_eq(c.listen[1], "[::1]:8080");
    ck_assert_str_eq(c.userid_header, "kubeflow-userid");
    ck_assert(c.registration_flow);
    config_reset(&c);
}
END_TEST

START_TEST(flags_beat_environment_which_beats_the_file)
{
    char *file = write_temp("{\"limits\":{\"max_body_bytes\":2000,\"max_url_bytes\":3000},"
                            "\"threads\":3,\"kubeflow\":{\"logout_url\":\"/from-file\"}}");
    char *argv[] = {"kfdash", "--config", file, "--max-body-bytes=5000", NULL};
    char *envp[] = {"KFDASH_MAX_BODY_BYTES=4000", "KFDASH_MAX_URL_BYTES=4000",
                    "LOGOUT_URL=/oauth2/sign_out", NULL};
    char err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), 0);
    ck_assert_int_eq(c.max_body_bytes, 5000);
    ck_assert_int_eq(c.max_url_bytes, 4000);
    ck_assert_int_eq(c.threads, 3);
    ck_assert_str_eq(c.logout_url, "/oauth2/sign_out");
    config_reset(&c);
    unlink(file);
}
END_TEST

START_TEST(repeated_listen_flags_replace_the_default_list)
{
    char *argv[] = {"kfdash", "--listen", "127.0.0.1:9000", "--listen=[::1]:9001", NULL};
    char *envp[] = {"KFDASH_LISTEN=0.0.0.0:1", NULL}, err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), 0);
    ck_assert_uint_eq(c.n_listen, 2);
    ck_assert_str_eq(c.listen[0], "127.0.0.1:9000");
    ck_assert_str_eq(c.listen[1], "[::1]:9001");
    config_reset(&c);
}
END_TEST

START_TEST(bad_integer_names_the_source_value_and_range)
{
    char *argv[] = {"kfdash", NULL}, *envp[] = {"KFDASH_MAX_BODY_BYTES=12x", NULL};
    char err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), -EINVAL);
    ck_assert_str_eq(err, "KFDASH_MAX_BODY_BYTES = \"12x\": expected an integer from 0 to "
                          "1073741824");
}
END_TEST

START_TEST(out_of_range_flag_is_refused)
{
    char *argv[] = {"kfdash", "--max-header-bytes", "10", NULL}, *envp[] = {NULL};
    char err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), -EINVAL);
    ck_assert_str_eq(err, "--max-header-bytes = \"10\": expected an integer from 1024 to 1048576");
}
END_TEST

START_TEST(unknown_key_in_the_file_is_refused_to_catch_typos)
{
    char *file = write_temp("{\"limits\":{\"max_bdy_bytes\":1}}");
    char *argv[] = {"kfdash", "--config", file, NULL}, *envp[] = {NULL};
    char err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "limits.max_bdy_bytes"));
    ck_assert_ptr_nonnull(strstr(err, "expected a known setting"));
    unlink(file);
}
END_TEST

START_TEST(wrong_json_type_in_the_file_is_refused)
{
    char *file = write_temp("{\"access_log\":\"yes\"}");
    char *argv[] = {"kfdash", "--config", file, NULL}, *envp[] = {NULL};
    char err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "access_log: expected true or false"));
    unlink(file);
}
END_TEST

/* A number far beyond any setting's range is refused before any cast to an integer (found by
 * tests/fuzz/fuzz_config: with a sanitizer, the cast itself was the failure). */
START_TEST(a_huge_number_in_the_file_is_refused_as_no_integer)
{
    static const char *const files[] = {"{\"limits\":{\"max_header_bytes\":1e300}}",
                                        "{\"threads\":-1e19}", "{\"threads\":9.3e18}"};
    for (size_t i = 0; i < 3; i++) {
        char *file = write_temp(files[i]);
        char *argv[] = {"kfdash", "--config", file, NULL}, *envp[] = {NULL};
        char err[CONFIG_ERROR_MAX];
        struct config c;
        ck_assert_int_eq(load(argv, envp, &c, err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, ": expected an integer"));
        unlink(file);
    }
}
END_TEST

START_TEST(unreadable_or_malformed_file_is_refused)
{
    char *argv[] = {"kfdash", "--config", "/nonexistent/kfdash.json", NULL}, *envp[] = {NULL};
    char err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "cannot read"));
    char *file = write_temp("{not json");
    char *argv2[] = {"kfdash", "--config", file, NULL};
    ck_assert_int_eq(load(argv2, envp, &c, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "expected a JSON object"));
    unlink(file);
}
END_TEST

START_TEST(validates_shapes_of_strings)
{
    struct {
        const char *env, *fragment;
    } cases[] = {
        {"KFDASH_LISTEN=8080", "expected host:port"},
        {"KFDASH_LISTEN=[::1]8080", "expected host:port"},
        {"KFDASH_LISTEN=127.0.0.1:70000", "expected host:port"},
        {"USERID_HEADER=bad header", "expected an HTTP header name"},
        {"POD_NAMESPACE=Kube_Flow", "expected a Kubernetes namespace name"},
        {"LOGOUT_URL=//evil.example", "expected empty, a path"},
        {"REGISTRATION_FLOW=maybe", "expected true or false"},
        {"KFDASH_LOG_LEVEL=loud", "expected one of debug"},
        {"KFDASH_WEB_DIR=/nonexistent", "expected an existing directory"},
        {"KFDASH_DASHBOARD_LINKS=[1]", "expected a JSON object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {"kfdash", NULL}, *envp[] = {(char *)cases[i].env, NULL};
        char err[CONFIG_ERROR_MAX];
        struct config c;
        ck_assert_int_eq(load(argv, envp, &c, err), -EINVAL);
        ck_assert_msg(strstr(err, cases[i].fragment), "%s gave: %s", cases[i].env, err);
    }
}
END_TEST

START_TEST(unknown_flag_and_missing_value_are_refused)
{
    char *argv[] = {"kfdash", "--no-such-flag", NULL}, *envp[] = {NULL};
    char err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), -EINVAL);
    ck_assert_str_eq(err, "unknown option --no-such-flag (see --help)");
    char *argv2[] = {"kfdash", "--threads", NULL};
    ck_assert_int_eq(load(argv2, envp, &c, err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "expected a value after it"));
}
END_TEST

START_TEST(check_config_prints_nested_json_of_every_setting)
{
    char *argv[] = {"kfdash", NULL}, *envp[] = {"KFDASH_DASHBOARD_LINKS={\"menuLinks\":[]}", NULL};
    char err[CONFIG_ERROR_MAX];
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), 0);
    char *text = config_to_json(&c);
    cJSON *j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    cJSON *limits = cJSON_GetObjectItem(j, "limits");
    ck_assert_int_eq(cJSON_GetObjectItem(limits, "max_body_bytes")->valueint, 1048576);
    ck_assert(cJSON_IsArray(cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "dashboard"), "links"), "menuLinks")));
    cJSON_Delete(j);
    free(text);
    config_reset(&c);
}
END_TEST

START_TEST(reference_lists_every_environment_name)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    ck_assert_int_eq(config_reference(&b), 0);
    const char *names[] = {"USERID_HEADER", "USERID_PREFIX", "REGISTRATION_FLOW",
                           "LOGOUT_URL",    "KFDASH_LISTEN", "KFDASH_MAX_BODY_BYTES",
                           "POD_NAMESPACE"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_ptr_nonnull(strstr(buf_str(&b), names[i]));
    buf_reset(&b);
}
END_TEST

START_TEST(kubeflows_dashboard_environment_is_read_or_said_to_be_ignored)
{
    /* Kubeflow's Deployment: its ConfigMap's name, its port, and KFAM's address */
    char *argv[] = {"kfdash", NULL}, err[CONFIG_ERROR_MAX];
    char *envp[] = {"DASHBOARD_CONFIGMAP=my-dashboard.v2",
                    "PORT_1=8082",
                    "PROFILES_KFAM_SERVICE_HOST=profiles-kfam.kubeflow",
                    "PROFILES_KFAM_SERVICE_PORT=8081",
                    "USERID_HEADER=x-user",
                    NULL};
    struct config c;
    ck_assert_int_eq(load(argv, envp, &c, err), 0);
    ck_assert_str_eq(c.dashboard_configmap, "my-dashboard.v2");
    ck_assert_int_eq(c.kubeflow_port, 8082);
    ck_assert_uint_eq(c.n_listen, 3); /* the listen addresses, and Kubeflow's port on 0.0.0.0 */
    ck_assert_str_eq(c.listen[2], "0.0.0.0:8082");
    ck_assert_str_eq(c.userid_header, "x-user");
    const char *names[8], *whys[8];
    ck_assert_uint_eq(config_ignored_env(envp, names, whys, 8), 2);
    ck_assert_str_eq(names[0], "PROFILES_KFAM_SERVICE_HOST");
    ck_assert_ptr_nonnull(strstr(whys[0], "API server"));
    ck_assert_str_eq(names[1], "PROFILES_KFAM_SERVICE_PORT");
    config_reset(&c);

    /* the defaults: Kubeflow's ConfigMap name; no extra port */
    char *none[] = {NULL};
    ck_assert_int_eq(load(argv, none, &c, err), 0);
    ck_assert_str_eq(c.dashboard_configmap, "dashboard-config");
    ck_assert_int_eq(c.kubeflow_port, 0);
    ck_assert_uint_eq(c.n_listen, 2);
    ck_assert_uint_eq(config_ignored_env(none, names, whys, 8), 0);
    config_reset(&c);

    /* a listen address with that port already: nothing added */
    char *same[] = {"KFDASH_LISTEN=0.0.0.0:8082", "PORT_1=8082", NULL};
    ck_assert_int_eq(load(argv, same, &c, err), 0);
    ck_assert_uint_eq(c.n_listen, 1);
    config_reset(&c);

    /* an empty name turns the ConfigMap off; a bad one or port is refused */
    char *off[] = {"DASHBOARD_CONFIGMAP=", NULL};
    ck_assert_int_eq(load(argv, off, &c, err), 0);
    ck_assert_str_eq(c.dashboard_configmap, "");
    config_reset(&c);
    char *bad[] = {"DASHBOARD_CONFIGMAP=Dashboard_Config", NULL};
    ck_assert_int_eq(load(argv, bad, &c, err), -EINVAL);
    ck_assert_str_eq(err, "DASHBOARD_CONFIGMAP = \"Dashboard_Config\": expected empty, or a "
                          "Kubernetes object name (DNS-1123 subdomain)");
    char *bad_port[] = {"PORT_1=80820", NULL};
    ck_assert_int_eq(load(argv, bad_port, &c, err), -EINVAL);
    ck_assert_str_eq(err, "PORT_1 = \"80820\": expected an integer from 0 to 65535");
}
END_TEST

RUN_SUITE("config", defaults_listen_on_ipv4_and_ipv6_loopback,
          flags_beat_environment_which_beats_the_file,
          repeated_listen_flags_replace_the_default_list,
          bad_integer_names_the_source_value_and_range, out_of_range_flag_is_refused,
          unknown_key_in_the_file_is_refused_to_catch_typos, wrong_json_type_in_the_file_is_refused,
          a_huge_number_in_the_file_is_refused_as_no_integer,
          unreadable_or_malformed_file_is_refused, validates_shapes_of_strings,
          unknown_flag_and_missing_value_are_refused,
          check_config_prints_nested_json_of_every_setting, reference_lists_every_environment_name,
          kubeflows_dashboard_environment_is_read_or_said_to_be_ignored)
