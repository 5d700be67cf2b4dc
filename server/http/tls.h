/*
 * tls: the certificate and key kfdash serves HTTPS with (tls.cert_file, tls.key_file), read at
 * start and again whenever either file changes (a renewed certificate takes effect without a
 * restart; one that does not load is logged and the last good one stays).
 *
 * libmicrohttpd does TLS with GnuTLS and asks for the certificate through a callback that takes
 * no context of ours: the certificates in use are therefore the one piece of state in kfdash
 * that is the process's, set once by tls_start. Thread-safe.
 */
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>

struct config;

#define TLS_ERROR_MAX 256

/* Loads the files (0, or -errno with a reason); NULL-safe to call without TLS configured. */
int tls_start(const struct config *cfg, char err[TLS_ERROR_MAX]);
/* Reads the files again when they changed since (called now and then by the HTTP server). */
void tls_reload_if_changed(void);
void tls_stop(void);
/* The GnuTLS certificate callback libmicrohttpd takes (MHD_OPTION_HTTPS_CERT_CALLBACK). */
gnutls_certificate_retrieve_function2 tls_retrieve;
/* GnuTLS's priority string: TLS 1.2 and 1.3 only, with its secure defaults; X25519 first, the
 * group clients (OpenSSL, browsers) send a key share for, so their first ClientHello is answered
 * without a HelloRetryRequest (a round trip more). */
#define TLS_PRIORITIES                                                                             \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"        \
    "+GROUP-SECP384R1:%SERVER_PRECEDENCE"
