/* k8s/kubeconfig: one context of a kubeconfig, resolved; see kubeconfig.h. */
#include "k8s/kubeconfig.h"

#include <errno.h>
#include <limits.h>
#include <mbedtls/base64.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* A kubeconfig is five levels deep; extensions may add a few. */
#define MAX_DEPTH 32
/* Nodes in the whole tree: 1000 entries in each list fit several times over. */
#define MAX_NODES 100000
/* A name shown in a message: enough to recognise it, never a whole line. */
#define SHOWN_MAX 48

enum node_kind { NODE_SCALAR, NODE_LIST, NODE_MAP };

struct node {
    enum node_kind kind; /* what the YAML wrote */
    size_t line;         /* 1-based line where it starts, for messages */
    char *text;          /* scalar: its value, NUL-terminated, no NUL inside */
    size_t len;          /* scalar: bytes in text */
    bool plain;          /* scalar: unquoted, so null and ~ mean unset */
    struct node **kids;  /* list: its items; map: keys and values alternating */
    size_t n, cap;       /* entries used and allocated in kids */
};

__attribute__((format(printf, 2, 3))) static int fail(char *err, const char *fmt, ...)
{
    int n = snprintf(err, K8S_KUBECONFIG_ERROR_MAX, "kubeconfig: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, K8S_KUBECONFIG_ERROR_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* s cut short and stripped of anything that would break a one-line message or a log. */
static const char *shown(const char *s, char buf[SHOWN_MAX + 4])
{
    size_t i = 0;
    for (; s[i] && i < SHOWN_MAX; i++) buf[i] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
    strcpy(buf + i, s[i] ? "..." : "");
    return buf;
}

static void node_free(struct node *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) node_free(n->kids[i]);
    free(n->kids);
    if (n->text) explicit_bzero(n->text, n->len); /* tokens and keys do not linger */
    free(n->text);
    free(n);
}

static int add_kid(struct node *parent, struct node *kid)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? 2 * parent->cap : 8;
        struct node **kids = realloc(parent->kids, cap * sizeof(*kids));
        if (!kids) return -ENOMEM;
        parent->kids = kids;
        parent->cap = cap;
    }
    parent->kids[parent->n++] = kid;
    return 0;
}

/* A node for a scalar or collection start event; a scalar's value is taken from the event. */
static int node_from_event(yaml_event_t *ev, struct node **ret, char *err)
{
    size_t line = ev->start_mark.line + 1;
    if (ev->type == YAML_SCALAR_EVENT) {
        if (ev->data.scalar.length > K8S_KUBECONFIG_MAX_STRING)
            return fail(err, "line %zu: a value longer than %u bytes", line,
                        K8S_KUBECONFIG_MAX_STRING);
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return fail(err, "line %zu: a value with a NUL byte", line);
    }
    struct node *n = calloc(1, sizeof(*n));
    if (!n) return -ENOMEM;
    n->line = line;
    if (ev->type == YAML_SCALAR_EVENT) {
        n->kind = NODE_SCALAR;
        n->text = (char *)ev->data.scalar.value; /* taken: yaml_event_delete frees NULL */
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        ev->data.scalar.value = NULL;
    } else {
        n->kind = ev->type == YAML_SEQUENCE_START_EVENT ? NODE_LIST : NODE_MAP;
    }
    *ret = n;
    return 0;
}

