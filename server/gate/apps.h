/*
 * apps: every application kfdash carries on an origin of its own.
 *
 * A notebook's page, a Spark driver's UI or a custom model server is written by a user; on
 * kfdash's own origin its script would act as whoever opens it. With apps.domain set, each
 * application instance lives on a host of its own under that domain (one label: a notebook, a
 * Spark application, a model endpoint, MLflow's UI), served by this same process by its Host
 * header, and kfdash's own origin serves no application content any more:
 *
 *   https://kubeflow.example.com/notebook/alice/nb1/lab        (kfdash's origin: the role check,
 *     302 → https://nb-alice--nb1.apps.example.com/_kfdash/enter?code=…&rd=/notebook/alice/nb1/lab
 *     302 → /notebook/alice/nb1/lab, with the host's own cookie  (the application's origin)
 *
 * The code is a one-time, 30-second sealed hand-over of the signed-in session for that host
 * only; the host exchanges it for its own host-only HttpOnly cookie (kfdash_app), which proves
 * the user there and nowhere else and ends with the session (sign-out, revocation, expiry).
 * Bearer tokens work on application hosts as everywhere. Without apps.domain (path mode) the
 * applications keep sharing kfdash's origin, and only a namespace's own owner and contributors
 * may open them (server/gate/least_role.h); kfdash says so at start-up, in /readyz and Diagnostics.
 *
 * Threads: any HTTP thread; the one-time codes seen are kept in a bounded cache (when it is full
 * of live codes, a hand-over is refused rather than a used code forgotten).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct apps;
struct config;
struct http_request;

/* A DNS label and its NUL. */
#define APPS_LABEL_MAX 64
/* The path every application host keeps for kfdash itself. */
#define APPS_ENTER_PATH "/_kfdash/enter"
/* How long a hand-over code is good for. */
#define APPS_HANDOVER_TTL_S 30

/* The hand-over codes used recently, and where application hosts live (cfg, borrowed).
 * -EINVAL with a reason when apps.domain is set without public_url; -ENOMEM. */
int apps_new(const struct config *cfg, struct apps **ret, char *err, size_t size);
void apps_free(struct apps *a);
/* True when applications have hosts of their own (apps.domain is set). */
bool apps_enabled(const struct config *cfg);

/*
 * The host label of an application: kind is the first segment of its path ("notebook",
 * "spark", "serving" or "mlflow"), ns and name its namespace and name (NULL for MLflow).
 * Readable where it fits ("nb-alice--nb1", "spark-alice--app1", "model-alice--iris",
 * "mlflow"), else "<tag>-" and 26 base32 characters of a SHA-256 of kind, ns and name: labels
 * never collide, for any valid namespace and name. -EINVAL for an unknown kind or a name that is
 * not a DNS label.
 */
int apps_label(const char *kind, const char *ns, const char *name, char out[APPS_LABEL_MAX]);

/* The label of the application host r came to, into out; false when r came to kfdash's own
 * origin (or apps.domain is not set). */
bool apps_request_label(const struct http_request *r, char out[APPS_LABEL_MAX]);
/* The label the path of an application route belongs to (its kind, :namespace and :name). */
bool apps_route_label(const struct http_request *r, char out[APPS_LABEL_MAX]);

/* ---- handlers ---- */

/* kfdash's origin: an application path sends the browser to the application's host, a signed-in
 * browser with a hand-over code, anyone else (a script's bearer token, a gateway) straight. */
void apps_open(struct http_request *r);
/* An application host: GET /_kfdash/enter?code=…&rd=…: the code for the host's cookie. */
void apps_enter(struct http_request *r);
/* An application host: a path that belongs to no application of this host. */
void apps_elsewhere(struct http_request *r);

/* The URL of kfdash's own origin a browser on an application host goes back to in order to
 * (re)open path_and_query there; -E2BIG when it does not fit. */
int apps_dashboard_url(const struct config *cfg, const char *path_and_query, char *out,
                       size_t size);
