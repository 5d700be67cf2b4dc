/* k8s/kubeconfig: the context kubectl would use, or a clear line saying why not; never a crash. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "k8s/kubeconfig.h"
#include "unit.h"

#define CA_PEM "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n"
#define CA_B64                                                                                     \
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJjYQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg=="
#define KEY_PEM "-----BEGIN EC PRIVATE KEY-----\nMHcCAQ\n-----END EC PRIVATE KEY-----\n"
#define KEY_B64                                                                                    \
    "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUQotLS0tLUVORCBFQyBQUklWQVRFIEtFWS0tLS0tCg=="

/* Two of everything; the current context is the second. */
static const char two_contexts[] = "apiVersion: v1\n"
                                   "kind: Config\n"
                                   "clusters:\n"
                                   "- name: dev\n"
                                   "  cluster:\n"
                                   "    server: https://dev.example:6443\n"
                                   "    insecure-skip-tls-verify: true\n"
                                   "- name: prod\n"
                                   "  cluster:\n"
                                   "    server: https://prod.example:6443/\n"
                                   "    certificate-authority: /etc/prod/ca.crt\n"
                                   "users:\n"
                                   "- name: alice\n"
                                   "  user:\n"
                                   "    token: alice-token\n"
                                   "- name: ops\n"
                                   "  user:\n"
                                   "    token: \"ops-token\"\n"
                                   "contexts:\n"
                                   "- name: dev\n"
                                   "  context: {cluster: dev, user: alice}\n"
                                   "- name: prod\n"
                                   "  context:\n"
                                   "    cluster: prod\n"
                                   "    user: ops\n"
                                   "    namespace: kubeflow\n"
                                   "current-context: prod\n";

static int parse_in(const char *text, const char *dir, const char *context,
                    struct k8s_kubeconfig *k, char err[K8S_KUBECONFIG_ERROR_MAX])
{
    err[0] = '\0';
    return k8s_kubeconfig_parse(text, strlen(text), dir, context, k, err);
}

static int parse(const char *text, struct k8s_kubeconfig *k, char err[K8S_KUBECONFIG_ERROR_MAX])
{
    return parse_in(text, "/etc/kube", NULL, k, err);
}

/* Refused with exactly this reason, and *ret left alone. */
static void assert_refused(const char *text, const char *reason)
{
    struct k8s_kubeconfig k = {.server = (char *)"untouched"};
    char err[K8S_KUBECONFIG_ERROR_MAX];
    ck_assert_int_eq(parse(text, &k, err), -EINVAL);
    ck_assert_str_eq(err, reason);
    ck_assert_str_eq(k.server, "untouched");
}

START_TEST(picks_the_current_context_cluster_and_user)
{
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    ck_assert_int_eq(parse(two_contexts, &k, err), 0);
    ck_assert_str_eq(k.server, "https://prod.example:6443"); /* the trailing slash dropped */
    ck_assert_str_eq(k.namespace, "kubeflow");
    ck_assert_str_eq(k.ca_file, "/etc/prod/ca.crt");
    ck_assert_ptr_null(k.ca_data);
    ck_assert(!k.insecure);
    ck_assert_str_eq(k.token, "ops-token");
    ck_assert_ptr_null(k.token_file);
    ck_assert_ptr_null(k.cert_file);
    ck_assert_ptr_null(k.key_data);
    k8s_kubeconfig_reset(&k);
    ck_assert_ptr_null(k.server);
    k8s_kubeconfig_reset(&k); /* idempotent */
    k8s_kubeconfig_reset(NULL);
}
END_TEST

START_TEST(picks_the_context_asked_for_over_the_current_one)
{
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    ck_assert_int_eq(parse_in(two_contexts, "/etc/kube", "dev", &k, err), 0);
    ck_assert_str_eq(k.server, "https://dev.example:6443");
    ck_assert_ptr_null(k.namespace);
    ck_assert_ptr_null(k.ca_file);
    ck_assert(k.insecure);
    ck_assert_str_eq(k.token, "alice-token");
    k8s_kubeconfig_reset(&k);
    ck_assert_int_eq(parse_in(two_contexts, "/etc/kube", "", &k, err), 0); /* "" = current */
    ck_assert_str_eq(k.server, "https://prod.example:6443");
    k8s_kubeconfig_reset(&k);
}
END_TEST

