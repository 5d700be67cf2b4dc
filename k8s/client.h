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

struct k8s_client_config {
    const char *api;        /* https://host:port */
    const char *token_file; /* kfdash's bearer token, re-read when it changes; NULL or "" */
    const char *ca_file;    /* PEM bundle; NULL or "" = the system's */
    const char *cert_file;  /* client certificate instead of a token; NULL or "" */
    const char *key_file;   /* its key */
};

#define K8S_AUTH_HEADER_MAX 16384

int k8s_client_new(const struct k8s_client_config *c, struct k8s_client **ret);
void k8s_client_free(struct k8s_client *c);

/* The API server's base URL, without a trailing slash; valid for the client's life. */
const char *k8s_client_api(const struct k8s_client *c);
/* NULL when the system's CAs are used. */
const char *k8s_client_ca_file(const struct k8s_client *c);
const char *k8s_client_cert_file(const struct k8s_client *c);
const char *k8s_client_key_file(const struct k8s_client *c);
/*
 * "Authorization: Bearer <token>" for kfdash's own requests, into out; "" when kfdash proves
 * itself with a client certificate. -EIO when the token file cannot be read (the last token
 * read is used if there is one).
 */
int k8s_client_auth_header(struct k8s_client *c, char *out, size_t size);
