/*
 * config: settings table, sources and validation; see config.h.
 *
 * Every setting is one row of `settings`: its JSON key, environment name, flag, type, bounds,
 * default and help. Parsing, --help, --check-config and the README reference all read the table,
 * so they cannot drift apart.
 */
#include "server/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "auth/peers.h"
#include "k8s/name.h"
#include "k8s/target.h"
#include "lib/buf.h"
#include "server/http/listen.h"

#define CONFIG_FILE_MAX (4 << 20)
#define IN_CLUSTER      "/var/run/secrets/kubernetes.io/serviceaccount"

enum kind { K_STRING, K_INT, K_BOOL, K_LIST, K_JSON };

struct setting {
    const char *key;  /* JSON path in the file, dots between objects */
    const char *env;  /* environment variable */
    const char *flag; /* long flag without "--", NULL if none */
    enum kind kind;   /* how the value is parsed */
    size_t offset;    /* field in struct config */
    long min, max;    /* bounds of K_INT values */
    const char *def;  /* default, written as it would be in the environment */
    const char *help; /* one line for --help and the README */
    /* Extra check of a K_STRING/K_LIST item; returns what was expected, NULL when fine. */
    const char *(*check)(const char *value);
    bool secret; /* redacted by --check-config */
};

static const char *check_listen(const char *v)
{
    char host[256];
    unsigned port;
    return listen_parse(v, host, &port) == 0
               ? NULL
               : "host:port or https://host:port, e.g. 127.0.0.1:8080, [::1]:8080, "
                 "https://0.0.0.0:8443";
}

static const char *check_log_level(const char *v)
{
    static const char *const ok[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(v, ok[i]) == 0) return NULL;
    return "one of debug, info, warn, error";
}

static const char *check_shared_state(const char *v)
{
    return strcmp(v, "local") == 0 || strcmp(v, "kubernetes") == 0 ? NULL
                                                                   : "one of local, kubernetes";
}

static const char *check_dir_or_empty(const char *v)
{
    struct stat st;
    if (*v == '\0' || (stat(v, &st) == 0 && S_ISDIR(st.st_mode))) return NULL;
    return "an existing directory";
}

static const char *check_header_name(const char *v)
{
    if (*v == '\0') return "an HTTP header name";
    for (const char *c = v; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return "an HTTP header name (letters, digits, '-', '_')";
    return NULL;
}

static const char *check_url_or_path(const char *v)
{
    if (*v == '\0' || (v[0] == '/' && v[1] != '/') || strncmp(v, "https://", 8) == 0 ||
        strncmp(v, "http://", 7) == 0)
        return NULL;
    return "empty, a path starting with '/', or an http(s):// URL";
}

static const char *check_http_url_or_empty(const char *v)
{
    if (*v == '\0' || strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0) return NULL;
    return "empty or an http(s):// URL";
}

static const char *check_upstream(const char *v)
{
    size_t n = strlen(v);
    if (*v == '\0') return NULL;
    if ((strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0) && v[n - 1] != '/' &&
        !strchr(v, '?'))
        return NULL;
    return "empty or an http(s):// URL without a trailing '/' or a query";
}

static const char *check_allowlist(const char *v)
{
    struct k8s_allowlist *a = NULL;
    char err[128];
    int r = k8s_allowlist_parse(v, &a, err);
    k8s_allowlist_free(a);
    return r == 0 ? NULL : "resource[/subresource][.group][:ro] items, comma-separated";
}

static const char *check_not_empty(const char *v)
{
    return *v ? NULL : "a non-empty string";
}

static const char *check_peers(const char *v)
{
    struct auth_peers *p = NULL;
    int r = auth_peers_parse(v, &p);
    auth_peers_free(p);
    return r == 0 ? NULL : "comma-separated IP addresses or CIDRs, e.g. 10.0.0.0/8,::1";
}

static const char *check_template(const char *v)
{
    if (!strstr(v, "{namespace}") || !strstr(v, "{name}"))
        return "must name both {namespace} and {name}";
    return check_upstream(v);
}

/* HOST:PORT:TO_HOST:TO_PORT[,...] */
static const char *check_connect_to(const char *v)
{
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        size_t colons = 0;
        for (size_t i = 0; i < n; i++) colons += p[i] == ':';
        if (colons != 3) return "each entry must be HOST:PORT:TO_HOST:TO_PORT";
        p += n + (p[n] == ',');
    }
    return NULL;
}

static const char *check_namespace(const char *v)
{
    return k8s_name_is_dns_label(v) ? NULL : "a Kubernetes namespace name (DNS-1123 label)";
}

static const char *check_namespace_or_empty(const char *v)
{
    return *v ? check_namespace(v) : NULL;
}

/* Empty, or an object name such as a ConfigMap's (DNS-1123 subdomain: dot-separated labels). */
static const char *check_object_name_or_empty(const char *v)
{
    static const char *const expected = "empty, or a Kubernetes object name (DNS-1123 subdomain)";
    if (strlen(v) > 253) return expected;
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ".");
        char label[64];
        if (n == 0 || n >= sizeof(label)) return expected;
        memcpy(label, p, n);
        label[n] = '\0';
        if (!k8s_name_is_dns_label(label)) return expected;
        p += n + (p[n] == '.');
        if (p[-1] == '.' && !*p) return expected;
    }
    return NULL;
}

/* Comma-separated namespace names, or prefixes of one followed by '*' ("kube-*"). */
static const char *check_namespace_patterns(const char *v)
{
    static const char *const expected =
        "namespace names, or prefixes of one and '*', comma-separated";
    for (const char *p = v; *p;) {
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, ",");
        while (n && p[n - 1] == ' ') n--;
        if (!n) break;
        char item[64];
        if (n >= sizeof(item)) return expected;
        memcpy(item, p, n);
        item[n] = '\0';
        if (item[n - 1] == '*') item[n - 1] = 'x'; /* a prefix may end in '-' */
        if (n == 1 || !k8s_name_is_dns_label(item)) return expected;
        p += n;
    }
    return NULL;
}