/* The single document of text as a tree (NULL when the stream holds none). */
static int load_tree(const char *text, size_t len, struct node **ret, char *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return -ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    struct node *root = NULL, *stack[MAX_DEPTH];
    size_t depth = 0, nodes = 0, documents = 0;
    int r = 0;
    for (bool done = false; r == 0 && !done;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_MEMORY_ERROR)
                r = -ENOMEM;
            else
                r = fail(err, "line %zu: %s", parser.problem_mark.line + 1,
                         parser.problem ? parser.problem : "malformed YAML");
            break;
        }
        size_t line = ev.start_mark.line + 1;
        struct node *n = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) r = fail(err, "line %zu: more than one YAML document", line);
            break;
        case YAML_ALIAS_EVENT:
            r = fail(err, "line %zu: YAML aliases are not supported", line);
            break;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++nodes > MAX_NODES) {
                r = fail(err, "line %zu: more than %d YAML nodes", line, MAX_NODES);
                break;
            }
            if (ev.type != YAML_SCALAR_EVENT && depth == MAX_DEPTH) {
                r = fail(err, "line %zu: nested deeper than %d levels", line, MAX_DEPTH);
                break;
            }
            if ((r = node_from_event(&ev, &n, err)) < 0) break;
            if (depth == 0) {
                root = n;
            } else if ((r = add_kid(stack[depth - 1], n)) < 0) {
                node_free(n);
                break;
            }
            if (n->kind != NODE_SCALAR) stack[depth++] = n;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (r < 0) {
        node_free(root);
        return r;
    }
    *ret = root;
    return 0;
}

static bool is_unset(const struct node *n)
{
    if (!n) return true;
    if (n->kind != NODE_SCALAR) return false;
    return n->len == 0 ||
           (n->plain && (strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
                         strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0));
}

/* The value under key in map (the last one, as Go's decoder keeps it), or NULL. */
static const struct node *map_get(const struct node *map, const char *key)
{
    const struct node *found = NULL;
    if (!map || map->kind != NODE_MAP) return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (map->kids[i]->kind == NODE_SCALAR && strcmp(map->kids[i]->text, key) == 0)
            found = map->kids[i + 1];
    return found;
}

/* The string under key, NULL when unset; what names map in the message. */
static int get_string(const struct node *map, const char *key, const char *what, const char **ret,
                      char *err)
{
    const struct node *v = map_get(map, key);
    if (is_unset(v)) {
        *ret = NULL;
        return 0;
    }
    if (v->kind != NODE_SCALAR) return fail(err, "%s: %s is not a string", what, key);
    *ret = v->text;
    return 0;
}

static int get_bool(const struct node *map, const char *key, const char *what, bool *ret, char *err)
{
    /* YAML 1.1's booleans, which Go's decoder still reads. */
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};
    const struct node *v = map_get(map, key);
    *ret = false;
    if (is_unset(v)) return 0;
    for (size_t i = 0; v->kind == NODE_SCALAR && i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(v->text, no[i]) == 0) return 0;
        if (strcmp(v->text, yes[i]) == 0) {
            *ret = true;
            return 0;
        }
    }
    return fail(err, "%s: %s is not true or false", what, key);
}

/* A mapping, or unset: what a cluster, user or context must be. */
static int check_map(const struct node *n, const char *what, const char *key, char *err)
{
    if (is_unset(n) || n->kind == NODE_MAP) return 0;
    return fail(err, "%s: %s is not a mapping", what, key);
}

/*
 * Finds the entry called name in root's list (clusters, users, contexts) and returns its item
 * (cluster, user, context: a mapping, or NULL when the entry has none). 1 found, 0 not.
 */
static int find_named(const struct node *root, const char *list, const char *item, const char *name,
                      const struct node **ret, char *err)
{
    const struct node *l = map_get(root, list);
    char b[SHOWN_MAX + 4];
    if (is_unset(l)) return 0;
    if (l->kind != NODE_LIST) return fail(err, "%s is not a list", list);
    if (l->n > K8S_KUBECONFIG_MAX_ENTRIES)
        return fail(err, "more than %d %s", K8S_KUBECONFIG_MAX_ENTRIES, list);
    int found = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct node *e = l->kids[i];
        const char *entry_name;
        int r;
        if (e->kind != NODE_MAP)
            return fail(err, "line %zu: an entry of %s is not a mapping", e->line, list);
        if ((r = get_string(e, "name", list, &entry_name, err)) < 0) return r;
        if (!entry_name || strcmp(entry_name, name) != 0) continue;
        if (found) return fail(err, "more than one %s named \"%s\"", item, shown(name, b));
        *ret = map_get(e, item);
        found = 1;
    }
    if (found) {
        char what[SHOWN_MAX + 32];
        snprintf(what, sizeof(what), "%s \"%s\"", item, shown(name, b));
        return check_map(*ret, what, item, err) < 0 ? -EINVAL : 1;
    }
    return 0;
}

