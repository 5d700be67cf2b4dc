/*
 * k8s/kubeconfig: one context of a kubeconfig file, resolved into what a client needs to reach
 * and prove itself to that context's API server.
 *
 * Owns the parsing (libyaml, event by event, into a small bounded tree that is freed before
 * returning) and client-go's rules for picking the context and reading its cluster and user:
 * empty values are unset, relative paths are relative to the kubeconfig's directory, *-data
 * (standard base64) wins over the matching file, tokenFile wins over token. Does not open the
 * files the kubeconfig names (the caller's TLS setup does), does not merge KUBECONFIG lists, and
 * runs no credential plugins: exec and auth-provider users are refused, as are the settings
 * kfdash cannot honour (proxy-url, tls-server-name, basic auth, impersonation). Anchors are
 * ignored and aliases refused. Pure functions, thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Larger files, longer strings, more entries in clusters, users or contexts: refused. */
#define K8S_KUBECONFIG_MAX_BYTES   (1u << 20)
#define K8S_KUBECONFIG_MAX_STRING  (64u << 10)
#define K8S_KUBECONFIG_MAX_ENTRIES 1000
#define K8S_KUBECONFIG_ERROR_MAX   256

/* Embedded: filled by k8s_kubeconfig_parse or _load, released by k8s_kubeconfig_reset. Every
 * pointer is heap-owned by the struct or NULL; every *_data is NUL-terminated (len excludes the
 * NUL, so PEM can go straight to mbedtls_x509_crt_parse with len + 1). */
struct k8s_kubeconfig {
    char *server;             /* http(s)://host[:port][/path] of the context's cluster, no
                                 trailing slash */
    char *namespace;          /* the context's namespace, or NULL */
    char *ca_file;            /* certificate-authority, absolute; NULL when unset or ca_data */
    unsigned char *ca_data;   /* certificate-authority-data, decoded (PEM bytes), or NULL */
    size_t ca_len;            /* bytes in ca_data */
    bool insecure;            /* insecure-skip-tls-verify (then neither CA is set) */
    char *token;              /* the user's bearer token; NULL when unset or token_file */
    char *token_file;         /* tokenFile, absolute: re-read it, the token rotates; or NULL */
    char *cert_file;          /* client-certificate, absolute; NULL when unset or cert_data */
    char *key_file;           /* client-key, absolute; NULL when unset or key_data */
    unsigned char *cert_data; /* client-certificate-data, decoded, or NULL */
    size_t cert_len;          /* bytes in cert_data */
    unsigned char *key_data;  /* client-key-data, decoded, or NULL; wiped by reset */
    size_t key_len;           /* bytes in key_data */
};

/*
 * Parses text (len bytes, NUL not needed) for `context` (NULL or "" = current-context); dir is
 * the kubeconfig's directory, absolute, against which relative paths resolve (NULL: a relative
 * path is refused). A user is optional (no credentials); a client certificate needs its key.
 * 0 with *ret filled, -ENOMEM, or -EINVAL with a one-line reason in err, e.g.
 * `kubeconfig: context "x" not found` or `kubeconfig: user "admin" uses exec credentials, which
 * kfdash does not run`. *ret is written only on success.
 */
int k8s_kubeconfig_parse(const char *text, size_t len, const char *dir, const char *context,
                         struct k8s_kubeconfig *ret, char err[K8S_KUBECONFIG_ERROR_MAX]);
/*
 * Reads the file at path (at most K8S_KUBECONFIG_MAX_BYTES) and parses it as above, with its
 * directory (made absolute against the working directory) as dir. Also the negative errno of
 * open or read, with a reason in err.
 */
int k8s_kubeconfig_load(const char *path, const char *context, struct k8s_kubeconfig *ret,
                        char err[K8S_KUBECONFIG_ERROR_MAX]);
/* Frees what k holds (secrets wiped first) and zeroes it; NULL-safe, idempotent. */
void k8s_kubeconfig_reset(struct k8s_kubeconfig *k);