/* A DNS name for application hosts: dot-separated labels, no port, no leading '*' or '.'. */
static const char *check_domain(const char *v)
{
    static const char *const expected = "a DNS name such as apps.example.com or localhost";
    if (!*v) return NULL;
    if (strlen(v) > 190) return expected; /* room for a 63-character label and a port */
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ".");
        char label[64];
        if (n == 0 || n >= sizeof(label)) return expected;
        memcpy(label, p, n);
        label[n] = '\0';
        for (char *c = label; *c; c++)
            if (*c >= 'A' && *c <= 'Z') return "lowercase letters only";
        if (!k8s_name_is_dns_label(label)) return expected;
        p += n + (p[n] == '.');
        if (p[-1] == '.' && !*p) return expected;
    }
    return NULL;
}

/* scheme://host[:port] and nothing after it. */
static const char *check_origin_url(const char *v)
{
    static const char *const expected = "empty, or http(s)://host[:port] without a path";
    if (!*v) return NULL;
    const char *host = strncmp(v, "https://", 8) == 0  ? v + 8
                       : strncmp(v, "http://", 7) == 0 ? v + 7
                                                       : NULL;
    if (!host || !*host) return expected;
    for (const char *c = host; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ||
              *c == ':' || *c == '[' || *c == ']'))
            return expected;
    return NULL;
}

/* An Istio principal: cluster.local/ns/<ns>/sa/<name>. */
static const char *check_principal(const char *v)
{
    for (const char *c = v; *c; c++)
        if ((unsigned char)*c <= 0x20 || *c == '"' || *c == ',' || *c == 0x7f)
            return "a SPIFFE principal such as cluster.local/ns/istio-system/sa/<name>";
    return *v && strchr(v, '/')
               ? NULL
               : "a SPIFFE principal such as cluster.local/ns/istio-system/sa/<name>";
}

#define F(field) offsetof(struct config, field)