static int copy_string(const char *s, char **ret)
{
    if (!s) return 0;
    if (!(*ret = strdup(s))) return -ENOMEM;
    return 0;
}

/* path made absolute against dir. */
static int resolve_path(const char *dir, const char *path, const char *what, const char *key,
                        char **ret, char *err)
{
    char b[SHOWN_MAX + 4];
    if (!path) return 0;
    if (path[0] == '/') return copy_string(path, ret);
    if (!dir || dir[0] != '/')
        return fail(err, "%s: %s \"%s\" is relative, but the kubeconfig's directory is unknown",
                    what, key, shown(path, b));
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    if (n + 1 + strlen(path) >= PATH_MAX)
        return fail(err, "%s: %s \"%s\" is too long a path", what, key, shown(path, b));
    if (asprintf(ret, "%.*s%s%s", (int)n, dir, dir[n - 1] == '/' ? "" : "/", path) < 0)
        return -ENOMEM;
    return 0;
}

/* Standard base64 (line breaks and spaces skipped) into a NUL-terminated buffer. */
static int decode(const char *b64, const char *what, const char *key, unsigned char **ret,
                  size_t *ret_len, char *err)
{
    if (!b64) return 0;
    size_t n = strlen(b64), m = 0, need = 0, got = 0;
    unsigned char *src = malloc(n + 1), *out = NULL;
    if (!src) return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (b64[i] != ' ' && b64[i] != '\t' && b64[i] != '\r' && b64[i] != '\n') src[m++] = b64[i];
    int r = mbedtls_base64_decode(NULL, 0, &need, src, m);
    if (r == 0 || r == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL) {
        if (!(out = malloc(need + 1))) {
            free(src);
            return -ENOMEM;
        }
        r = mbedtls_base64_decode(out, need, &got, src, m);
    }
    explicit_bzero(src, m); /* a client key passes through here */
    free(src);
    if (r != 0 || got == 0) {
        if (out) explicit_bzero(out, need);
        free(out);
        if (r != 0) return fail(err, "%s: %s is not valid base64", what, key);
        return 0;
    }
    out[got] = '\0';
    *ret = out;
    *ret_len = got;
    return 0;
}

static int set_server(const char *s, const char *what, char **ret, char *err)
{
    char b[SHOWN_MAX + 4];
    if (!s) return fail(err, "%s has no server", what);
    size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
    size_t n = strlen(s);
    while (n > scheme && s[n - 1] == '/') n--;
    bool ok = scheme && n > scheme && s[scheme] != '/';
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] > ' ' && s[i] < 0x7f && s[i] != '?' && s[i] != '#';
    if (!ok)
        return fail(err, "%s: server \"%s\" is not an http:// or https:// URL", what, shown(s, b));
    if (!(*ret = strndup(s, n))) return -ENOMEM;
    return 0;
}

/* Refuses the first of keys that is set in map: kfdash cannot do what it asks. */
static int refuse_set(const struct node *map, const char *const *keys, const char *what,
                      const char *why, char *err)
{
    for (size_t i = 0; keys[i]; i++)
        if (!is_unset(map_get(map, keys[i])))
            return fail(err, "%s uses %s, %s", what, keys[i], why);
    return 0;
}

static int read_cluster(const struct node *c, const char *what, const char *dir,
                        struct k8s_kubeconfig *k, char *err)
{
    static const char *const unsupported[] = {"proxy-url", "tls-server-name", NULL};
    const char *server, *ca_file, *ca_data;
    int r;
    if ((r = refuse_set(c, unsupported, what, "which kfdash does not support", err)) < 0 ||
        (r = get_string(c, "server", what, &server, err)) < 0 ||
        (r = get_string(c, "certificate-authority", what, &ca_file, err)) < 0 ||
        (r = get_string(c, "certificate-authority-data", what, &ca_data, err)) < 0 ||
        (r = get_bool(c, "insecure-skip-tls-verify", what, &k->insecure, err)) < 0)
        return r;
    if (k->insecure && (ca_file || ca_data))
        return fail(err, "%s sets both insecure-skip-tls-verify and a certificate authority", what);
    if ((r = set_server(server, what, &k->server, err)) < 0 ||
        (r = decode(ca_data, what, "certificate-authority-data", &k->ca_data, &k->ca_len, err)) < 0)
        return r;
    if (!k->ca_data)
        r = resolve_path(dir, ca_file, what, "certificate-authority", &k->ca_file, err);
    return r;
}

