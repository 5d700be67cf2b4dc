/*
 * serving: predictions through kfdash's own origin.
 *
 *   /serving/<ns>/<isvc>/<call>   (any method; the body streams, up to kserve.max_request_bytes)
 *
 * goes to the InferenceService's cluster address (status.address.url) with the prefix stripped,
 * for a user with a role in <ns> (or a cluster admin). Only the inference protocols' calls are
 * carried (k8s/isvc.h: V1 /v1/models/<m>[:predict], V2 /v2/health/ready, /v2/models/<m>[/ready|
 * /infer] ...): anything else, such as the model repository's load and unload, is 404; a call
 * with the wrong method 405. An InferenceService that does not exist is 404, one that is not
 * Ready or has no address 503, each with a message saying so.
 *
 * The address is read with kfdash's own rights (it needs `get` on inferenceservices) and
 * remembered for SERVING_ADDRESS_TTL_S in a small bounded cache, so most predictions go
 * straight to the model server. Threads: HTTP threads; the cache has its own locks.
 */
#pragma once

struct http_request;

/* How long a looked-up address is used before it is read again. */
#define SERVING_ADDRESS_TTL_S 5
/* Addresses remembered, at most. */
#define SERVING_CACHE_MAX 256

struct serving;

/* The address cache (server/kfdash.h). */
int serving_new(struct serving **ret);
void serving_free(struct serving *s);
void serving_forward(struct http_request *r);