static const struct setting settings[] = {
    {"listen", "KFDASH_LISTEN", "listen", K_LIST, F(listen), 0, 0, "127.0.0.1:8080,[::1]:8080",
     "Addresses to listen on (repeat the flag, or comma-separate)", check_listen, false},
    {"threads", "KFDASH_THREADS", "threads", K_INT, F(threads), 0, 256, "0",
     "HTTP worker threads, each serving every address with its own event loop; 0 = one per "
     "CPU core",
     NULL, false},
    {"web_dir", "KFDASH_WEB_DIR", "web-dir", K_STRING, F(web_dir), 0, 0, "",
     "Serve the web app from this directory instead of the copy built into the binary",
     check_dir_or_empty, false},
    {"log_level", "KFDASH_LOG_LEVEL", "log-level", K_STRING, F(log_level), 0, 0, "info",
     "Least severe log level written: debug, info, warn, error", check_log_level, false},
    {"access_log", "KFDASH_ACCESS_LOG", "access-log", K_BOOL, F(access_log), 0, 0, "true",
     "Write one JSON line per request", NULL, false},
    {"limits.max_header_bytes", "KFDASH_MAX_HEADER_BYTES", "max-header-bytes", K_INT,
     F(max_header_bytes), 1024, 1 << 20, "16384", "Largest request header block; more gets 431",
     NULL, false},
    {"limits.max_url_bytes", "KFDASH_MAX_URL_BYTES", "max-url-bytes", K_INT, F(max_url_bytes), 256,
     65536, "8192", "Longest request target (path and query); longer gets 414", NULL, false},
    {"limits.max_body_bytes", "KFDASH_MAX_BODY_BYTES", "max-body-bytes", K_INT, F(max_body_bytes),
     0, 1 << 30, "1048576", "Largest API request body; more gets 413", NULL, false},
    {"limits.max_connections", "KFDASH_MAX_CONNECTIONS", "max-connections", K_INT,
     F(max_connections), 1, 1000000, "4096", "Open client connections; requests beyond get 503",
     NULL, false},
    {"limits.idle_timeout_s", "KFDASH_IDLE_TIMEOUT", "idle-timeout", K_INT, F(idle_timeout_s), 1,
     86400, "60", "Seconds a connection may stay silent before it is closed", NULL, false},
    {"limits.request_timeout_s", "KFDASH_REQUEST_TIMEOUT", "request-timeout", K_INT,
     F(request_timeout_s), 1, 86400, "30",
     "Seconds a client may take to send one request's head and body", NULL, false},
    {"tls.cert_file", "KFDASH_TLS_CERT_FILE", "tls-cert-file", K_STRING, F(tls_cert_file), 0, 0, "",
     "PEM certificate chain served on https:// listen addresses; read again when it changes", NULL,
     false},
    {"tls.key_file", "KFDASH_TLS_KEY_FILE", "tls-key-file", K_STRING, F(tls_key_file), 0, 0, "",
     "Its private key (PEM)", NULL, false},
    {"limits.user_requests_in_flight", "KFDASH_USER_REQUESTS_IN_FLIGHT", "user-requests-in-flight",
     K_INT, F(user_in_flight), 1, 100000, "256",
     "Requests one user may have under way at once (watches, WebSockets and proxied requests "
     "included); more get 429",
     NULL, false},
    {"limits.user_requests_per_s", "KFDASH_USER_REQUESTS_PER_S", "user-requests-per-s", K_INT,
     F(user_rate), 1, 1000000, "200",
     "Requests a second one user may start, with bursts of twice that; more get 429 with "
     "Retry-After",
     NULL, false},
    {"limits.anonymous_requests_per_s", "KFDASH_ANONYMOUS_REQUESTS_PER_S",
     "anonymous-requests-per-s", K_INT, F(anonymous_rate), 1, 1000000, "50",
     "Requests a second one client address may make without proving who it is (sign-in pages "
     "included), with bursts of three times that; more get 429",
     NULL, false},
    {"shutdown_grace_s", "KFDASH_SHUTDOWN_GRACE", "shutdown-grace", K_INT, F(shutdown_grace_s), 0,
     3600, "20", "On SIGTERM, seconds in-flight requests may take to finish", NULL, false},
    {"dashboard.links", "KFDASH_DASHBOARD_LINKS", NULL, K_JSON, F(dashboard_links), 0, 0, "{}",
     "Kubeflow dashboard-config `links` JSON: menuLinks, externalLinks, quickLinks, "
     "documentationItems",
     NULL, false},
    {"dashboard.settings", "KFDASH_DASHBOARD_SETTINGS", NULL, K_JSON, F(dashboard_settings), 0, 0,
     "{\"DASHBOARD_FORCE_IFRAME\":true}", "Kubeflow dashboard-config `settings` JSON", NULL, false},
    {"dashboard.config_dir", "KFDASH_DASHBOARD_CONFIG_DIR", "dashboard-config-dir", K_STRING,
     F(dashboard_config_dir), 0, 0, "",
     "Directory with files `links` and `settings` (the mounted dashboard-config ConfigMap); "
     "they replace the two settings above",
     check_dir_or_empty, false},
    {"kubeflow.dashboard_configmap", "DASHBOARD_CONFIGMAP", "dashboard-configmap", K_STRING,
     F(dashboard_configmap), 0, 0, "dashboard-config",
     "Kubeflow's dashboard-config ConfigMap in kubeflow.pod_namespace, read through the API server "
     "and followed (an edit applies at once); while it exists its `links` and `settings` are "
     "served instead of the three settings above; empty = never read",
     check_object_name_or_empty, false},
    {"kubeflow.port", "PORT_1", "kubeflow-port", K_INT, F(kubeflow_port), 0, 65535, "0",
     "Kubeflow's PORT_1: also listen on 0.0.0.0 at this port (Kubeflow's Deployment, Service and "
     "probes use 8082; the container image sets it); 0 = only the listen addresses",
     NULL, false},
    {"kubeflow.userid_header", "USERID_HEADER", "userid-header", K_STRING, F(userid_header), 0, 0,
     "kubeflow-userid", "Header that carries the user's identity to and from Kubeflow apps",
     check_header_name, false},
    {"kubeflow.userid_prefix", "USERID_PREFIX", "userid-prefix", K_STRING, F(userid_prefix), 0, 0,
     "", "Prefix in front of the user's email in that header", NULL, false},
    {"kubeflow.registration_flow", "REGISTRATION_FLOW", "registration-flow", K_BOOL,
     F(registration_flow), 0, 0, "true", "Users without a profile may create their own", NULL,
     false},
    {"kubeflow.logout_url", "LOGOUT_URL", "logout-url", K_STRING, F(logout_url), 0, 0, "",
     "Where logout sends the browser; empty = kfdash's login page", check_url_or_path, false},
    {"kubeflow.cluster_admins", "KFDASH_CLUSTER_ADMINS", "cluster-admins", K_STRING,
     F(cluster_admins), 0, 0, "",
     "Comma-separated emails of cluster admins (Kubeflow's KFAM -cluster-admin): every profile, "
     "user administration",
     NULL, false},
    {"kubeflow.cluster_admin_groups", "KFDASH_CLUSTER_ADMIN_GROUPS", "cluster-admin-groups",
     K_STRING, F(cluster_admin_groups), 0, 0, "",
     "Comma-separated groups whose members are cluster admins", NULL, false},
    {"kubeflow.pod_namespace", "POD_NAMESPACE", "pod-namespace", K_STRING, F(pod_namespace), 0, 0,
     "kubeflow", "Namespace kfdash runs in", check_namespace, false},
    {"apps.domain", "KFDASH_APPS_DOMAIN", "apps-domain", K_STRING, F(apps_domain), 0, 0, "",
     "Every application (a notebook, a Spark UI, a model endpoint, MLflow's UI) on a host of its "
     "own under this wildcard domain (nb-alice--nb1.<domain>), served by kfdash by Host, so no "
     "application's page acts as its visitor on kfdash's origin; empty = applications share "
     "kfdash's origin, and only a namespace's owner and contributors may open them",
     check_domain, false},
    {"public_url", "KFDASH_PUBLIC_URL", "public-url", K_STRING, F(public_url), 0, 0, "",
     "The address users open kfdash at (https://kubeflow.example.com): application hosts send "
     "browsers back there to sign in, and share its scheme and port; needed with apps.domain",
     check_origin_url, false},
    {"kubeflow.reserved_namespaces", "KFDASH_RESERVED_NAMESPACES", "reserved-namespaces", K_STRING,
     F(reserved_namespaces), 0, 0,
     "kube-*,default,kubeflow,kubeflow-*,istio-*,knative-*,cert-manager,auth,dex,oauth2-proxy,"
     "local-path-storage,gke-*,gmp-*,config-management-*,cnrm-system",
     "Namespaces no profile may take ('kube-*' is a prefix); kfdash's and Dex's own are always "
     "reserved",
     check_namespace_patterns, false},
    {"kubeflow.max_profiles_per_user", "KFDASH_MAX_PROFILES_PER_USER", "max-profiles-per-user",
     K_INT, F(max_profiles_per_user), 0, 10000, "1",
     "Profiles a user may register for themselves (cluster admins: any number)", NULL, false},
    {"kubeflow.istio_ingress_gateway_principal", "ISTIO_INGRESS_GATEWAY_PRINCIPAL",
     "istio-ingress-gateway-principal", K_STRING, F(istio_gateway_principal), 0, 0,
     "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
     "The ingress gateway, the one source a contributor's Istio AuthorizationPolicy admits "
     "(KFAM's setting)",
     check_principal, false},
    {"kubeflow.kfp_ui_principal", "KFP_UI_PRINCIPAL", "kfp-ui-principal", K_STRING,
     F(kfp_ui_principal), 0, 0, "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
     "Kubeflow Pipelines' UI, the other source those policies admit (KFAM's setting)",
     check_principal, false},
    {"oidc.issuer", "KFDASH_OIDC_ISSUER", "oidc-issuer", K_STRING, F(oidc_issuer), 0, 0, "",
     "The OpenID provider (Dex) whose ID tokens identify users, e.g. "
     "http://dex.auth.svc.cluster.local:5556/dex; empty = none",
     check_http_url_or_empty, false},
    {"oidc.client_id", "KFDASH_OIDC_CLIENT_ID", "oidc-client-id", K_STRING, F(oidc_client_id), 0, 0,
     "kfdash", "kfdash's client id at the provider: the audience its tokens must name",
     check_not_empty, false},
    {"auth.trusted_header_peers", "KFDASH_TRUSTED_HEADER_PEERS", "trusted-header-peers", K_STRING,
     F(trusted_header_peers), 0, 0, "",
     "Comma-separated addresses or CIDRs of gateways (Kubeflow's oauth2-proxy + Istio) whose "
     "USERID_HEADER and kubeflow-groups are believed; empty = never",
     check_peers, false},
    {"auth.trusted_proxies", "KFDASH_TRUSTED_PROXIES", "trusted-proxies", K_STRING,
     F(trusted_proxies), 0, 0, "",
     "Comma-separated addresses or CIDRs of proxies whose X-Forwarded-Proto and X-Forwarded-Host "
     "are believed (secure cookies, this site's URL); empty = none",
     check_peers, false},
    {"oidc.client_secret", "KFDASH_OIDC_CLIENT_SECRET", NULL, K_STRING, F(oidc_client_secret), 0, 0,
     "", "kfdash's client secret at the provider (needed for browser sign-in)", NULL, true},
    {"oidc.redirect_url", "KFDASH_OIDC_REDIRECT_URL", "oidc-redirect-url", K_STRING,
     F(oidc_redirect_url), 0, 0, "",
     "The callback URL registered at the provider; empty = <this site>/auth/callback",
     check_http_url_or_empty, false},
    {"oidc.authorization_url", "KFDASH_OIDC_AUTHORIZATION_URL", "oidc-authorization-url", K_STRING,
     F(oidc_authorization_url), 0, 0, "",
     "Where browsers go to sign in when the provider's own authorization endpoint is an in-cluster "
     "address (Kubeflow: /dex/auth, Dex behind the gateway); empty = the discovered one",
     check_url_or_path, false},
    {"oidc.scopes", "KFDASH_OIDC_SCOPES", "oidc-scopes", K_STRING, F(oidc_scopes), 0, 0,
     "openid email profile groups offline_access",
     "Scopes asked for at sign-in; offline_access lets sessions renew at the provider",
     check_not_empty, false},
    {"state_dir", "KFDASH_STATE_DIR", "state-dir", K_STRING, F(state_dir), 0, 0, "",
     "Directory for the database (sessions, tokens) and the generated session key; empty = "
     "memory only, so a restart signs everybody out",
     check_dir_or_empty, false},
    {"session.keys_file", "KFDASH_SESSION_KEYS_FILE", "session-keys-file", K_STRING,
     F(session_keys_file), 0, 0, "",
     "Session keys, one per line (64 hex digits; the first seals, all open); empty = "
     "<state_dir>/session.keys, made on first start",
     NULL, false},
    {"session.lifetime_s", "KFDASH_SESSION_LIFETIME", "session-lifetime", K_INT,
     F(session_lifetime_s), 300, 30 * 86400, "86400",
     "Seconds a browser session lasts from sign-in", NULL, false},
    {"tokens.max_auth_age_s", "KFDASH_TOKENS_MAX_AUTH_AGE", "tokens-max-auth-age", K_INT,
     F(tokens_max_auth_age_s), 1, 86400, "600",
     "A personal access token is made only within this many seconds of a sign-in at Dex (a "
     "browser session, or a Dex ID token issued that recently)",
     NULL, false},
    {"session.recheck_s", "KFDASH_SESSION_RECHECK", "session-recheck", K_INT, F(session_recheck_s),
     1, 86400, "900",
     "Seconds between renewals of a session at the provider (refresh token), which is how a "
     "disabled user loses access",
     NULL, false},
    {"shared_state", "KFDASH_SHARED_STATE", "shared-state", K_STRING, F(shared_state), 0, 0,
     "local",
     "Where sessions and personal access tokens live: local (this replica's database) or "
     "kubernetes (also as Secrets in kubeflow.pod_namespace, so every replica accepts them)",
     check_shared_state, false},
    {"upstream", "KFDASH_UPSTREAM", "upstream", K_STRING, F(upstream), 0, 0, "",
     "Sidecar mode: guard this one application (http://host:port) the way oauth2-proxy does; "
     "everything but /auth/*, /healthz, /readyz and /metrics is proxied to it, signed in",
     check_upstream, false},
    {"k8s.allowed_resources", "KFDASH_K8S_ALLOWED_RESOURCES", "k8s-allowed-resources", K_STRING,
     F(k8s_allowed_resources), 0, 0,
     "pods,pods/log,events,events.events.k8s.io,persistentvolumeclaims,services:ro,"
     "configmaps:ro,notebooks.kubeflow.org,poddefaults.kubeflow.org,profiles.kubeflow.org:ro,"
     "inferenceservices.serving.kserve.io,sparkapplications.sparkoperator.k8s.io,"
     "storageclasses.storage.k8s.io:ro,namespaces:ro",
     "What /api/k8s forwards: resource[/subresource][.group][:ro], comma-separated (:ro = get, "
     "list, watch only)",
     check_allowlist, false},
    {"dex.namespace", "KFDASH_DEX_NAMESPACE", "dex-namespace", K_STRING, F(dex_namespace), 0, 0,
     "auth",
     "Namespace of Dex's Kubernetes storage, where its local users (Password objects) live: the "
     "Users page writes them, and a user disabled or deleted there loses every session and token; "
     "empty = Dex keeps no users in Kubernetes",
     check_namespace_or_empty, false},
    {"kube.kubeconfig", "KUBECONFIG", "kubeconfig", K_STRING, F(kubeconfig), 0, 0, "",
     "A kubeconfig file (its current context) when kube.api is empty: server, CA, token or "
     "client certificate",
     NULL, false},
    {"kube.api", "KFDASH_KUBE_API", "kube-api", K_STRING, F(kube_api), 0, 0, "",
     "The Kubernetes API server URL; empty = in-cluster (KUBERNETES_SERVICE_HOST) or none",
     check_http_url_or_empty, false},
    {"kube.token_file", "KFDASH_KUBE_TOKEN_FILE", "kube-token-file", K_STRING, F(kube_token_file),
     0, 0, "", "kfdash's own bearer token for the API server (re-read as it rotates)", NULL, false},
    {"notebooks.url_template", "KFDASH_NOTEBOOK_URL_TEMPLATE", "notebook-url-template", K_STRING,
     F(notebook_url_template), 0, 0, "http://{name}.{namespace}.svc.cluster.local",
     "Where /notebook/<namespace>/<name>/ goes: {namespace} and {name} are filled in; the path "
     "is kept (notebooks serve under that prefix)",
     check_template, false},
    {"notebooks.images", "KFDASH_NOTEBOOK_IMAGES", "notebook-images", K_STRING, F(notebook_images),
     0, 0,
     "kubeflownotebookswg/jupyter-scipy:v1.10.0,kubeflownotebookswg/jupyter-pytorch-full:v1.10.0,"
     "kubeflownotebookswg/jupyter-tensorflow-full:v1.10.0",
     "The notebook images offered in the form, comma-separated, first is the default (your "
     "custom images go here)",
     check_not_empty, false},
    {"notebooks.gpu_vendors", "KFDASH_NOTEBOOK_GPU_VENDORS", "notebook-gpu-vendors", K_STRING,
     F(notebook_gpu_vendors), 0, 0, "nvidia.com/gpu,amd.com/gpu",
     "GPU resource names offered in the notebook form, comma-separated", NULL, false},
    {"notebooks.spawner_config", "KFDASH_NOTEBOOK_SPAWNER_CONFIG", "notebook-spawner-config",
     K_STRING, F(notebook_spawner_config), 0, 0, "",
     "Kubeflow's Jupyter web app spawner_ui_config.yaml (ConfigMap jupyter-web-app-config-*, "
     "mounted): its images, defaults, limit factors, affinity and toleration groups, shm and "
     "readOnly fields rule the notebook form instead of notebooks.images and "
     "notebooks.gpu_vendors; read at start, a bad file stops kfdash",
     NULL, false},
    {"notebooks.max_upload_bytes", "KFDASH_NOTEBOOK_MAX_UPLOAD_BYTES", "notebook-max-upload-bytes",
     K_INT, F(notebook_max_upload_bytes), 0, 1L << 40, "536870912",
     "Largest request body sent to a notebook (uploads stream through); more gets 413", NULL,
     false},
    {"notebooks.mlflow_tracking_uri", "KFDASH_NOTEBOOK_MLFLOW_TRACKING_URI",
     "notebook-mlflow-tracking-uri", K_STRING, F(notebook_mlflow_tracking_uri), 0, 0,
     "http://mlflow.kubeflow.svc.cluster.local:5000",
     "MLFLOW_TRACKING_URI the per-namespace MLflow PodDefault gives notebooks (MLflow's "
     "in-cluster address, or kfdash's /mlflow route)",
     check_http_url_or_empty, false},
    {"spark.ui_url_template", "KFDASH_SPARK_UI_URL_TEMPLATE", "spark-ui-url-template", K_STRING,
     F(spark_ui_url_template), 0, 0, "http://{name}-ui-svc.{namespace}.svc.cluster.local:4040",
     "Where /spark/<namespace>/<app>/ goes (the driver's UI Service): {namespace} and {name} are "
     "filled in; the prefix is stripped and sent as X-Forwarded-Context",
     check_template, false},
    {"mlflow.url", "KFDASH_MLFLOW_URL", "mlflow-url", K_STRING, F(mlflow_url), 0, 0, "",
     "The MLflow tracking server behind /mlflow/ (with --enable-workspaces), e.g. "
     "http://mlflow.kubeflow.svc.cluster.local:5000; empty = none",
     check_upstream, false},
    {"kserve.service_account", "KFDASH_KSERVE_SERVICE_ACCOUNT", "kserve-service-account", K_STRING,
     F(kserve_service_account), 0, 0, "",
     "serviceAccountName of the InferenceServices kfdash creates (the one holding storage "
     "credentials for the model's artifacts); empty = the namespace's default",
     NULL, false},
    {"kserve.max_request_bytes", "KFDASH_KSERVE_MAX_REQUEST_BYTES", "kserve-max-request-bytes",
     K_INT, F(kserve_max_request_bytes), 0, 1L << 40, "67108864",
     "Largest prediction request sent to a model through /serving/ (it streams); more gets 413",
     NULL, false},
    {"prometheus.url", "PROMETHEUS_URL", "prometheus-url", K_STRING, F(prometheus_url), 0, 0, "",
     "Prometheus's HTTP API (in-cluster Prometheus, or Google Managed Prometheus's frontend), "
     "e.g. http://prometheus-operated.monitoring.svc:9090: the charts of each profile and "
     "Kubeflow's /api/metrics; empty = none",
     check_http_url_or_empty, false},
    {"prometheus.dashboard_url", "METRICS_DASHBOARD", "metrics-dashboard", K_STRING,
     F(metrics_dashboard), 0, 0, "",
     "Where fuller charts live (Grafana): Kubeflow's resourceChartsLink in /api/metrics",
     check_url_or_path, false},
    {"prometheus.scrape_interval_s", "KFDASH_PROMETHEUS_SCRAPE_INTERVAL",
     "prometheus-scrape-interval", K_INT, F(prometheus_scrape_s), 1, 3600, "30",
     "Seconds between Prometheus's scrapes of the pods: a chart's rates are taken over four of "
     "them (or its step, when longer)",
     NULL, false},
    {"connect_to", "KFDASH_CONNECT_TO", "connect-to", K_STRING, F(connect_to), 0, 0, "",
     "Comma-separated HOST:PORT:TO_HOST:TO_PORT: connections kfdash would open to HOST:PORT go "
     "to TO_HOST:TO_PORT instead (as curl --connect-to), for a port-forward or a local stack",
     check_connect_to, false},
    {"kube.ca_file", "KFDASH_KUBE_CA_FILE", "kube-ca-file", K_STRING, F(kube_ca_file), 0, 0, "",
     "CA bundle that signed the API server's certificate", NULL, false},
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static void *field(struct config *c, const struct setting *s)
{
    return (char *)c + s->offset;
}

static const void *cfield(const struct config *c, const struct setting *s)
{
    return (const char *)c + s->offset;
}

/* Formats the one-line error: where the value came from, the value, and what was expected. */
static int fail(char err[CONFIG_ERROR_MAX], const char *where, const char *value,
                const char *expected)
{
    struct buf b;
    buf_init(&b, CONFIG_ERROR_MAX - 1);
    buf_addf(&b, "%s", where);
    if (value) {
        char shown[81];
        snprintf(shown, sizeof(shown), "%s", value);
        buf_adds(&b, " = ");
        buf_add_json_string(&b, shown);
        if (strlen(value) > 80) buf_adds(&b, "...");
    }
    buf_addf(&b, ": expected %s", expected);
    snprintf(err, CONFIG_ERROR_MAX, "%s", buf_error(&b) ? where : buf_str(&b));
    buf_reset(&b);
    return -EINVAL;
}

static int parse_bool(const char *v, bool *ret)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) return *ret = true, 0;
        if (strcasecmp(v, no[i]) == 0) return *ret = false, 0;
    }
    return -EINVAL;
}

