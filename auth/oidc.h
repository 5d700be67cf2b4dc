/*
 * auth/oidc: kfdash as a client of one OpenID provider (Dex): its discovery document and its
 * signing keys, kept fresh by a thread of its own, and the verification of its ID tokens.
 *
 * Threads: a refresher thread does all network I/O (libcurl, bounded timeouts and sizes); it
 * fetches the keys again when their Cache-Control max-age runs out, and early (at most once per
 * OIDC_REFETCH_MIN_S) when a token names a key it does not know, which is how a provider's key
 * rotation shows. Request threads only verify, under a read lock, never waiting on the network.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "auth/token.h"

struct oidc;

/* Earliest refetch after the previous one when an unknown key id shows up. */
#define OIDC_REFETCH_MIN_S 10

/* The provider at issuer, for tokens issued to client_id; starts the refresher thread. */
int oidc_new(const char *issuer, const char *client_id, struct oidc **ret);
/* Stops the refresher and frees; NULL-safe. */
void oidc_free(struct oidc *o);

/*
 * Verifies a bearer ID token (no nonce: not bound to a login attempt). As token_verify, plus
 * -EAGAIN while no keys have been fetched yet. An unknown key id asks for a refetch.
 */
int oidc_verify(struct oidc *o, const char *token, struct token_claims *ret);

/* For /readyz: true once keys are held; detail says how many, or the last fetch error. */
bool oidc_ready(struct oidc *o, char *detail, size_t size);
