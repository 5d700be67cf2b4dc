/*
 * health: /healthz (the process answers), /readyz (every dependency is usable) and /metrics.
 *
 * Modules register a readiness check at start-up, before serving; checks run on the request's
 * thread and must answer from memory, never from the network.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct http_request;

/* Fills detail (a short phrase) and says whether the dependency is usable. */
typedef bool (*health_check_fn)(char *detail, size_t size);

/* Registers a named check; -E2BIG past 16. Start-up only. */
int health_register(const char *name, health_check_fn check);

void health_healthz(struct http_request *r);
void health_readyz(struct http_request *r);
void health_metrics(struct http_request *r);