static int set_string(char **slot, const char *v)
{
    char *copy = strdup(v);
    if (!copy) return -ENOMEM;
    free(*slot);
    *slot = copy;
    return 0;
}

static void clear_list(struct config *c)
{
    for (size_t i = 0; i < c->n_listen; i++) free(c->listen[i]);
    c->n_listen = 0;
}

static int add_list_item(struct config *c, const struct setting *s, const char *item,
                         const char *where, char err[CONFIG_ERROR_MAX])
{
    const char *expected = s->check ? s->check(item) : NULL;
    if (expected) return fail(err, where, item, expected);
    if (c->n_listen == CONFIG_MAX_LISTEN) return fail(err, where, item, "at most 16 addresses");
    char *copy = strdup(item);
    if (!copy) return -ENOMEM;
    c->listen[c->n_listen++] = copy;
    return 0;
}

/* Applies a value written as text (default, environment, flag). append: add to a list. */
static int set_text(struct config *c, const struct setting *s, const char *v, bool append,
                    const char *where, char err[CONFIG_ERROR_MAX])
{
    if (strlen(v) > CONFIG_STRING_MAX) return fail(err, where, v, "at most 4096 bytes");
    switch (s->kind) {
    case K_STRING: {
        const char *expected = s->check ? s->check(v) : NULL;
        if (expected) return fail(err, where, v, expected);
        return set_string(field(c, s), v);
    }
    case K_INT: {
        char *end, range[96];
        errno = 0;
        long long n = strtoll(v, &end, 10);
        snprintf(range, sizeof(range), "an integer from %ld to %ld", s->min, s->max);
        if (errno || end == v || *end || n < s->min || n > s->max)
            return fail(err, where, v, range);
        *(long *)field(c, s) = (long)n;
        return 0;
    }
    case K_BOOL:
        if (parse_bool(v, field(c, s)) < 0) return fail(err, where, v, "true or false");
        return 0;
    case K_LIST: {
        if (!append) clear_list(c);
        char *copy = strdup(v), *save = NULL;
        if (!copy) return -ENOMEM;
        int r = 0;
        for (char *item = strtok_r(copy, ",", &save); item && r == 0;
             item = strtok_r(NULL, ",", &save))
            r = add_list_item(c, s, item, where, err);
        free(copy);
        if (r == 0 && c->n_listen == 0) r = fail(err, where, v, "at least one address");
        return r;
    }
    case K_JSON: {
        cJSON *j = cJSON_Parse(v);
        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            return fail(err, where, v, "a JSON object");
        }
        cJSON **slot = field(c, s);
        cJSON_Delete(*slot);
        *slot = j;
        return 0;
    }
    }
    return -EINVAL;
}

