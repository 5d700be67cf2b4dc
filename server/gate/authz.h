/*
 * authz: kfdash as a gateway's external authorizer (Envoy/Istio ext_authz, nginx auth_request).
 *
 * /auth/check (any method; Envoy may append the original path) answers 200 with the user's
 * identity headers (USERID_HEADER, kubeflow-groups, X-Auth-Request-*) and any renewed session
 * cookie; otherwise a browser's page load gets 302 to the login page and anything else 401.
 * Who the user is comes from the gate (gate.h), exactly as for kfdash's own routes.
 */
#pragma once

struct http_request;

void authz_check(struct http_request *r);
