/*
 * h1_names: where h1_client connects for a host and port. A `connect_to` mapping is applied first
 * (as curl's --connect-to: HOST:PORT:TO_HOST:TO_PORT, an empty HOST or PORT matches any, an
 * empty TO_HOST or TO_PORT keeps the original); an IP literal is the address; any other name is
 * resolved on a thread of its own (getaddrinfo blocks; the loop that asks must not), and the
 * answer kept a minute (a failure, two seconds).
 *
 * Threads: one lock guards the table; the resolver thread starts with the first name and ends
 * with h1_names_free. Its descriptor becomes readable when a resolution has finished.
 */
#pragma once

#include <stddef.h>
#include <sys/socket.h>

struct h1_names;

#define H1_NAMES_WHY_MAX 96
#define H1_ADDRS_MAX     4 /* addresses kept per name, tried in order */

/* Where a name is: its addresses in the resolver's order (IPv6 first, as a rule). */
struct h1_addrs {
    struct sockaddr_storage sa[H1_ADDRS_MAX];
    socklen_t len[H1_ADDRS_MAX];
    size_t n;
};

/* connect_to: NULL or comma-separated entries; -EINVAL for one that is not HOST:PORT:TO:TO. */
int h1_names_new(const char *connect_to, struct h1_names **ret);
/* Waits for a resolution under way (getaddrinfo cannot be stopped); NULL-safe. */
void h1_names_free(struct h1_names *n);

/* Readable when a resolution finished (h1_names_drain empties it). */
int h1_names_fd(const struct h1_names *n);
void h1_names_drain(struct h1_names *n);

/* Where to connect for host and port: 1 with *ret; 0 while it is being resolved (ask again when
 * the descriptor is readable); -EHOSTUNREACH with why when it cannot be. */
int h1_names_lookup(struct h1_names *n, const char *host, unsigned port, struct h1_addrs *ret,
                    char why[H1_NAMES_WHY_MAX]);