/* Applies a value from the JSON config file. */
static int set_json(struct config *c, const struct setting *s, const cJSON *v, const char *where,
                    char err[CONFIG_ERROR_MAX])
{
    char num[32];
    switch (s->kind) {
    case K_STRING:
        if (!cJSON_IsString(v)) return fail(err, where, NULL, "a string");
        return set_text(c, s, v->valuestring, false, where, err);
    case K_INT:
        /* Range first (far beyond any setting's), so the cast to long long is defined. */
        if (!cJSON_IsNumber(v) || !(v->valuedouble > -1e18 && v->valuedouble < 1e18) ||
            v->valuedouble != (double)(long long)v->valuedouble)
            return fail(err, where, NULL, "an integer");
        snprintf(num, sizeof(num), "%lld", (long long)v->valuedouble);
        return set_text(c, s, num, false, where, err);
    case K_BOOL:
        if (!cJSON_IsBool(v)) return fail(err, where, NULL, "true or false");
        *(bool *)field(c, s) = cJSON_IsTrue(v);
        return 0;
    case K_LIST: {
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
            return fail(err, where, NULL, "a non-empty array of strings");
        clear_list(c);
        const cJSON *item;
        cJSON_ArrayForEach(item, v)
        {
            if (!cJSON_IsString(item)) return fail(err, where, NULL, "an array of strings");
            int r = add_list_item(c, s, item->valuestring, where, err);
            if (r < 0) return r;
        }
        return 0;
    }
    case K_JSON: {
        if (!cJSON_IsObject(v)) return fail(err, where, NULL, "a JSON object");
        cJSON *copy = cJSON_Duplicate(v, 1);
        if (!copy) return -ENOMEM;
        cJSON **slot = field(c, s);
        cJSON_Delete(*slot);
        *slot = copy;
        return 0;
    }
    }
    return -EINVAL;
}

