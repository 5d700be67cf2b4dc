/*
 * k8s/isvc: KServe InferenceServices (serving.kserve.io/v1beta1, CONTRACTS §9) as the dashboard
 * shows, creates and calls them: the summary of an object, the create form checked and turned
 * into an object (from the form's own model fields, or from an MLflow model version whose
 * artifact location the caller found out), the address predictions go to, and which V1/V2
 * inference protocol paths may be carried there.
 *
 * Pure functions on cJSON trees and strings, no I/O, thread-safe. Does not decide who may do
 * what: the API server does, called as the user.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

#define ISVC_API_VERSION "serving.kserve.io/v1beta1"
/* The annotations naming who created an InferenceService through kfdash, and from what. */
#define ISVC_CREATOR_ANNOTATION        "kfdash/creator"
#define ISVC_MLFLOW_MODEL_ANNOTATION   "kfdash/mlflow-model"
#define ISVC_MLFLOW_VERSION_ANNOTATION "kfdash/mlflow-version"
/* What a refused form is explained in, at most. */
#define ISVC_ERROR_MAX 256

/* What a create form may ask for, at most. */
#define ISVC_FORMAT_MAX         64   /* bytes of modelFormat */
#define ISVC_VERSION_MAX        32   /* bytes of modelFormatVersion */
#define ISVC_STORAGE_URI_MAX    4096 /* bytes of storageUri (and of MLflow's artifact location) */
#define ISVC_RESOURCES_MAX      8    /* entries in resources.requests, and in resources.limits */
#define ISVC_MLFLOW_MODEL_MAX   256  /* bytes of an MLflow registered model's name */
#define ISVC_MLFLOW_VERSION_MAX 10   /* digits of an MLflow model version */
/* An address predictions go to (status.address.url), at most. */
#define ISVC_ADDRESS_MAX 2048

/*
 * The dashboard's summary of an InferenceService (see the routes in server/api/kserve.h):
 * readiness (ready, state "ready" | "failed" | "pending", and the conditions that are not True
 * with their reasons), status.url (the external URL users hand out), status.address.url (the
 * cluster address), the predictor's traffic split, the model asked for, its status and last
 * failure, and predictUrl, the dashboard path predictions go through. Missing fields read as ""
 * (lastFailure as null). NULL only when out of memory.
 */
struct cJSON *isvc_summary(const struct cJSON *isvc);

/* A create form, checked; strings borrowed from the form it was read from. */
struct isvc_form {
    const char *name;                                 /* the InferenceService: a DNS-1035 label */
    const char *model_format;                         /* NULL when from_mlflow */
    const char *format_version;                       /* or NULL */
    const char *protocol;                             /* "v1", "v2" or NULL (KServe's default) */
    const char *storage_uri;                          /* NULL when from_mlflow */
    const char *runtime;                              /* or NULL */
    const char *service_account;                      /* or NULL: the configured one */
    const struct cJSON *resources;                    /* {requests, limits}, or NULL */
    bool from_mlflow;                                 /* the model comes from MLflow's registry: */
    const char *mlflow_model;                         /* its registered model */
    char mlflow_version[ISVC_MLFLOW_VERSION_MAX + 1]; /* and version (given as text or number) */
};

/*
 * Checks a create form (a JSON object). Either the model's own fields, {"name", "modelFormat",
 * "modelFormatVersion"?, "protocolVersion"?, "storageUri", "runtime"?, "serviceAccountName"?,
 * "resources"?}, or {"name", "fromMlflow": {"model", "version"}, "runtime"?,
 * "serviceAccountName"?, "resources"?}. 0 and *ret filled; -EINVAL with the reason in err.
 */
int isvc_form_check(const struct cJSON *form, struct isvc_form *ret, char err[ISVC_ERROR_MAX]);

/*
 * The InferenceService a checked form asks for, in ns, with creator in kfdash/creator. A form
 * from MLflow gets modelFormat mlflow, protocol v2 and storage_uri (the version's artifact
 * location, which the caller asked MLflow for; ignored otherwise). service_account (may be NULL
 * or ""): the serviceAccountName when the form names none. 0 and *ret_isvc (the caller's to
 * delete); -EINVAL with the reason in err (a storage_uri that is no URI); -ENOMEM.
 */
int isvc_build(const struct isvc_form *f, const char *ns, const char *creator,
               const char *service_account, const char *storage_uri, struct cJSON **ret_isvc,
               char err[ISVC_ERROR_MAX]);

/* A storage URI: scheme ":" then at least one more character, no spaces nor control
 * characters, at most ISVC_STORAGE_URI_MAX bytes. */
bool isvc_is_storage_uri(const char *s);

/*
 * Where predictions for isvc go: status.address.url without a trailing '/', into out. 0 when
 * the InferenceService is Ready and has an http(s) address; -EAGAIN when it is not Ready (why in
 * out); -ENOENT when it records no address; -EINVAL when the address is not an http(s) URL a
 * proxy may use; -E2BIG when it does not fit size.
 */
int isvc_address(const struct cJSON *isvc, char *out, size_t size);

/* What the inference protocols offer under an endpoint's address (CONTRACTS §9). */
enum isvc_call {
    ISVC_CALL_NONE,    /* not a V1/V2 inference path: not carried */
    ISVC_CALL_READ,    /* health, readiness, metadata: GET (or HEAD) */
    ISVC_CALL_PREDICT, /* V1 :predict / :explain, V2 infer: POST */
};

/*
 * What path (decoded, "/v2/models/iris/infer") is: a V1 `/v1/models/<m>[:predict|:explain]` or
 * V2 `/v2`, `/v2/health/{live,ready}`, `/v2/models/<m>[/versions/<v>][/ready|/infer]` call,
 * or none. Model names and versions: 1-255 of [A-Za-z0-9._-], not "." nor "..". The model
 * repository API (load, unload) and anything else is ISVC_CALL_NONE.
 */
enum isvc_call isvc_protocol_call(const char *path);