static int read_user(const struct node *u, const char *what, const char *dir,
                     struct k8s_kubeconfig *k, char *err)
{
    static const char *const plugins[] = {"exec", "auth-provider", NULL};
    static const char *const unsupported[] = {"username",  "password",      "as", "as-uid",
                                              "as-groups", "as-user-extra", NULL};
    const char *token, *token_file, *cert_file, *cert_data, *key_file, *key_data;
    int r;
    for (size_t i = 0; plugins[i]; i++)
        if (!is_unset(map_get(u, plugins[i])))
            return fail(err, "%s uses %s credentials, which kfdash does not run", what, plugins[i]);
    if ((r = refuse_set(u, unsupported, what, "which kfdash does not support", err)) < 0 ||
        (r = get_string(u, "token", what, &token, err)) < 0 ||
        (r = get_string(u, "tokenFile", what, &token_file, err)) < 0 ||
        (r = get_string(u, "client-certificate", what, &cert_file, err)) < 0 ||
        (r = get_string(u, "client-certificate-data", what, &cert_data, err)) < 0 ||
        (r = get_string(u, "client-key", what, &key_file, err)) < 0 ||
        (r = get_string(u, "client-key-data", what, &key_data, err)) < 0)
        return r;
    if ((r = resolve_path(dir, token_file, what, "tokenFile", &k->token_file, err)) < 0 ||
        (!token_file && (r = copy_string(token, &k->token)) < 0) ||
        (r = decode(cert_data, what, "client-certificate-data", &k->cert_data, &k->cert_len, err)) <
            0 ||
        (r = decode(key_data, what, "client-key-data", &k->key_data, &k->key_len, err)) < 0)
        return r;
    if (!k->cert_data &&
        (r = resolve_path(dir, cert_file, what, "client-certificate", &k->cert_file, err)) < 0)
        return r;
    if (!k->key_data &&
        (r = resolve_path(dir, key_file, what, "client-key", &k->key_file, err)) < 0)
        return r;
    /* Checked on what was read: *-data of only spaces and line breaks decodes to nothing. */
    bool cert = k->cert_file || k->cert_data, key = k->key_file || k->key_data;
    if (cert != key)
        return fail(err, "%s has a client %s but no client %s", what, cert ? "certificate" : "key",
                    cert ? "key" : "certificate");
    return 0;
}

static int resolve(const struct node *root, const char *dir, const char *name,
                   struct k8s_kubeconfig *k, char *err)
{
    const struct node *ctx = NULL, *cluster = NULL, *user = NULL;
    const char *cluster_name, *user_name, *ns;
    char b1[SHOWN_MAX + 4], b2[SHOWN_MAX + 4], what[SHOWN_MAX + 32];
    int r;
    if (!is_unset(root) && root->kind != NODE_MAP)
        return fail(err, "the top level is not a mapping");
    if ((!name || !*name) &&
        (r = get_string(root, "current-context", "the top level", &name, err)) < 0)
        return r;
    if (!name) return fail(err, "no current-context set, and no context chosen");
    if ((r = find_named(root, "contexts", "context", name, &ctx, err)) <= 0)
        return r < 0 ? r : fail(err, "context \"%s\" not found", shown(name, b1));
    snprintf(what, sizeof(what), "context \"%s\"", shown(name, b1));
    if ((r = get_string(ctx, "cluster", what, &cluster_name, err)) < 0 ||
        (r = get_string(ctx, "user", what, &user_name, err)) < 0 ||
        (r = get_string(ctx, "namespace", what, &ns, err)) < 0)
        return r;
    if (!cluster_name) return fail(err, "%s names no cluster", what);
    if ((r = find_named(root, "clusters", "cluster", cluster_name, &cluster, err)) <= 0)
        return r < 0 ? r
                     : fail(err, "cluster \"%s\" of %s not found", shown(cluster_name, b2), what);
    snprintf(what, sizeof(what), "cluster \"%s\"", shown(cluster_name, b1));
    if ((r = read_cluster(cluster, what, dir, k, err)) < 0) return r;
    if (user_name) {
        snprintf(what, sizeof(what), "context \"%s\"", shown(name, b1));
        if ((r = find_named(root, "users", "user", user_name, &user, err)) <= 0)
            return r < 0 ? r : fail(err, "user \"%s\" of %s not found", shown(user_name, b2), what);
        snprintf(what, sizeof(what), "user \"%s\"", shown(user_name, b1));
        if ((r = read_user(user, what, dir, k, err)) < 0) return r;
    }
    return copy_string(ns, &k->namespace);
}

