/*
 * authz: GET|POST|... /auth/check, the answer kfdash gives a gateway (Envoy ext_authz, nginx
 * auth_request) about a request it is about to let through.
 *
 * 200 with the identity headers (kubeflow-userid, kubeflow-groups, X-Auth-Request-User/-Email/
 * -Groups) when the request carries a valid bearer ID token of the configured provider; 401 JSON
 * with WWW-Authenticate otherwise. Behind Kubeflow's oauth2-proxy + Istio (trusted-header mode),
 * the gateway's USERID_HEADER and kubeflow-groups are believed, from its addresses only.
 * Set up once at start-up; thread-safe afterwards.
 */
#pragma once

#include "server/config.h"

struct http_request;
struct oidc;

/* o may be NULL (no provider configured): bearer tokens are then refused. */
int authz_init(const struct config *c, struct oidc *o);
void authz_reset(void);

void authz_check(struct http_request *r);
