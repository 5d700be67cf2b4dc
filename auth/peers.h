/*
 * auth/peers: the addresses trusted to tell kfdash who a user is (the trusted-header mode, for
 * a drop-in behind Kubeflow's oauth2-proxy and Istio gateway). A list of CIDRs; pure lookups,
 * immutable once parsed, thread-safe.
 */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>

struct auth_peers;

#define AUTH_PEERS_MAX 32

/*
 * Parses comma-separated addresses or CIDRs ("10.0.0.0/8, ::1, 127.0.0.1/32"). "" gives an empty
 * list. -EINVAL when an entry is not one, -E2BIG past AUTH_PEERS_MAX.
 */
int auth_peers_parse(const char *text, struct auth_peers **ret);
void auth_peers_free(struct auth_peers *p);
bool auth_peers_empty(const struct auth_peers *p);
/* True when addr (IPv4, IPv6, or IPv4-mapped IPv6) is inside one of the ranges. */
bool auth_peers_contains(const struct auth_peers *p, const struct sockaddr *addr);
