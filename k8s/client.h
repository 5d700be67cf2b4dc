/*
 * k8s/client: where the Kubernetes API server is and how kfdash proves itself to it.
 *
 * The server URL, the CA that signed its certificate, and kfdash's own credentials: a bearer
 * token (re-read from its file as the kubelet rotates it) or a client certificate. Knows
 * nothing of HTTP serving: callers build their requests from what this hands out. Thread-safe.
 */
#pragma once

#include <stddef.h>

struct k8s_client;
struct upstream_tls;

struct k8s_client_config {
    const char *api;        /* https://host:port */
    const char *token;      /* kfdash's bearer token itself; NULL or "" */
    const char *token_file; /* or its file, re-read when it changes; NULL or "" */
    /* The CA bundle, and a client certificate and key instead of a token: each a file, or
     * PEM bytes kept in memory (never written anywhere). NULL or "" for none. */
    const char *ca_file, *ca_pem;
    size_t ca_pem_len;
    const char *cert_file, *cert_pem;
    size_t cert_pem_len;
    const char *key_file, *key_pem;
    size_t key_pem_len;
};

#define K8S_AUTH_HEADER_MAX 16384

int k8s_client_new(const struct k8s_client_config *c, struct k8s_client **ret);
void k8s_client_free(struct k8s_client *c);

/* The API server's base URL, without a trailing slash; valid for the client's life. */
const char *k8s_client_api(const struct k8s_client *c);
/* The TLS credentials for calls to the API server (lib/upstream.h); NULL when the system's CAs
 * are used and there is no client certificate. Valid for the client's life. */
const struct upstream_tls *k8s_client_tls(const struct k8s_client *c);
/*
 * "Authorization: Bearer <token>" for kfdash's own requests, into out; "" when kfdash proves
 * itself with a client certificate. -EIO when the token file cannot be read (the last token
 * read is used if there is one).
 */
int k8s_client_auth_header(struct k8s_client *c, char *out, size_t size);
