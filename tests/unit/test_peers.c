/* auth/peers: only the configured gateways are trusted, by exact range. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "auth/peers.h"
#include "unit.h"

static bool trusted(const struct auth_peers *p, const char *ip)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1)
        return auth_peers_contains(p, (struct sockaddr *)&v4);
    ck_assert_int_eq(inet_pton(AF_INET6, ip, &v6.sin6_addr), 1);
    return auth_peers_contains(p, (struct sockaddr *)&v6);
}

START_TEST(matches_addresses_inside_the_ranges_only)
{
    struct auth_peers *p;
    ck_assert_int_eq(auth_peers_parse("10.1.0.0/16, 192.168.7.9,fd00::/8 ,::1", &p), 0);
    ck_assert(trusted(p, "10.1.200.3"));
    ck_assert(!trusted(p, "10.2.0.1"));
    ck_assert(trusted(p, "192.168.7.9"));
    ck_assert(!trusted(p, "192.168.7.10"));
    ck_assert(trusted(p, "fd12:3456::1"));
    ck_assert(!trusted(p, "fe80::1"));
    ck_assert(trusted(p, "::1"));
    ck_assert(!trusted(p, "127.0.0.1"));
    /* An IPv4 client seen on an IPv6 socket is still that IPv4 address. */
    ck_assert(trusted(p, "::ffff:10.1.2.3"));
    ck_assert(!trusted(p, "::ffff:10.3.2.3"));
    auth_peers_free(p);
}
END_TEST

START_TEST(prefixes_that_do_not_fall_on_a_byte)
{
    struct auth_peers *p;
    ck_assert_int_eq(auth_peers_parse("172.16.0.0/12", &p), 0);
    ck_assert(trusted(p, "172.31.255.255"));
    ck_assert(!trusted(p, "172.32.0.0"));
    ck_assert(!trusted(p, "172.15.255.255"));
    auth_peers_free(p);
}
END_TEST

START_TEST(empty_list_trusts_nobody)
{
    struct auth_peers *p;
    ck_assert_int_eq(auth_peers_parse("", &p), 0);
    ck_assert(auth_peers_empty(p));
    ck_assert(!trusted(p, "127.0.0.1"));
    auth_peers_free(p);
}
END_TEST

START_TEST(refuses_what_is_not_an_address_or_range)
{
    struct auth_peers *p = NULL;
    const char *bad[] = {"localhost", "10.0.0.0/33", "::1/129",
                         "10.0.0.0/", "1.2.3",       "10.0.0.0/8x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(auth_peers_parse(bad[i], &p) == -EINVAL, "%s", bad[i]);
    ck_assert_ptr_null(p);
}
END_TEST

RUN_SUITE("peers", matches_addresses_inside_the_ranges_only, prefixes_that_do_not_fall_on_a_byte,
          empty_list_trusts_nobody, refuses_what_is_not_an_address_or_range)
