/*
 * config: the effective configuration, from defaults < JSON file < environment < flags.
 *
 * Owns parsing and validating every setting and printing them (--check-config, the reference
 * table in the README). Knows nothing of what the settings do. Loaded once at start-up and
 * read-only afterwards, so any thread may read it without locks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct buf;

#define CONFIG_MAX_LISTEN 16
/* Longest string setting. */
#define CONFIG_STRING_MAX 4096

struct config {
    char *config_file;                /* path given with --config, NULL if none */
    char *listen[CONFIG_MAX_LISTEN];  /* "host:port" addresses, IPv6 hosts in brackets */
    size_t n_listen;                  /* entries used in listen */
    long threads;                     /* worker threads per listener, 0 = one per core */
    char *web_dir;                    /* serve the SPA from this directory; "" = embedded copy */
    char *log_level;                  /* debug | info | warn | error */
    bool access_log;                  /* one JSON line per request */
    long max_header_bytes;            /* request line excluded; more → 431 */
    long max_url_bytes;               /* request target; longer → 414 */
    long max_body_bytes;              /* request body of API routes; more → 413 */
    long max_connections;             /* open client connections; more → 503 */
    long idle_timeout_s;              /* a connection quiet this long is closed */
    long request_timeout_s;           /* most time to receive one request's head and body */
    char *tls_cert_file;              /* PEM certificate chain for https:// listen addresses */
    char *tls_key_file;               /* its key */
    long user_in_flight;              /* one identity's requests under way at most; more → 429 */
    long user_rate;                   /* requests a second one identity may start (burst 2x) */
    long anonymous_rate;              /* the same for one client address proving no identity */
    long shutdown_grace_s;            /* on SIGTERM, how long in-flight requests may finish */
    struct cJSON *dashboard_links;    /* Kubeflow dashboard-config `links` JSON */
    struct cJSON *dashboard_settings; /* Kubeflow dashboard-config `settings` JSON */
    char *dashboard_config_dir;       /* files `links` and `settings` (a mounted ConfigMap) */
    char *dashboard_configmap;        /* Kubeflow's DASHBOARD_CONFIGMAP, followed; "" = none */
    long kubeflow_port;               /* Kubeflow's PORT_1: also listen on 0.0.0.0:it; 0 = no */
    char *userid_header;              /* Kubeflow's USERID_HEADER */
    char *userid_prefix;              /* Kubeflow's USERID_PREFIX */
    bool registration_flow;           /* users may create their own profile */
    char *logout_url;                 /* where logout lands; "" = kfdash's login page */
    char *pod_namespace;              /* namespace kfdash runs in */
    char *cluster_admins;             /* comma-separated emails */
    char *cluster_admin_groups;       /* comma-separated groups */
    char *apps_domain;                /* applications on hosts of their own under it; "" = none */
    char *public_url;                 /* where users open kfdash: scheme://host[:port] */
    char *reserved_namespaces;        /* comma-separated names or prefixes* no profile may take */
    long max_profiles_per_user;       /* profiles a user may register for themselves */
    char *istio_gateway_principal;    /* the source contributors' AuthorizationPolicies admit */
    char *kfp_ui_principal;           /* and Kubeflow Pipelines' UI, the other one */
    char *oidc_issuer;                /* the OpenID provider (Dex); "" = none */
    char *oidc_client_id;       /* kfdash's client id at the provider: the audience of its tokens */
    char *trusted_header_peers; /* gateways whose USERID_HEADER is believed; "" = none */
    char *trusted_proxies;      /* proxies whose X-Forwarded-Proto/-Host are believed */
    char *oidc_client_secret;   /* kfdash's client secret at the provider */
    char *oidc_authorization_url;   /* browser-facing authorization endpoint; "" = discovered */
    char *oidc_redirect_url;        /* registered callback URL; "" = this site's /auth/callback */
    char *oidc_scopes;              /* space-separated scopes asked for at sign-in */
    char *state_dir;                /* database and generated key; "" = memory only */
    char *session_keys_file;        /* session keys; "" = <state_dir>/session.keys */
    long session_lifetime_s;        /* a session ends this long after sign-in */
    long session_recheck_s;         /* renew at the provider this often */
    long tokens_max_auth_age_s;     /* personal tokens only this soon after a sign-in at Dex */
    char *shared_state;             /* sessions and tokens: local | kubernetes (every replica) */
    char *upstream;                 /* sidecar mode: the one application guarded; "" = off */
    char *k8s_allowed_resources;    /* what /api/k8s forwards */
    char *dex_namespace;            /* where Dex keeps its Password objects */
    char *kube_api;                 /* apiserver URL; "" = kubeconfig, in cluster or none */
    char *kubeconfig;               /* used when kube_api is empty */
    char *kube_token_file;          /* kfdash's bearer token for the apiserver */
    char *kube_ca_file;             /* CA of the apiserver */
    char *notebook_url_template;    /* upstream of /notebook/<ns>/<name>/ ({namespace}, {name}) */
    char *notebook_images;          /* comma-separated catalog offered in the notebook form */
    char *notebook_gpu_vendors;     /* comma-separated GPU resource names */
    char *notebook_spawner_config;  /* Kubeflow's spawner_ui_config.yaml; "" = the two above */
    long notebook_max_upload_bytes; /* request body to a notebook; more → 413 */
    char *notebook_mlflow_tracking_uri; /* MLFLOW_TRACKING_URI of the MLflow PodDefault */
    char *spark_ui_url_template;        /* upstream of /spark/<ns>/<app>/ ({namespace}, {name}) */
    char *connect_to;                   /* "HOST:PORT:TO_HOST:TO_PORT,..." as curl --connect-to */
    char *mlflow_url;                   /* MLflow behind /mlflow/; "" = none */
    char *kserve_service_account;       /* serviceAccountName of created InferenceServices */
    long kserve_max_request_bytes; /* request body to a model through /serving/; more → 413 */
    char *prometheus_url;          /* Prometheus's HTTP API (PROMETHEUS_URL); "" = no charts */
    char *metrics_dashboard;       /* Kubeflow's METRICS_DASHBOARD: a link to fuller charts */
    long prometheus_scrape_s;      /* the pods' scrape interval: rate() windows are 4 of them */
};

