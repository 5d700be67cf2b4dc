/*
 * dex_users: credentials follow their user. A user disabled or deleted in Dex (through the
 * Users page, or by changing or deleting their Password object directly) loses every session
 * and personal access token at once, on every replica.
 *
 * Watches Dex's Password objects in dex.namespace (kfdash's own rights: list and watch) and
 * hands each user's fingerprint (the password hash and kfdash's disabled mark) to the store
 * (auth/store.h store_user_observe), which voids the credentials made before a change; users
 * gone from a full list count as deleted. Each replica watches for itself, so none needs to be
 * told. Threads: the watch thread only.
 */
#pragma once

#include <stddef.h>

#include <stdbool.h>

struct config;
struct dex_users;
struct kube;
struct store;

/* Starts the watch when an API server and dex.namespace are configured (else *ret stays NULL);
 * store and kube must outlive it. -errno with a reason in err. */
int dex_users_new(const struct config *cfg, struct store *store, struct kube *kube,
                  struct dex_users **ret, char *err, size_t size);
/* Stops the watch; NULL-safe. */
void dex_users_free(struct dex_users *d);
/* A health check (server/http/health.h): the Password objects are listed. */
bool dex_users_ready(void *dex_users, char *detail, size_t size);