static const char relative_paths[] = "clusters:\n"
                                     "- name: c\n"
                                     "  cluster:\n"
                                     "    server: https://10.0.0.1:6443\n"
                                     "    certificate-authority: ca.crt\n"
                                     "users:\n"
                                     "- name: u\n"
                                     "  user:\n"
                                     "    client-certificate: ../pki/admin.crt\n"
                                     "    client-key: /abs/admin.key\n"
                                     "    tokenFile: secrets/token\n"
                                     "    token: ignored-when-tokenFile-is-set\n"
                                     "contexts:\n"
                                     "- name: c\n"
                                     "  context: {cluster: c, user: u}\n"
                                     "current-context: c\n";

START_TEST(resolves_relative_paths_against_the_file_dir)
{
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    const char *dirs[] = {"/home/me/.kube", "/home/me/.kube/"};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(parse_in(relative_paths, dirs[i], NULL, &k, err), 0);
        ck_assert_str_eq(k.ca_file, "/home/me/.kube/ca.crt");
        ck_assert_str_eq(k.cert_file, "/home/me/.kube/../pki/admin.crt");
        ck_assert_str_eq(k.key_file, "/abs/admin.key");
        ck_assert_str_eq(k.token_file, "/home/me/.kube/secrets/token");
        ck_assert_ptr_null(k.token); /* client-go re-reads tokenFile over token */
        k8s_kubeconfig_reset(&k);
    }
    ck_assert_int_eq(parse_in(relative_paths, "/", NULL, &k, err), 0);
    ck_assert_str_eq(k.ca_file, "/ca.crt");
    k8s_kubeconfig_reset(&k);
    ck_assert_int_eq(parse_in(relative_paths, NULL, NULL, &k, err), -EINVAL);
    ck_assert_str_eq(err,
                     "kubeconfig: cluster \"c\": certificate-authority \"ca.crt\" is relative, "
                     "but the kubeconfig's directory is unknown");
}
END_TEST

START_TEST(decodes_certificate_authority_data)
{
    static const char text[] =
        "clusters:\n"
        "- name: c\n"
        "  cluster:\n"
        "    server: https://127.0.0.1:6443\n"
        "    certificate-authority: ignored.crt\n"
        "    certificate-authority-data: " CA_B64 "\n"
        "users:\n"
        "- name: u\n"
        "  user:\n"
        "    client-certificate-data: |\n"
        "      LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJjYQotLS0tLUVORCBD\n"
        "      RVJUSUZJQ0FURS0tLS0tCg==\n"
        "    client-key-data: " KEY_B64 "\n"
        "    client-key: ignored.key\n"
        "contexts:\n"
        "- {name: c, context: {cluster: c, user: u}}\n"
        "current-context: c\n";
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    ck_assert_int_eq(parse(text, &k, err), 0);
    ck_assert_uint_eq(k.ca_len, strlen(CA_PEM));
    ck_assert_str_eq((char *)k.ca_data, CA_PEM); /* NUL-terminated, as mbedtls wants PEM */
    ck_assert_ptr_null(k.ca_file);               /* the data wins, as in client-go */
    ck_assert_uint_eq(k.cert_len, strlen(CA_PEM));
    ck_assert_mem_eq(k.cert_data, CA_PEM, k.cert_len); /* line breaks in the base64 skipped */
    ck_assert_uint_eq(k.key_len, strlen(KEY_PEM));
    ck_assert_mem_eq(k.key_data, KEY_PEM, k.key_len);
    ck_assert_ptr_null(k.key_file);
    ck_assert_ptr_null(k.token);
    k8s_kubeconfig_reset(&k);
}
END_TEST