int k8s_kubeconfig_parse(const char *text, size_t len, const char *dir, const char *context,
                         struct k8s_kubeconfig *ret, char err[K8S_KUBECONFIG_ERROR_MAX])
{
    if (len > K8S_KUBECONFIG_MAX_BYTES)
        return fail(err, "larger than %u bytes", K8S_KUBECONFIG_MAX_BYTES);
    struct node *root = NULL;
    struct k8s_kubeconfig k = {0};
    int r = load_tree(text, len, &root, err);
    if (r == 0) r = resolve(root, dir, context, &k, err);
    node_free(root);
    if (r < 0) {
        if (r == -ENOMEM) snprintf(err, K8S_KUBECONFIG_ERROR_MAX, "kubeconfig: out of memory");
        k8s_kubeconfig_reset(&k);
        return r;
    }
    *ret = k;
    return 0;
}

/* The directory of path, absolute. */
static int dir_of(const char *path, char **ret)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (path[0] == '/') return (*ret = strndup(path, n ? n : 1)) ? 0 : -ENOMEM;
    char *cwd = getcwd(NULL, 0);
    if (!cwd) return -errno;
    int r = asprintf(ret, "%s%s%.*s", cwd, slash ? "/" : "", (int)n, path);
    free(cwd);
    return r < 0 ? -ENOMEM : 0;
}

int k8s_kubeconfig_load(const char *path, const char *context, struct k8s_kubeconfig *ret,
                        char err[K8S_KUBECONFIG_ERROR_MAX])
{
    char b[SHOWN_MAX + 4];
    FILE *f = fopen(path, "re");
    if (!f) {
        int e = errno;
        fail(err, "cannot open %s: %s", shown(path, b), strerror(e));
        return -e;
    }
    char *text = malloc(K8S_KUBECONFIG_MAX_BYTES + 1), *dir = NULL;
    size_t len = text ? fread(text, 1, K8S_KUBECONFIG_MAX_BYTES + 1, f) : 0;
    int r = !text ? -ENOMEM : ferror(f) ? -EIO : dir_of(path, &dir);
    fclose(f);
    if (r == -EIO) fail(err, "cannot read %s", shown(path, b));
    if (r == 0) r = k8s_kubeconfig_parse(text, len, dir, context, ret, err);
    if (r == -ENOMEM) snprintf(err, K8S_KUBECONFIG_ERROR_MAX, "kubeconfig: out of memory");
    if (text) explicit_bzero(text, len); /* it holds the user's credentials */
    free(text);
    free(dir);
    return r;
}

void k8s_kubeconfig_reset(struct k8s_kubeconfig *k)
{
    if (!k) return;
    if (k->token) explicit_bzero(k->token, strlen(k->token));
    if (k->key_data) explicit_bzero(k->key_data, k->key_len);
    free(k->server);
    free(k->namespace);
    free(k->ca_file);
    free(k->ca_data);
    free(k->token);
    free(k->token_file);
    free(k->cert_file);
    free(k->key_file);
    free(k->cert_data);
    free(k->key_data);
    memset(k, 0, sizeof(*k));
}
