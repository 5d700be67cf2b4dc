/*
 * auth/jwks: an OpenID provider's signing keys (a JWK Set), as PEM public keys by key id.
 *
 * Owns turning each RSA JWK's modulus and exponent into a SubjectPublicKeyInfo PEM (mbedTLS),
 * the form libjwt verifies with. Only RSA keys meant for signatures are kept. Does not fetch
 * anything. A parsed set is immutable: share it between threads freely.
 */
#pragma once

#include <stddef.h>

struct jwks;

/* Most keys kept from one set; a provider rotating keys publishes two or three. */
#define JWKS_MAX_KEYS 16
/* Largest JWK Set document accepted. */
#define JWKS_MAX_BYTES (64 << 10)

/*
 * Parses a JWK Set document. -EINVAL when it is not one, or holds no usable RSA key; -E2BIG when
 * larger than JWKS_MAX_BYTES. Unusable keys (other types, "use": "enc", bad numbers) are skipped.
 */
int jwks_parse(const char *json, size_t len, struct jwks **ret);
void jwks_free(struct jwks *set);

/* The PEM of the key named kid, NULL if the set has none; borrowed for the life of the set. */
const char *jwks_pem(const struct jwks *set, const char *kid);
size_t jwks_count(const struct jwks *set);