START_TEST(refuses_data_that_is_not_standard_base64)
{
    /* base64url's alphabet, and garbage. */
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h', "
                   "certificate-authority-data: 'LS0t-_8='}}]\n"
                   "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
                   "kubeconfig: cluster \"c\": certificate-authority-data is not valid base64");
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "users: [{name: u, user: {client-certificate-data: '" CA_B64 "', "
                   "client-key-data: 'not base64!'}}]\n"
                   "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
                   "kubeconfig: user \"u\": client-key-data is not valid base64");
}
END_TEST

/* The pairing is judged on what was read: certificate data of spaces and line breaks only
 * decodes to nothing, so a key beside it has no certificate (found by tests/fuzz). */
START_TEST(a_client_key_beside_certificate_data_that_decodes_to_nothing_is_refused)
{
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "users: [{name: u, user: {client-certificate-data: '   ', "
                   "client-key-data: '" KEY_B64 "'}}]\n"
                   "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
                   "kubeconfig: user \"u\" has a client key but no client certificate");
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "users: [{name: u, user: {client-certificate: /etc/u.crt, "
                   "client-key-data: \"\\t\"}}]\n"
                   "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
                   "kubeconfig: user \"u\" has a client certificate but no client key");
}
END_TEST

START_TEST(refuses_exec_credentials_with_a_clear_error)
{
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h:6443'}}]\n"
                   "users:\n"
                   "- name: admin\n"
                   "  user:\n"
                   "    exec:\n"
                   "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                   "      command: aws\n"
                   "      args: [eks, get-token]\n"
                   "contexts: [{name: c, context: {cluster: c, user: admin}}]\n"
                   "current-context: c\n",
                   "kubeconfig: user \"admin\" uses exec credentials, which kfdash does not run");
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h:6443'}}]\n"
                   "users: [{name: g, user: {auth-provider: {name: gcp}}}]\n"
                   "contexts: [{name: c, context: {cluster: c, user: g}}]\n"
                   "current-context: c\n",
                   "kubeconfig: user \"g\" uses auth-provider credentials, which kfdash does not "
                   "run");
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h:6443'}}]\n"
                   "users: [{name: b, user: {username: bob, password: secret}}]\n"
                   "contexts: [{name: c, context: {cluster: c, user: b}}]\n"
                   "current-context: c\n",
                   "kubeconfig: user \"b\" uses username, which kfdash does not support");
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h:6443', proxy-url: "
                   "'http://p:3128'}}]\n"
                   "contexts: [{name: c, context: {cluster: c}}]\n"
                   "current-context: c\n",
                   "kubeconfig: cluster \"c\" uses proxy-url, which kfdash does not support");
}
END_TEST

START_TEST(refuses_a_missing_context)
{
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    ck_assert_int_eq(parse_in(two_contexts, "/etc/kube", "x", &k, err), -EINVAL);
    ck_assert_str_eq(err, "kubeconfig: context \"x\" not found");
    assert_refused("current-context: gone\n", "kubeconfig: context \"gone\" not found");
}
END_TEST

START_TEST(names_the_cluster_or_user_that_is_missing)
{
    assert_refused("contexts: [{name: c, context: {cluster: nope, user: u}}]\ncurrent-context: c\n",
                   "kubeconfig: cluster \"nope\" of context \"c\" not found");
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "contexts: [{name: c, context: {cluster: c, user: ghost}}]\n"
                   "current-context: c\n",
                   "kubeconfig: user \"ghost\" of context \"c\" not found");
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "contexts: [{name: c, context: {cluster: c}}]\n",
                   "kubeconfig: no current-context set, and no context chosen");
    assert_refused("", "kubeconfig: no current-context set, and no context chosen");
    assert_refused("contexts: [{name: c, context: {user: u}}]\ncurrent-context: c\n",
                   "kubeconfig: context \"c\" names no cluster");
    assert_refused("clusters: [{name: c, cluster: {certificate-authority: /ca}}]\n"
                   "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
                   "kubeconfig: cluster \"c\" has no server");
    assert_refused("clusters: [{name: c, cluster: {server: https://a}}, {name: c, cluster: {}}]\n"
                   "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
                   "kubeconfig: more than one cluster named \"c\"");
}
END_TEST