/* Walks the file's objects; every leaf must name a setting, so typos are caught. */
static int apply_file_object(struct config *c, const cJSON *obj, const char *prefix,
                             const char *path, char err[CONFIG_ERROR_MAX])
{
    const cJSON *item;
    cJSON_ArrayForEach(item, obj)
    {
        char key[128], where[256];
        snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", item->string);
        snprintf(where, sizeof(where), "%s: %s", path, key);
        const struct setting *s = NULL;
        for (size_t i = 0; i < N_SETTINGS && !s; i++)
            if (strcmp(settings[i].key, key) == 0) s = &settings[i];
        if (s) {
            int r = set_json(c, s, item, where, err);
            if (r < 0) return r;
            continue;
        }
        size_t klen = strlen(key);
        bool is_group = false;
        for (size_t i = 0; i < N_SETTINGS && !is_group; i++)
            is_group = strncmp(settings[i].key, key, klen) == 0 && settings[i].key[klen] == '.';
        if (!is_group) return fail(err, where, NULL, "a known setting (see kfdash --help)");
        if (!cJSON_IsObject(item)) return fail(err, where, NULL, "an object");
        int r = apply_file_object(c, item, key, path, err);
        if (r < 0) return r;
    }
    return 0;
}

static int apply_file(struct config *c, const char *path, char err[CONFIG_ERROR_MAX])
{
    struct buf file;
    buf_init(&file, CONFIG_FILE_MAX);
    int e = buf_read_file(&file, path);
    char *text = e < 0 ? NULL : buf_take(&file, NULL);
    buf_reset(&file);
    if (!text) {
        if (e == 0) e = -ENOMEM;
        snprintf(err, CONFIG_ERROR_MAX, "--config %s: cannot read: %s", path,
                 e == -E2BIG ? "larger than 4 MiB" : strerror(-e));
        return -EINVAL;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    int r;
    if (!cJSON_IsObject(root)) {
        snprintf(err, CONFIG_ERROR_MAX, "--config %s: expected a JSON object", path);
        r = -EINVAL;
    } else {
        r = apply_file_object(c, root, "", path, err);
    }
    cJSON_Delete(root);
    return r;
}

static const char *env_lookup(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

static const struct setting *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings[i].flag && strlen(settings[i].flag) == len &&
            strncmp(settings[i].flag, name, len) == 0)
            return &settings[i];
    return NULL;
}

