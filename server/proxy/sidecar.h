/*
 * sidecar: kfdash guarding one application the way oauth2-proxy does (`upstream`): every path
 * but kfdash's own (/auth/..., /healthz, /readyz, /metrics) passes the gate and is proxied to the
 * application with the user's identity headers.
 */
#pragma once

struct http_request;

void sidecar_forward(struct http_request *r);