START_TEST(a_user_is_optional_but_a_client_certificate_needs_its_key)
{
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    ck_assert_int_eq(parse("clusters: [{name: c, cluster: {server: 'http://127.0.0.1:8001'}}]\n"
                           "contexts: [{name: c, context: {cluster: c, user: ~, namespace: ''}}]\n"
                           "current-context: c\n",
                           &k, err),
                     0);
    ck_assert_str_eq(k.server, "http://127.0.0.1:8001"); /* kubectl proxy */
    ck_assert_ptr_null(k.namespace);
    ck_assert_ptr_null(k.token);
    k8s_kubeconfig_reset(&k);
    assert_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "users: [{name: u, user: {client-certificate: a.crt}}]\n"
                   "contexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
                   "kubeconfig: user \"u\" has a client certificate but no client key");
}
END_TEST

START_TEST(refuses_a_server_that_is_not_an_http_url)
{
    const char *bad[] = {"ftp://h",       "h:6443",         "https://",         "https:///path",
                         "https://h/a b", "https://h/?x=1", "https://h\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512], reason[K8S_KUBECONFIG_ERROR_MAX];
        snprintf(text, sizeof(text),
                 "clusters: [{name: c, cluster: {server: \"%s\"}}]\n"
                 "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
                 bad[i]);
        snprintf(reason, sizeof(reason),
                 "kubeconfig: cluster \"c\": server \"%s\" is not an http:// or https:// URL",
                 i == 6 ? "https://h??" : bad[i]);
        assert_refused(text, reason);
    }
    assert_refused("clusters: [{name: c, cluster: {server: https://h, "
                   "insecure-skip-tls-verify: true, certificate-authority: /ca}}]\n"
                   "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
                   "kubeconfig: cluster \"c\" sets both insecure-skip-tls-verify and a "
                   "certificate authority");
    assert_refused("clusters: [{name: c, cluster: {server: https://h, "
                   "insecure-skip-tls-verify: maybe}}]\n"
                   "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
                   "kubeconfig: cluster \"c\": insecure-skip-tls-verify is not true or false");
}
END_TEST

START_TEST(survives_malformed_yaml)
{
    const char *bad[] = {
        "{",
        "[",
        "a: b: c",
        "key: \"unterminated",
        "\t- tab",
        "just a string",
        "- a\n- b\n",
        "clusters: 5\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: c}}]",
        "clusters: [1, 2]\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: c}}]",
        "contexts: {a: b}\ncurrent-context: c\n",
        "contexts: [{name: c, context: [x]}]\ncurrent-context: c\n",
        "contexts: [{name: [c], context: {}}]\ncurrent-context: c\n",
        "current-context: [x]\n",
        "current-context: c\ncontexts: [{name: c, context: {cluster: {x: y}}}]\n",
        "\xff\xfe\x00garbage",
        "a: \xc3\x28\n",
        "a: &x [1]\nb: *x\n",
        "a: *nowhere\n",
        "---\na: 1\n---\nb: 2\n",
        "? [complex, key]\n: value\ncurrent-context: c\n",
        "current-context: \"a\\0b\"\n",
        "!!binary current-context: x\n",
        "%YAML 9.9\n---\na: 1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct k8s_kubeconfig k = {.server = (char *)"untouched"};
        char err[K8S_KUBECONFIG_ERROR_MAX];
        size_t len = i == 14 ? 10 : strlen(bad[i]); /* past its NUL */
        int r = k8s_kubeconfig_parse(bad[i], len, "/", NULL, &k, err);
        ck_assert_msg(r == -EINVAL, "input %zu: %d", i, r);
        ck_assert_msg(strncmp(err, "kubeconfig: ", 12) == 0 && !strchr(err, '\n'), "input %zu: %s",
                      i, err);
        ck_assert_str_eq(k.server, "untouched");
    }
    /* Nesting deep enough to overflow a recursive parser. */
    static char deep[200001];
    memset(deep, '[', 100000);
    memset(deep + 100000, ']', 100000);
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    ck_assert_int_eq(k8s_kubeconfig_parse(deep, 200000, "/", NULL, &k, err), -EINVAL);
    /* Every prefix and many one-byte corruptions of a good file: a result or a reason. */
    char copy[sizeof(relative_paths)];
    for (size_t n = 0; n < sizeof(relative_paths); n++) {
        memcpy(copy, relative_paths, sizeof(copy));
        int r = k8s_kubeconfig_parse(copy, n, "/d", NULL, &k, err);
        ck_assert(r == 0 || r == -EINVAL);
        if (r == 0) k8s_kubeconfig_reset(&k);
        for (size_t j = 0; j < 4; j++) {
            copy[n] = "\0:-[{&*\"'\n #!|>%@`\t\\"[(n + j * 5) % 21];
            r = k8s_kubeconfig_parse(copy, sizeof(copy) - 1, "/d", NULL, &k, err);
            ck_assert(r == 0 || r == -EINVAL);
            if (r == 0) k8s_kubeconfig_reset(&k);
        }
    }
}
END_TEST