/* What went wrong, for the one line printed before exiting with status 2. */
#define CONFIG_ERROR_MAX 512

/* What the command line asked for besides settings. */
enum config_action {
    CONFIG_RUN,
    CONFIG_HELP,
    CONFIG_VERSION,
    CONFIG_CHECK,     /* print the effective config and exit */
    CONFIG_REFERENCE, /* print the settings table (Markdown) and exit */
};

/*
 * Builds the effective config from argv and envp (NULL-terminated "NAME=value" strings).
 * 0 on success with *ret filled (free with config_reset) and *ret_action set; -EINVAL with a
 * one-line message in err otherwise, and *ret untouched.
 */
int config_load(int argc, char **argv, char **envp, struct config *ret,
                enum config_action *ret_action, char err[CONFIG_ERROR_MAX]);
void config_reset(struct config *c);

/* Splits a comma-separated setting in place into its trimmed, non-empty items (at most max);
 * returns how many. */
size_t config_split_list(char *text, const char **out, size_t max);

/* Kubeflow's dashboard variables kfdash takes nothing from (its KFAM's address, its metrics
 * switch) that envp sets: their names and why, into names and whys (at most max); returns how
 * many. For a log line each, so an image swapped into Kubeflow's Deployment says what it skips. */
size_t config_ignored_env(char **envp, const char **names, const char **whys, size_t max);

/* The effective config as JSON (secrets redacted); the caller frees the string. */
char *config_to_json(const struct config *c);
/* The settings table in Markdown, for the README. */
int config_reference(struct buf *out);
/* The --help text. */
int config_usage(struct buf *out);
