/* k8s/client: see client.h. */
#include "k8s/client.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/upstream.h"

#define TOKEN_MAX       (K8S_AUTH_HEADER_MAX - 32)
#define TOKEN_RECHECK_S 10 /* look at the token file at most this often */

struct k8s_client {
    char *api;        /* base URL */
    char *token_file; /* NULL when none */
    char *ca_file, *cert_file, *key_file;
    char *ca_pem, *cert_pem, *key_pem;
    struct upstream_tls tls; /* points into the above */
    bool has_tls;            /* any of them is set */
    pthread_mutex_t lock;    /* guards the token cache below */
    char *token;             /* the configured token, or the last one read from the file */
    time_t checked;          /* when the file was last looked at */
    struct timespec mtime;   /* its modification time then */
};

/* A copy of s (or of its n bytes when n > 0) when set; *ok cleared when out of memory. */
static char *copy_of(const char *s, size_t n, bool *ok)
{
    if (!s || (!n && !*s)) return NULL;
    char *c = n ? malloc(n + 1) : strdup(s);
    if (c && n) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    if (!c) *ok = false;
    return c;
}

int k8s_client_new(const struct k8s_client_config *cfg, struct k8s_client **ret)
{
    struct k8s_client *c = calloc(1, sizeof(*c));
    if (!c) return -ENOMEM;
    bool ok = true;
    c->api = copy_of(cfg->api, 0, &ok);
    c->token = copy_of(cfg->token, 0, &ok);
    c->token_file = c->token ? NULL : copy_of(cfg->token_file, 0, &ok);
    c->ca_file = copy_of(cfg->ca_file, 0, &ok);
    c->cert_file = copy_of(cfg->cert_file, 0, &ok);
    c->key_file = copy_of(cfg->key_file, 0, &ok);
    c->ca_pem = copy_of(cfg->ca_pem, cfg->ca_pem_len, &ok);
    c->cert_pem = copy_of(cfg->cert_pem, cfg->cert_pem_len, &ok);
    c->key_pem = copy_of(cfg->key_pem, cfg->key_pem_len, &ok);
    pthread_mutex_init(&c->lock, NULL);
    if (!ok || !c->api) {
        k8s_client_free(c);
        return ok ? -EINVAL : -ENOMEM;
    }
    c->tls = (struct upstream_tls){
        .ca_file = c->ca_file,
        .ca_pem = c->ca_pem,
        .ca_pem_len = c->ca_pem ? strlen(c->ca_pem) : 0,
        .cert_file = c->cert_file,
        .cert_pem = c->cert_pem,
        .cert_pem_len = c->cert_pem ? strlen(c->cert_pem) : 0,
        .key_file = c->key_file,
        .key_pem = c->key_pem,
        .key_pem_len = c->key_pem ? strlen(c->key_pem) : 0,
    };
    c->has_tls =
        c->ca_file || c->cert_file || c->key_file || c->ca_pem || c->cert_pem || c->key_pem;
    size_t n = strlen(c->api);
    while (n && c->api[n - 1] == '/') c->api[--n] = '\0';
    *ret = c;
    return 0;
}

void k8s_client_free(struct k8s_client *c)
{
    if (!c) return;
    free(c->api);
    free(c->token_file);
    free(c->ca_file);
    free(c->cert_file);
    free(c->key_file);
    free(c->ca_pem);
    free(c->cert_pem);
    if (c->key_pem) explicit_bzero(c->key_pem, strlen(c->key_pem));
    free(c->key_pem);
    if (c->token) explicit_bzero(c->token, strlen(c->token));
    free(c->token);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *k8s_client_api(const struct k8s_client *c)
{
    return c->api;
}

const struct upstream_tls *k8s_client_tls(const struct k8s_client *c)
{
    return c->has_tls ? &c->tls : NULL;
}

/* Reads the token file when it changed; caller holds the lock. */
static int refresh_token(struct k8s_client *c, time_t now)
{
    struct stat st;
    if (stat(c->token_file, &st) < 0) return -EIO;
    if (c->token && st.st_mtim.tv_sec == c->mtime.tv_sec && st.st_mtim.tv_nsec == c->mtime.tv_nsec)
        return 0;
    FILE *f = fopen(c->token_file, "re");
    if (!f) return -EIO;
    char *text = malloc(TOKEN_MAX + 1);
    size_t n = text ? fread(text, 1, TOKEN_MAX + 1, f) : 0;
    fclose(f);
    if (!text || n == 0 || n > TOKEN_MAX) {
        free(text);
        return -EIO;
    }
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ')) n--;
    text[n] = '\0';
    free(c->token);
    c->token = text;
    c->mtime = st.st_mtim;
    return 0;
}

int k8s_client_auth_header(struct k8s_client *c, char *out, size_t size)
{
    if (!c->token_file && !c->token) {
        out[0] = '\0';
        return 0;
    }
    time_t now = time(NULL);
    pthread_mutex_lock(&c->lock);
    int r = 0;
    if (c->token_file && (!c->token || now - c->checked >= TOKEN_RECHECK_S)) {
        r = refresh_token(c, now);
        c->checked = now;
    }
    if (c->token) {
        int n = snprintf(out, size, "Authorization: Bearer %s", c->token);
        r = n > 0 && (size_t)n < size ? 0 : -E2BIG;
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}
