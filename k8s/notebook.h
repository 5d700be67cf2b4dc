/*
 * k8s/notebook: Kubeflow Notebooks (kubeflow.org/v1, CONTRACTS §6) as the Jupyter web app shows
 * and makes them: the status phase of a Notebook, its summary for the list, the Notebook and
 * PersistentVolumeClaims a create form asks for, and the per-namespace MLflow PodDefault.
 *
 * Pure functions on cJSON trees: no I/O, no globals, thread-safe. Every value a client sends
 * is checked here before it reaches an object kfdash sends to the API server.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cJSON;
struct spawner_config;

/* Defaults of the form, also published by /api/config. */
#define NOTEBOOK_DEFAULT_CPU            "0.5"
#define NOTEBOOK_DEFAULT_MEMORY         "1Gi"
#define NOTEBOOK_DEFAULT_WORKSPACE_SIZE "5Gi"

/* Limits on what a form may ask for. */
#define NOTEBOOK_NAME_MAX         52 /* <name>-workspace still fits a 63-byte label */
#define NOTEBOOK_GPUS_MAX         16
#define NOTEBOOK_DATA_VOLUMES_MAX 8
#define NOTEBOOK_PODDEFAULTS_MAX  32
#define NOTEBOOK_IMAGE_MAX        512
#define NOTEBOOK_MOUNT_PATH_MAX   512
#define NOTEBOOK_QUANTITY_MAX     32

/* The annotations kfdash reads and writes. */
#define NOTEBOOK_STOPPED_ANNOTATION "kubeflow-resource-stopped"
#define NOTEBOOK_CREATOR_ANNOTATION "notebooks.kubeflow.org/creator"
#define NOTEBOOK_SERVER_ANNOTATION  "notebooks.kubeflow.org/server-type"
#define NOTEBOOK_ACTIVE_ANNOTATION  "notebooks.kubeflow.org/last-activity"

/* The label the MLflow PodDefault selects. */
#define NOTEBOOK_MLFLOW_LABEL "mlflow-access"

#define NOTEBOOK_MESSAGE_MAX 512
#define NOTEBOOK_ERROR_MAX   256

/* What the form may choose from (borrowed; the caller keeps it alive). */
struct notebook_catalog {
    const char *const *images;      /* offered images, the first is the default */
    size_t n_images;                /* entries in images */
    const char *const *gpu_vendors; /* GPU resource names, e.g. "nvidia.com/gpu" */
    size_t n_gpu_vendors;           /* entries in gpu_vendors */
    /* Kubeflow's spawner_ui_config.yaml when one is set (k8s/spawner.h), else NULL: its image
     * groups, defaults, limit factors, affinity and toleration groups, shm and readOnly fields
     * rule the form. images and gpu_vendors then hold its Jupyter images and vendors. */
    const struct spawner_config *spawner;
};

/* One of CONTRACTS §6's phases, with a message for people. */
struct notebook_status {
    const char *phase; /* ready|waiting|warning|error|uninitialized|unavailable|terminating|
                          stopped (static strings) */
    char message[NOTEBOOK_MESSAGE_MAX]; /* why, e.g. "ImagePullBackOff: ..." */
};

/*
 * The phase of a Notebook object, as Kubeflow's web app derives it: being deleted, stopped (or
 * stopping), ready, the container's waiting or terminated reason, the controller's conditions,
 * then the latest Warning event about the notebook in events (core/v1 Events of its namespace,
 * may be NULL; those of other objects are skipped). now: the clock, for a notebook so young no
 * controller has reported on it yet.
 */
void notebook_status(const struct cJSON *notebook, const struct cJSON *events, time_t now,
                     struct notebook_status *ret);

/* Whether an Event is about the notebook called name: the Notebook, its StatefulSet, its Pods
 * (involvedObject.name is name, or starts with name and '-'). */
bool notebook_event_is_about(const struct cJSON *event, const char *name);

/* The summary of a Notebook for the web app's list (see server/api/notebooks.h); NULL when
 * out of memory. events and now as for notebook_status. */
struct cJSON *notebook_summary(const struct cJSON *notebook, const struct cJSON *events,
                               const struct notebook_catalog *cat, time_t now);

/*
 * Checks a create form (the JSON body of POST .../notebooks) and builds what it asks for: the
 * Notebook in namespace ns created by creator (*ret_notebook) and a JSON array of the
 * PersistentVolumeClaims to create first (*ret_pvcs, maybe empty). 0 on success; -EINVAL with
 * the reason in err (for a 400), -ENOMEM. Outputs are written only on success.
 */
int notebook_from_form(const struct cJSON *form, const struct notebook_catalog *cat, const char *ns,
                       const char *creator, struct cJSON **ret_notebook, struct cJSON **ret_pvcs,
                       char err[NOTEBOOK_ERROR_MAX]);

/* The PodDefault "mlflow" of ns: notebooks labelled mlflow-access=true get MLFLOW_TRACKING_URI
 * (tracking_uri: kfdash's /mlflow), MLFLOW_WORKSPACE (ns) and MLFLOW_TRACKING_TOKEN (from the
 * Secret below). NULL when out of memory. */
struct cJSON *notebook_mlflow_poddefault(const char *ns, const char *tracking_uri);
/*
 * The credential that PodDefault hands notebooks as MLFLOW_TRACKING_TOKEN: a token Secret of the
 * namespace's default-editor ServiceAccount (the notebooks' own), which kfdash proves with a
 * TokenReview, so MLflow is reached through kfdash and only in the namespace's own workspace.
 */
#define NOTEBOOK_MLFLOW_TOKEN_SECRET "mlflow-token"
struct cJSON *notebook_mlflow_token_secret(const char *ns);

/* A Kubernetes resource quantity kfdash accepts in a form: a positive decimal number with an
 * optional SI suffix (m, k, M, Ki, Gi, ...) or exponent, at most NOTEBOOK_QUANTITY_MAX bytes. */
bool notebook_is_quantity(const char *s);

/* A mount path: absolute, printable, no "." or ".." segment, not "/" itself. */
bool notebook_is_mount_path(const char *s);

/* A label key: [prefix/]name, prefix a DNS subdomain, name 1-63 of [A-Za-z0-9._-] starting and
 * ending alphanumeric. */
bool notebook_is_label_key(const char *s);
