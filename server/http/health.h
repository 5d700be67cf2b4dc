/*
 * health: /healthz (the process answers), /readyz (every dependency is usable) and /metrics.
 *
 * main.c registers each dependency's readiness check at start-up, before serving; checks run on
 * the request's thread and must answer from memory, never from the network.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct http_request;
struct health;

/* Fills detail (a short phrase) and says whether the dependency is usable. */
typedef bool (*health_check_fn)(void *ctx, char *detail, size_t size);

int health_new(struct health **ret);
void health_free(struct health *h);
/* Registers a named check (name borrowed); -E2BIG past 16. Start-up only. */
int health_register(struct health *h, const char *name, health_check_fn check, void *ctx);

/* The routes; /readyz asks the checks of kfdash_of(r)->health. */
void health_healthz(struct http_request *r);
void health_readyz(struct http_request *r);
void health_metrics(struct http_request *r);
