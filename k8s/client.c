/* k8s/client: see client.h. */
#include "k8s/client.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TOKEN_MAX       (K8S_AUTH_HEADER_MAX - 32)
#define TOKEN_RECHECK_S 10 /* look at the token file at most this often */

struct k8s_client {
    char *api;             /* base URL */
    char *token_file;      /* NULL when none */
    char *ca_file;         /* NULL = system CAs */
    char *cert_file;       /* NULL when none */
    char *key_file;        /* NULL when none */
    pthread_mutex_t lock;  /* guards the token cache below */
    char *token;           /* the last token read */
    time_t checked;        /* when the file was last looked at */
    struct timespec mtime; /* its modification time then */
};

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

int k8s_client_new(const struct k8s_client_config *cfg, struct k8s_client **ret)
{
    struct k8s_client *c = calloc(1, sizeof(*c));
    if (!c) return -ENOMEM;
    c->api = strdup(cfg->api);
    c->token_file = dup_or_null(cfg->token_file);
    c->ca_file = dup_or_null(cfg->ca_file);
    c->cert_file = dup_or_null(cfg->cert_file);
    c->key_file = dup_or_null(cfg->key_file);
    pthread_mutex_init(&c->lock, NULL);
    if (!c->api || (cfg->token_file && *cfg->token_file && !c->token_file) ||
        (cfg->ca_file && *cfg->ca_file && !c->ca_file)) {
        k8s_client_free(c);
        return -ENOMEM;
    }
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
    free(c->token);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *k8s_client_api(const struct k8s_client *c)
{
    return c->api;
}

const char *k8s_client_ca_file(const struct k8s_client *c)
{
    return c->ca_file;
}

const char *k8s_client_cert_file(const struct k8s_client *c)
{
    return c->cert_file;
}

const char *k8s_client_key_file(const struct k8s_client *c)
{
    return c->key_file;
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
    if (!c->token_file) {
        out[0] = '\0';
        return 0;
    }
    time_t now = time(NULL);
    pthread_mutex_lock(&c->lock);
    int r = 0;
    if (!c->token || now - c->checked >= TOKEN_RECHECK_S) {
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