START_TEST(bounds_the_file_the_entries_and_the_strings)
{
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    size_t size = 2 * K8S_KUBECONFIG_MAX_BYTES;
    char *text = malloc(size);
    ck_assert_ptr_nonnull(text);

    memset(text, '#', K8S_KUBECONFIG_MAX_BYTES + 1);
    ck_assert_int_eq(k8s_kubeconfig_parse(text, K8S_KUBECONFIG_MAX_BYTES + 1, "/", NULL, &k, err),
                     -EINVAL);
    ck_assert_str_eq(err, "kubeconfig: larger than 1048576 bytes");

    for (int entries = K8S_KUBECONFIG_MAX_ENTRIES; entries <= K8S_KUBECONFIG_MAX_ENTRIES + 1;
         entries++) {
        size_t n = (size_t)snprintf(text, size,
                                    "current-context: c\n"
                                    "contexts: [{name: c, context: {cluster: c0}}]\n"
                                    "clusters:\n");
        for (int i = 0; i < entries; i++)
            n += (size_t)snprintf(text + n, size - n,
                                  "- {name: c%d, cluster: {server: 'https://h%d'}}\n", i, i);
        int r = k8s_kubeconfig_parse(text, n, "/", NULL, &k, err);
        if (entries == K8S_KUBECONFIG_MAX_ENTRIES) {
            ck_assert_int_eq(r, 0);
            ck_assert_str_eq(k.server, "https://h0");
            k8s_kubeconfig_reset(&k);
        } else {
            ck_assert_int_eq(r, -EINVAL);
            ck_assert_str_eq(err, "kubeconfig: more than 1000 clusters");
        }
    }

    size_t n = (size_t)snprintf(text, size, "current-context: ");
    memset(text + n, 'x', K8S_KUBECONFIG_MAX_STRING + 1);
    n += K8S_KUBECONFIG_MAX_STRING + 1;
    ck_assert_int_eq(k8s_kubeconfig_parse(text, n, "/", NULL, &k, err), -EINVAL);
    ck_assert_str_eq(err, "kubeconfig: line 1: a value longer than 65536 bytes");

    /* Many tiny nodes: refused before they cost much memory. */
    n = (size_t)snprintf(text, size, "a: [");
    while (n < K8S_KUBECONFIG_MAX_BYTES - 2) n += (size_t)snprintf(text + n, size - n, "0,");
    n += (size_t)snprintf(text + n, size - n, "0]");
    ck_assert_int_eq(k8s_kubeconfig_parse(text, n, "/", NULL, &k, err), -EINVAL);
    ck_assert_str_eq(err, "kubeconfig: line 1: more than 100000 YAML nodes");
    free(text);
}
END_TEST