static const struct {
    const char *flag;
    enum config_action action;
    bool takes_value;
} actions[] = {
    {"help", CONFIG_HELP, false},          {"version", CONFIG_VERSION, false},
    {"check-config", CONFIG_CHECK, false}, {"config-reference", CONFIG_REFERENCE, false},
    {"config", CONFIG_RUN, true},
};

/* One pass over argv. with_settings: apply setting flags; otherwise only --config/actions. */
static int parse_flags(int argc, char **argv, struct config *c, enum config_action *action,
                       bool with_settings, char err[CONFIG_ERROR_MAX])
{
    bool listen_from_flag = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, CONFIG_ERROR_MAX, "unexpected argument \"%.80s\" (see --help)", arg);
            return -EINVAL;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        bool known = false;
        for (size_t k = 0; k < sizeof(actions) / sizeof(actions[0]); k++) {
            if (strlen(actions[k].flag) != len || strncmp(actions[k].flag, name, len) != 0)
                continue;
            known = true;
            if (actions[k].takes_value && !value) {
                if (i + 1 >= argc) return fail(err, arg, NULL, "a value after it");
                value = argv[++i];
            }
            if (!with_settings) {
                if (actions[k].takes_value) {
                    if (set_string(&c->config_file, value) < 0) return -ENOMEM;
                } else if (*action == CONFIG_RUN) {
                    *action = actions[k].action;
                }
            }
        }
        if (known) continue;
        const struct setting *s = find_flag(name, len);
        if (!s) {
            snprintf(err, CONFIG_ERROR_MAX, "unknown option --%.*s (see --help)", (int)len, name);
            return -EINVAL;
        }
        if (!value) {
            if (s->kind == K_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
                value = "true";
            } else {
                if (i + 1 >= argc) return fail(err, arg, NULL, "a value after it");
                value = argv[++i];
            }
        }
        if (!with_settings) continue;
        char where[96];
        snprintf(where, sizeof(where), "--%s", s->flag);
        bool append = s->kind == K_LIST && listen_from_flag;
        if (s->kind == K_LIST) listen_from_flag = true;
        int r = set_text(c, s, value, append, where, err);
        if (r < 0) return r;
    }
    return 0;
}

/* Kubeflow's dashboard variables (server.ts) that kfdash has no use for. */
static const struct {
    const char *env, *why;
} ignored_env[] = {
    {"PROFILES_KFAM_SERVICE_HOST",
     "kfdash reads and writes profiles and contributors through the API server, not through KFAM"},
    {"PROFILES_KFAM_SERVICE_PORT",
     "kfdash reads and writes profiles and contributors through the API server, not through KFAM"},
    {"COLLECT_METRICS", "kfdash always serves its Prometheus metrics, at /metrics"},
};

size_t config_ignored_env(char **envp, const char **names, const char **whys, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof(ignored_env) / sizeof(ignored_env[0]) && n < max; i++) {
        if (!env_lookup(envp, ignored_env[i].env)) continue;
        names[n] = ignored_env[i].env;
        whys[n++] = ignored_env[i].why;
    }
    return n;
}

/* Kubeflow's PORT_1: 0.0.0.0:<port> joins the listen addresses, unless one has that port. */
static int add_kubeflow_port(struct config *c, char err[CONFIG_ERROR_MAX])
{
    if (!c->kubeflow_port) return 0;
    char suffix[16], address[32];
    snprintf(suffix, sizeof(suffix), ":%ld", c->kubeflow_port);
    for (size_t i = 0; i < c->n_listen; i++) {
        size_t n = strlen(c->listen[i]), k = strlen(suffix);
        if (n >= k && strcmp(c->listen[i] + n - k, suffix) == 0) return 0;
    }
    snprintf(address, sizeof(address), "0.0.0.0:%ld", c->kubeflow_port);
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings[i].kind == K_LIST)
            return add_list_item(c, &settings[i], address, "PORT_1", err);
    return 0;
}

/* https:// listen addresses need a certificate and its key; the two come together. */
static int check_tls(const struct config *c, char err[CONFIG_ERROR_MAX])
{
    bool https = false;
    for (size_t i = 0; i < c->n_listen; i++) https = https || listen_is_tls(c->listen[i]);
    if (!*c->tls_cert_file != !*c->tls_key_file) {
        snprintf(err, CONFIG_ERROR_MAX, "tls.cert_file and tls.key_file: set both, or neither");
        return -EINVAL;
    }
    if (https && !*c->tls_cert_file) {
        snprintf(err, CONFIG_ERROR_MAX,
                 "https:// listen addresses need tls.cert_file and tls.key_file "
                 "(KFDASH_TLS_CERT_FILE, KFDASH_TLS_KEY_FILE)");
        return -EINVAL;
    }
    return 0;
}

/* Inside a pod, with no API server configured: the pod's own service account and the
 * kubernetes Service, as client-go's rest.InClusterConfig finds them. */
