/* auth/peers: trusted peer ranges; see peers.h. */
#include "auth/peers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct range {
    unsigned char addr[16]; /* IPv4 as IPv4-mapped IPv6, so one comparison serves both */
    unsigned bits;          /* prefix length over the 128 bits */
};

struct auth_peers {
    struct range ranges[AUTH_PEERS_MAX]; /* the trusted ranges */
    size_t n;                            /* entries used in ranges */
};

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int parse_one(const char *s, size_t len, struct range *ret)
{
    char text[64];
    if (len == 0 || len >= sizeof(text)) return -EINVAL;
    memcpy(text, s, len);
    text[len] = '\0';
    char *slash = strchr(text, '/');
    if (slash) *slash = '\0';
    struct range r = {0};
    unsigned max;
    struct in_addr v4;
    if (inet_pton(AF_INET, text, &v4) == 1) {
        memcpy(r.addr, v4_mapped, 12);
        memcpy(r.addr + 12, &v4, 4);
        max = 32;
    } else if (inet_pton(AF_INET6, text, r.addr) == 1) {
        max = 128;
    } else {
        return -EINVAL;
    }
    unsigned bits = max;
    if (slash) {
        char *end;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end || b > max) return -EINVAL;
        bits = (unsigned)b;
    }
    r.bits = bits + 128 - max;
    *ret = r;
    return 0;
}

int auth_peers_parse(const char *text, struct auth_peers **ret)
{
    struct auth_peers *p = calloc(1, sizeof(*p));
    if (!p) return -ENOMEM;
    for (const char *s = text; *s;) {
        while (*s == ' ' || *s == ',') s++;
        size_t len = strcspn(s, ", ");
        if (len == 0) break;
        int r = p->n == AUTH_PEERS_MAX ? -E2BIG : parse_one(s, len, &p->ranges[p->n]);
        if (r < 0) {
            free(p);
            return r;
        }
        p->n++;
        s += len;
    }
    *ret = p;
    return 0;
}

void auth_peers_free(struct auth_peers *p)
{
    free(p);
}

bool auth_peers_empty(const struct auth_peers *p)
{
    return !p || p->n == 0;
}

static bool in_range(const struct range *r, const unsigned char addr[16])
{
    unsigned full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(r->addr, addr, full) != 0) return false;
    if (!rest) return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (r->addr[full] & mask) == (addr[full] & mask);
}

bool auth_peers_contains(const struct auth_peers *p, const struct sockaddr *addr)
{
    unsigned char a[16];
    if (!p || !addr) return false;
    if (addr->sa_family == AF_INET) {
        memcpy(a, v4_mapped, 12);
        memcpy(a + 12, &((const struct sockaddr_in *)addr)->sin_addr, 4);
    } else if (addr->sa_family == AF_INET6) {
        memcpy(a, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
    } else {
        return false;
    }
    for (size_t i = 0; i < p->n; i++)
        if (in_range(&p->ranges[i], a)) return true;
    return false;
}