START_TEST(shows_hostile_names_on_one_short_line)
{
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX], name[300];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    ck_assert_int_eq(parse_in(two_contexts, "/", "evil\nname\x1b[31m", &k, err), -EINVAL);
    ck_assert_str_eq(err, "kubeconfig: context \"evil?name?[31m\" not found");
    ck_assert_int_eq(parse_in(two_contexts, "/", name, &k, err), -EINVAL);
    ck_assert_uint_lt(strlen(err), 100);
    ck_assert_ptr_nonnull(strstr(err, "...\" not found"));
}
END_TEST

START_TEST(loads_a_file_with_paths_relative_to_its_directory)
{
    char dir[] = "/tmp/kfdash-test-kubeconfig-XXXXXX", path[128], rel[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/config", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(relative_paths, f);
    fclose(f);

    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX], want[160];
    ck_assert_int_eq(k8s_kubeconfig_load(path, NULL, &k, err), 0);
    snprintf(want, sizeof(want), "%s/ca.crt", dir);
    ck_assert_str_eq(k.ca_file, want);
    k8s_kubeconfig_reset(&k);

    /* A relative path to the file: its directory made absolute against the working one. */
    ck_assert_int_eq(chdir("/tmp"), 0);
    snprintf(rel, sizeof(rel), "%s/config", dir + strlen("/tmp/"));
    ck_assert_int_eq(k8s_kubeconfig_load(rel, NULL, &k, err), 0);
    ck_assert_str_eq(k.ca_file, want);
    k8s_kubeconfig_reset(&k);
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(k8s_kubeconfig_load("config", NULL, &k, err), 0);
    ck_assert_str_eq(k.ca_file, want);
    k8s_kubeconfig_reset(&k);

    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(k8s_kubeconfig_load(path, NULL, &k, err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The real local stack's kubeconfig (tests/stack), when KFDASH_TEST_KUBECONFIG names it. */
START_TEST(parses_the_local_stack_kubeconfig)
{
    const char *path = getenv("KFDASH_TEST_KUBECONFIG");
    if (!path || !*path) {
        fprintf(stderr,
                "parses_the_local_stack_kubeconfig: skipped, KFDASH_TEST_KUBECONFIG unset\n");
        return;
    }
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    int r = k8s_kubeconfig_load(path, NULL, &k, err);
    ck_assert_msg(r == 0, "%s", err);
    ck_assert(strncmp(k.server, "https://", 8) == 0);
    ck_assert(!k.insecure);
    ck_assert_ptr_nonnull(k.ca_data);
    ck_assert(strncmp((char *)k.ca_data, "-----BEGIN", 10) == 0);
    ck_assert_ptr_nonnull(k.cert_data);
    ck_assert(strncmp((char *)k.cert_data, "-----BEGIN", 10) == 0);
    ck_assert_ptr_nonnull(k.key_data);
    ck_assert(strncmp((char *)k.key_data, "-----BEGIN", 10) == 0);
    k8s_kubeconfig_reset(&k);
}
END_TEST

RUN_SUITE("kubeconfig", picks_the_current_context_cluster_and_user,
          picks_the_context_asked_for_over_the_current_one,
          resolves_relative_paths_against_the_file_dir, decodes_certificate_authority_data,
          refuses_data_that_is_not_standard_base64, refuses_exec_credentials_with_a_clear_error,
          refuses_a_missing_context, names_the_cluster_or_user_that_is_missing,
          a_user_is_optional_but_a_client_certificate_needs_its_key,
          refuses_a_server_that_is_not_an_http_url, survives_malformed_yaml,
          bounds_the_file_the_entries_and_the_strings, shows_hostile_names_on_one_short_line,
          loads_a_file_with_paths_relative_to_its_directory, parses_the_local_stack_kubeconfig,
          a_client_key_beside_certificate_data_that_decodes_to_nothing_is_refused)
