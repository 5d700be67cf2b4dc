/*
 * Fuzzes k8s/kubeconfig: k8s_kubeconfig_parse, the memory entry point k8s_kubeconfig_load reads
 * files into, on a kubeconfig as a user hands it over: its current context with a known
 * directory, and the context "dev" with none (relative paths then refused).
 */
#include <errno.h>

#include "fuzz.h"
#include "k8s/kubeconfig.h"

static void parse(const uint8_t *data, size_t size, const char *dir, const char *context)
{
    struct k8s_kubeconfig k;
    char err[K8S_KUBECONFIG_ERROR_MAX];
    int r = k8s_kubeconfig_parse((const char *)data, size, dir, context, &k, err);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r < 0) {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && strncmp(err, "kubeconfig: ", 12) == 0);
        FUZZ_CHECK(!strchr(err, '\n'));
        return;
    }
    FUZZ_CHECK(k.server &&
               (strncmp(k.server, "http://", 7) == 0 || strncmp(k.server, "https://", 8) == 0));
    FUZZ_CHECK(k.server[strlen(k.server) - 1] != '/');
    FUZZ_CHECK(!k.ca_file || k.ca_file[0] == '/');
    FUZZ_CHECK(!k.token_file || k.token_file[0] == '/');
    FUZZ_CHECK(!k.cert_file || k.cert_file[0] == '/');
    FUZZ_CHECK(!k.key_file || k.key_file[0] == '/');
    FUZZ_CHECK(!k.ca_data || (k.ca_len && k.ca_data[k.ca_len] == '\0'));
    FUZZ_CHECK(!k.cert_data || (k.cert_len && k.cert_data[k.cert_len] == '\0'));
    FUZZ_CHECK(!k.key_data || (k.key_len && k.key_data[k.key_len] == '\0'));
    FUZZ_CHECK(!(k.insecure && (k.ca_file || k.ca_data)));
    FUZZ_CHECK(!(k.token && k.token_file));
    FUZZ_CHECK(!(k.cert_file || k.cert_data) == !(k.key_file || k.key_data));
    k8s_kubeconfig_reset(&k);
    k8s_kubeconfig_reset(&k); /* idempotent */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse(data, size, "/home/alice/.kube", NULL);
    parse(data, size, NULL, "dev");
    return 0;
}
