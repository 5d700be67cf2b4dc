/*
 * Fuzzes auth/jwks: jwks_parse on a JWK Set document as a provider serves it. A parsed set holds
 * 1 to JWKS_MAX_KEYS keys, each a PEM public key.
 */
#include <errno.h>

#include "auth/jwks.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jwks *set = NULL;
    int r = jwks_parse((const char *)data, size, &set);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM);
    if (r < 0) return 0;
    FUZZ_CHECK(jwks_count(set) >= 1 && jwks_count(set) <= JWKS_MAX_KEYS);
    for (const char *const *kid = (const char *const[]){"k1", "k2", "", NULL}; *kid; kid++) {
        const char *pem = jwks_pem(set, *kid);
        FUZZ_CHECK(!pem || strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
    }
    jwks_free(set);
    return 0;
}
