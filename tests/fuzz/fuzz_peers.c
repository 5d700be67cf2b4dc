/*
 * Fuzzes auth/peers: the list of trusted addresses and CIDRs (auth_peers_parse) and lookups in
 * it. The input is the list, a newline, then bytes read as an address (16 for IPv6, the first 4
 * for IPv4). A range always contains the address it was written with.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "auth/peers.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *f[2];
    fuzz_fields(data, size, '\n', f, 2);
    struct auth_peers *p = NULL;
    int r = auth_peers_parse(f[0], &p);
    FUZZ_CHECK(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM);
    if (r == 0) {
        unsigned char bytes[16] = {0};
        size_t tail = size - (size_t)(strlen(f[0]) < size ? strlen(f[0]) + 1 : size);
        memcpy(bytes, data + size - tail, tail < 16 ? tail : 16);
        struct sockaddr_in v4 = {.sin_family = AF_INET};
        struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
        memcpy(&v4.sin_addr, bytes, 4);
        memcpy(&v6.sin6_addr, bytes, 16);
        auth_peers_contains(p, (const struct sockaddr *)&v4);
        auth_peers_contains(p, (const struct sockaddr *)&v6);
        /* The list written as one address: that address is inside. */
        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET, f[0], &a4) == 1) {
            v4.sin_addr = a4;
            FUZZ_CHECK(auth_peers_contains(p, (const struct sockaddr *)&v4));
        } else if (inet_pton(AF_INET6, f[0], &a6) == 1) {
            v6.sin6_addr = a6;
            FUZZ_CHECK(auth_peers_contains(p, (const struct sockaddr *)&v6));
        }
        FUZZ_CHECK(!auth_peers_contains(p, NULL));
    }
    if (r == 0 && auth_peers_empty(p)) FUZZ_CHECK(strspn(f[0], " ,") == strlen(f[0]));
    auth_peers_free(p);
    fuzz_fields_free(f, 2);
    return 0;
}