static int derive_in_cluster(struct config *c, char **envp)
{
    const char *host = env_lookup(envp, "KUBERNETES_SERVICE_HOST");
    const char *port = env_lookup(envp, "KUBERNETES_SERVICE_PORT");
    if (*c->kube_api || *c->kubeconfig || !host || !*host) return 0;
    char url[300];
    snprintf(url, sizeof(url),
             strchr(host, ':') ? "https://[%.200s]:%.10s" : "https://%.200s:%.10s", host,
             port && *port ? port : "443");
    int r = set_string(&c->kube_api, url);
    if (r == 0 && !*c->kube_token_file) r = set_string(&c->kube_token_file, IN_CLUSTER "/token");
    if (r == 0 && !*c->kube_ca_file) r = set_string(&c->kube_ca_file, IN_CLUSTER "/ca.crt");
    return r;
}

int config_load(int argc, char **argv, char **envp, struct config *ret,
                enum config_action *ret_action, char err[CONFIG_ERROR_MAX])
{
    struct config c = {0};
    enum config_action action = CONFIG_RUN;
    int r = parse_flags(argc, argv, &c, &action, false, err);
    for (size_t i = 0; i < N_SETTINGS && r == 0; i++) {
        char where[96];
        snprintf(where, sizeof(where), "default of %s", settings[i].key);
        r = set_text(&c, &settings[i], settings[i].def, false, where, err);
    }
    if (r == 0 && c.config_file) r = apply_file(&c, c.config_file, err);
    for (size_t i = 0; i < N_SETTINGS && r == 0; i++) {
        const char *v = env_lookup(envp, settings[i].env);
        if (v) r = set_text(&c, &settings[i], v, false, settings[i].env, err);
    }
    if (r == 0) r = parse_flags(argc, argv, &c, &action, true, err);
    if (r == 0) r = derive_in_cluster(&c, envp);
    if (r == 0) r = check_tls(&c, err);
    if (r == 0) r = add_kubeflow_port(&c, err);
    if (r < 0) {
        if (r == -ENOMEM) snprintf(err, CONFIG_ERROR_MAX, "out of memory");
        config_reset(&c);
        return -EINVAL;
    }
    *ret = c;
    *ret_action = action;
    return 0;
}

void config_reset(struct config *c)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        if (s->kind == K_STRING) free(*(char **)field(c, s));
        if (s->kind == K_JSON) cJSON_Delete(*(cJSON **)field(c, s));
    }
    clear_list(c);
    free(c->config_file);
    *c = (struct config){0};
}

/* Adds value at the dotted key path below root, creating the objects on the way. */
static int json_put(cJSON *root, const char *key, cJSON *value)
{
    char path[128];
    snprintf(path, sizeof(path), "%s", key);
    cJSON *obj = root;
    char *save = NULL, *part = strtok_r(path, ".", &save);
    for (char *next; (next = strtok_r(NULL, ".", &save)); part = next) {
        cJSON *child = cJSON_GetObjectItemCaseSensitive(obj, part);
        if (!child) child = cJSON_AddObjectToObject(obj, part);
        if (!child) return -ENOMEM;
        obj = child;
    }
    return cJSON_AddItemToObject(obj, part, value) ? 0 : -ENOMEM;
}

char *config_to_json(const struct config *c)
{
    cJSON *root = cJSON_CreateObject();
    for (size_t i = 0; root && i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        const void *f = cfield(c, s);
        cJSON *v = NULL;
        if (s->secret) {
            v = cJSON_CreateString(*(char *const *)f && **(char *const *)f ? "<redacted>" : "");
        } else if (s->kind == K_STRING) {
            v = cJSON_CreateString(*(char *const *)f);
        } else if (s->kind == K_INT) {
            v = cJSON_CreateNumber((double)*(const long *)f);
        } else if (s->kind == K_BOOL) {
            v = cJSON_CreateBool(*(const bool *)f);
        } else if (s->kind == K_LIST) {
            v = cJSON_CreateStringArray((const char *const *)c->listen, (int)c->n_listen);
        } else {
            v = cJSON_Duplicate(*(cJSON *const *)f, 1);
        }
        if (!v || json_put(root, s->key, v) < 0) {
            cJSON_Delete(v);
            cJSON_Delete(root);
            return NULL;
        }
    }
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static const char *kind_name(enum kind k)
{
    static const char *const names[] = {"string", "integer", "boolean", "list", "JSON object"};
    return names[k];
}

size_t config_split_list(char *text, const char **out, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *item = text ? strtok_r(text, ",", &save) : NULL; item && n < max;
         item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ') item++;
        size_t len = strlen(item);
        while (len && item[len - 1] == ' ') item[--len] = '\0';
        if (*item) out[n++] = item;
    }
    return n;
}

int config_reference(struct buf *out)
{
    buf_adds(out, "| Key (JSON file) | Environment | Flag | Type | Default | Meaning |\n");
    buf_adds(out, "| --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        char type[64];
        if (s->kind == K_INT)
            snprintf(type, sizeof(type), "integer %ld–%ld", s->min, s->max);
        else
            snprintf(type, sizeof(type), "%s", kind_name(s->kind));
        buf_addf(out, "| `%s` | `%s` | %s%s%s | %s | %s%s%s | %s |\n", s->key, s->env,
                 s->flag ? "`--" : "", s->flag ? s->flag : "", s->flag ? "`" : "", type,
                 *s->def ? "`" : "", *s->def ? s->def : "(empty)", *s->def ? "`" : "", s->help);
    }
    return buf_error(out);
}

int config_usage(struct buf *out)
{
    buf_adds(out, "Usage: kfdash [--config FILE] [OPTIONS]\n\n"
                  "The central dashboard for Kubeflow and MLflow.\n\n"
                  "  --config FILE          JSON config file (settings below, nested by key)\n"
                  "  --check-config         print the effective config and exit\n"
                  "  --config-reference     print the settings table (Markdown) and exit\n"
                  "  --help                 this text\n"
                  "  --version              print the version and exit\n\n"
                  "Settings (flag, environment, JSON key; flags beat the environment, which "
                  "beats the file):\n");
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const struct setting *s = &settings[i];
        char flag[64];
        snprintf(flag, sizeof(flag), "%s%s", s->flag ? "--" : "", s->flag ? s->flag : "");
        buf_addf(out, "  %-24s %s\n  %-24s %s, %s; default %s\n", flag, s->help, "", s->env, s->key,
                 *s->def ? s->def : "empty");
    }
    return buf_error(out);
}
