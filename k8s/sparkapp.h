/*
 * k8s/sparkapp: SparkApplications (sparkoperator.k8s.io/v1beta2, CONTRACTS §7) as the dashboard
 * shows and submits them: the summary of an object, the submit form checked and turned into an
 * object, and the built-in templates of that form.
 *
 * Pure functions on cJSON trees, no I/O, thread-safe. Does not decide who may do what: the API
 * server does, called as the user.
 */
#pragma once

#include <stddef.h>

struct cJSON;

#define SPARKAPP_API_VERSION "sparkoperator.k8s.io/v1beta2"
/* The annotation naming who submitted an application through kfdash. */
#define SPARKAPP_CREATOR_ANNOTATION "kfdash/creator"
/* The driver's container in its pod (the Spark operator's name for it). */
#define SPARKAPP_DRIVER_CONTAINER "spark-kubernetes-driver"
/* What a refused form is explained in, at most. */
#define SPARKAPP_ERROR_MAX 256
/* A DNS-1123 subdomain (pod names) is at most this long. */
#define SPARKAPP_POD_NAME_MAX 253
/* The Spark version a form without one gets (that of the templates' image). */
#define SPARKAPP_DEFAULT_SPARK_VERSION "4.1.0"

/* What a submit form may ask for, at most. */
#define SPARKAPP_IMAGE_MAX      512                /* bytes of image */
#define SPARKAPP_FILE_MAX       4096               /* bytes of mainApplicationFile */
#define SPARKAPP_CLASS_MAX      256                /* bytes of mainClass */
#define SPARKAPP_ARGS_MAX       64                 /* arguments */
#define SPARKAPP_ARG_MAX        4096               /* bytes of one argument */
#define SPARKAPP_CONF_MAX       64                 /* sparkConf entries */
#define SPARKAPP_CONF_KEY_MAX   256                /* bytes of a sparkConf key */
#define SPARKAPP_CONF_VALUE_MAX 4096               /* bytes of a sparkConf value */
#define SPARKAPP_CORES_MAX      64                 /* driver.cores, executor.cores (from 1) */
#define SPARKAPP_INSTANCES_MAX  100                /* executor.instances (from 1) */
#define SPARKAPP_TTL_MAX        (366L * 24 * 3600) /* timeToLiveSeconds (from 1) */

/*
 * The dashboard's summary of a SparkApplication object (see the routes in server/api/spark.h):
 * what is asked (spec), where it stands (status) and uiUrl, the dashboard path of the driver's
 * UI while it can be up. Missing fields read as "" or 0. NULL only when out of memory.
 */
struct cJSON *sparkapp_summary(const struct cJSON *app);

/*
 * Checks a submit form (a JSON object) and builds the SparkApplication to create in ns, with
 * creator (the user's name) in the kfdash/creator annotation. 0 and *ret_app (the caller's to
 * delete); -EINVAL with the reason in err, for the client; -ENOMEM.
 */
int sparkapp_build(const struct cJSON *form, const char *ns, const char *creator,
                   struct cJSON **ret_app, char err[SPARKAPP_ERROR_MAX]);

/* {"templates":[{id, title, description, form}, ...]}: forms sparkapp_build accepts once named.
 * NULL only when out of memory. */
struct cJSON *sparkapp_templates(void);

/*
 * The driver pod of app: status.driverInfo.podName, else "<name>-driver" as the operator names
 * it. 0 and out filled; -EINVAL when that is not a pod name (nothing else may reach a path);
 * -E2BIG when it does not fit size.
 */
int sparkapp_driver_pod(const struct cJSON *app, char *out, size_t size);
