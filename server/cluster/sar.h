/*
 * sar: "may this user do this exact thing?", asked of the API server as a SubjectAccessReview
 * (user, groups, namespace, verb, group, resource, subresource, name) and remembered for
 * SAR_TTL_S seconds in a bounded cache, so a page that makes ten calls asks once.
 *
 * Threads: sar_check on an HTTP thread; the request is parked while the API server answers.
 */
#pragma once

struct http_request;
struct identity;
struct k8s_target;

#define SAR_TTL_S 5
#define SAR_SLOTS 4096

/* allowed: 1 yes, 0 no (reason from the API server, may be ""), -errno when it could not say.
 * arg is the caller's, freed with arg_free right after done returns. */
typedef void (*sar_done_fn)(struct http_request *r, int allowed, const char *reason, void *arg);

struct upstream;
void sar_init(struct upstream *u);
void sar_check(struct http_request *r, const struct identity *who, const struct k8s_target *t,
               const char *verb, sar_done_fn done, void *arg, void (*arg_free)(void *));
void sar_reset(void);
