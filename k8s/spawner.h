/*
 * k8s/spawner: Kubeflow's Jupyter web app configuration (spawner_ui_config.yaml, the key of
 * ConfigMap jupyter-web-app-config-*, CONTRACTS §12) read into what kfdash's notebook form
 * offers and what k8s/notebook enforces when a notebook is created: the images of each server
 * type, custom images, imagePullPolicy, CPU and memory with their limit factors, GPU vendors,
 * the workspace volume, affinity and toleration groups, shared memory, the PodDefaults ticked
 * by default, and which of them the user may not change (readOnly).
 *
 * Made once at start-up and read-only afterwards: any thread may read it. Pure (no I/O).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

#define SPAWNER_IMAGES_MAX  64
#define SPAWNER_VENDORS_MAX 16
#define SPAWNER_LABELS_MAX  32
#define SPAWNER_ERROR_MAX   320

/* One server type's images: image (Jupyter), imageGroupOne (VS Code), imageGroupTwo (RStudio). */
struct spawner_images {
    const char *value;                       /* the default; NULL when the group is not offered */
    const char *options[SPAWNER_IMAGES_MAX]; /* offered, value among them */
    size_t n_options;                        /* entries in options */
    bool read_only;                          /* only value may be used */
};

/* cpu or memory. */
struct spawner_resource {
    const char *value;   /* the default request, a quantity */
    double limit_factor; /* limit = request × it; 0 when "none" (no limit) */
    bool read_only;      /* only value may be asked for */
};

/* affinityConfig or tolerationGroup: named choices of objects for the pod spec. */
struct spawner_choice {
    const char *value;           /* the default key; "" for none */
    const struct cJSON *options; /* [{configKey|groupKey, displayName, affinity|tolerations}] */
    bool read_only;              /* only value may be chosen */
};

struct spawner_config {
    struct cJSON *root; /* the file's tree: every pointer here borrows from it */
    struct spawner_images image, group_one, group_two;
    bool allow_custom_image;    /* images beyond the options, when the form asks */
    const char *pull_policy;    /* Always | IfNotPresent | Never */
    bool pull_policy_read_only; /* the user may not pick another */
    struct spawner_resource cpu, memory;
    const char *gpu_vendors[SPAWNER_VENDORS_MAX];  /* limitsKey of each vendor offered */
    const char *gpu_ui_names[SPAWNER_VENDORS_MAX]; /* uiName of each */
    size_t n_gpu_vendors;                          /* entries in both */
    const char *gpu_vendor;                        /* the default vendor; "" for none */
    long gpu_num;                                  /* the default count; 0 for "none" */
    bool gpu_read_only;                            /* the user may not ask for other GPUs */
    const char *workspace_size;  /* a new workspace's default size; NULL: no workspace */
    const char *workspace_mount; /* where the workspace is mounted */
    bool workspace_read_only;    /* the user may not change the workspace */
    bool data_volumes_read_only; /* the user may not add data volumes */
    struct spawner_choice affinity, tolerations;
    bool shm;                                       /* an emptyDir at /dev/shm by default */
    bool shm_read_only;                             /* the user may not turn it over */
    const char *configurations[SPAWNER_LABELS_MAX]; /* PodDefault labels ticked by default */
    size_t n_configurations;                        /* entries in configurations */
    bool configurations_read_only;                  /* the user may tick no other set */
};

/*
 * Reads a spawner_ui_config.yaml from text[0..len): 0 with *ret (free with spawner_config_free);
 * -EINVAL with the line (YAML) or the field (spawnerFormDefaults.cpu.limitFactor: ...) and the
 * reason in err; -ENOMEM.
 */
int spawner_config_parse(const char *text, size_t len, struct spawner_config **ret,
                         char err[SPAWNER_ERROR_MAX]);
void spawner_config_free(struct spawner_config *s);

/* The option of an affinity or toleration choice with key, or NULL (key "" is none). */
const struct cJSON *spawner_choice_find(const struct spawner_choice *c, const char *key);

/* request × factor as a quantity with request's suffix ("500m" × 1.2 = "600m", "1Gi" × 2 =
 * "2Gi"), into out; false when request is not a plain decimal quantity. */
bool spawner_limit(const char *request, double factor, char *out, size_t size);

/* What /api/config publishes of it for the web form (NULL when out of memory). */
struct cJSON *spawner_form_config(const struct spawner_config *s);
