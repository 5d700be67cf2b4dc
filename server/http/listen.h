/*
 * listen: listening sockets from "host:port" strings.
 *
 * Owns address syntax and socket set-up (IPv6-only sockets for IPv6 addresses, so "[::]:8080"
 * and "0.0.0.0:8080" can both be used). Knows nothing of HTTP.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define LISTEN_MAX_FDS 16
/* An address that serves HTTPS: "https://0.0.0.0:8443". */
#define LISTEN_TLS_PREFIX "https://"

/* The address serves HTTPS (it starts with LISTEN_TLS_PREFIX). */
bool listen_is_tls(const char *spec);
/* Splits "127.0.0.1:8080", "[::1]:8080" or "localhost:8080" (after any LISTEN_TLS_PREFIX).
 * 0 or -EINVAL. host is a NUL-terminated copy without brackets. */
int listen_parse(const char *spec, char host[256], unsigned *ret_port);

/*
 * Opens a listening socket for every address spec resolves to (a name may give several).
 * Appends to fds (capacity LISTEN_MAX_FDS, *n_fds in use). Negative errno on failure, with
 * fds opened by this call closed again.
 */
int listen_open(const char *spec, int backlog, int *fds, size_t *n_fds);

/* The bound address of fd as "ip:port" / "[ip]:port", for logs. */
void listen_describe(int fd, char *out, size_t size);
