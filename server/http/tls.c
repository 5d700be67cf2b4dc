/* tls: see tls.h. */
#include "server/http/tls.h"

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "server/config.h"

#define CHAIN_MAX 8
#define FILE_MAX  (1 << 20)
#define RECHECK_S 5

/* One loaded certificate chain and key. Kept until tls_stop once loaded: a handshake may still
 * hold one that a renewal replaced. */
struct creds {
    gnutls_pcert_st chain[CHAIN_MAX];
    unsigned n;
    gnutls_privkey_t key;
    struct creds *older;
};

static struct {
    pthread_mutex_t lock;
    char *cert_file, *key_file;
    struct creds *current;
    struct timespec cert_mtime, key_mtime;
    time_t checked;
} tls = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void creds_free(struct creds *c)
{
    while (c) {
        struct creds *older = c->older;
        for (unsigned i = 0; i < c->n; i++) gnutls_pcert_deinit(&c->chain[i]);
        if (c->key) gnutls_privkey_deinit(c->key);
        free(c);
        c = older;
    }
}

static struct creds *load(char *err, size_t size)
{
    struct buf cert, key;
    buf_init(&cert, FILE_MAX);
    buf_init(&key, FILE_MAX);
    int e = buf_read_file(&cert, tls.cert_file);
    const char *failed = tls.cert_file;
    if (e == 0) {
        e = buf_read_file(&key, tls.key_file);
        failed = tls.key_file;
    }
    if (e < 0) snprintf(err, size, "%s: %s", failed, strerror(-e));
    struct creds *c = e == 0 ? calloc(1, sizeof(*c)) : NULL;
    if (e == 0 && !c) snprintf(err, size, "out of memory");
    if (c) {
        gnutls_datum_t cd = {(unsigned char *)cert.p, (unsigned)cert.n};
        gnutls_datum_t kd = {(unsigned char *)key.p, (unsigned)key.n};
        c->n = CHAIN_MAX;
        int g = gnutls_pcert_list_import_x509_raw(c->chain, &c->n, &cd, GNUTLS_X509_FMT_PEM, 0);
        if (g < 0) {
            c->n = 0;
            snprintf(err, size, "%s: not a PEM certificate chain (%s)", tls.cert_file,
                     gnutls_strerror(g));
        } else if ((g = gnutls_privkey_init(&c->key)) < 0 ||
                   (g = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) <
                       0) {
            snprintf(err, size, "%s: not a PEM private key (%s)", tls.key_file, gnutls_strerror(g));
        }
        if (g < 0) {
            creds_free(c);
            c = NULL;
        }
    }
    buf_reset(&cert);
    if (key.p) explicit_bzero(key.p, key.n); /* the key lives on in GnuTLS's copy only */
    buf_reset(&key);
    return c;
}

/* GnuTLS asks which certificate to present: the current one. */
int tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int n_req,
                 const gnutls_pk_algorithm_t *algos, int n_algos, gnutls_pcert_st **chain,
                 unsigned *n, gnutls_privkey_t *key)
{
    pthread_mutex_lock(&tls.lock);
    struct creds *c = tls.current;
    if (c) {
        *chain = c->chain;
        *n = c->n;
        *key = c->key;
    }
    pthread_mutex_unlock(&tls.lock);
    return c ? 0 : -1;
}

static bool mtimes(struct timespec *cert, struct timespec *key)
{
    struct stat a, b;
    if (stat(tls.cert_file, &a) < 0 || stat(tls.key_file, &b) < 0) return false;
    *cert = a.st_mtim;
    *key = b.st_mtim;
    return true;
}

int tls_start(const struct config *cfg, char err[TLS_ERROR_MAX])
{
    if (!*cfg->tls_cert_file && !*cfg->tls_key_file) return 0;
    tls.cert_file = strdup(cfg->tls_cert_file);
    tls.key_file = strdup(cfg->tls_key_file);
    if (!tls.cert_file || !tls.key_file) {
        snprintf(err, TLS_ERROR_MAX, "out of memory");
        return -ENOMEM;
    }
    mtimes(&tls.cert_mtime, &tls.key_mtime);
    err[0] = '\0';
    tls.current = load(err, TLS_ERROR_MAX);
    tls.checked = time(NULL);
    return tls.current ? 0 : -EINVAL;
}

void tls_reload_if_changed(void)
{
    if (!tls.cert_file) return;
    time_t now = time(NULL);
    if (now - tls.checked < RECHECK_S) return;
    tls.checked = now;
    struct timespec c, k;
    if (!mtimes(&c, &k) ||
        (memcmp(&c, &tls.cert_mtime, sizeof(c)) == 0 && memcmp(&k, &tls.key_mtime, sizeof(k)) == 0))
        return;
    char err[TLS_ERROR_MAX] = "";
    struct creds *fresh = load(err, sizeof(err));
    if (!fresh) {
        /* A half-written renewal: try again next time, serve the last good one meanwhile. */
        log_msg(LOG_WARN, "cannot load the renewed TLS certificate; keeping the last one", "detail",
                err);
        return;
    }
    tls.cert_mtime = c;
    tls.key_mtime = k;
    pthread_mutex_lock(&tls.lock);
    fresh->older = tls.current;
    tls.current = fresh;
    pthread_mutex_unlock(&tls.lock);
    log_msg(LOG_INFO, "serving the renewed TLS certificate", "file", tls.cert_file);
}

void tls_stop(void)
{
    creds_free(tls.current);
    tls.current = NULL;
    free(tls.cert_file);
    free(tls.key_file);
    tls.cert_file = tls.key_file = NULL;
}
