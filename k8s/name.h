/*
 * k8s/name: the shapes Kubernetes allows for object names.
 *
 * Pure functions, thread-safe. Every name a client sends is checked here before it reaches a
 * path, a label or an API call.
 */
#pragma once

#include <stdbool.h>

/* A DNS-1123 label (namespaces, services): 1-63 of [a-z0-9-], alphanumeric at both ends. */
bool k8s_name_is_dns_label(const char *s);
