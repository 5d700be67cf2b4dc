/* auth/store: SQLite for sessions and personal access tokens; see store.h. */
#include "auth/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS sessions("
    "  id TEXT PRIMARY KEY, email TEXT NOT NULL, created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL, refresh_token TEXT, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tokens("
    "  id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, email TEXT NOT NULL,"
    "  groups TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL, last_used INTEGER);"
    "CREATE INDEX IF NOT EXISTS tokens_by_email ON tokens(email);"
    "CREATE INDEX IF NOT EXISTS sessions_by_email ON sessions(email);"
    "CREATE TABLE IF NOT EXISTS provider_users("
    "  email TEXT PRIMARY KEY, generation TEXT NOT NULL, not_before INTEGER NOT NULL);"
    "DELETE FROM sessions WHERE expires < strftime('%s','now');";

/* Every statement the store runs, prepared once per thread. */
enum stmt {
    ST_SESSION_ADD,
    ST_SESSION_GET,
    ST_SESSION_SET_REFRESH,
    ST_SESSION_REVOKE,
    ST_TOKEN_ADD,
    ST_TOKEN_COUNT,
    ST_TOKEN_FIND,
    ST_TOKEN_USED,
    ST_TOKEN_LIST,
    ST_TOKEN_DELETE,
    ST_TOKEN_OWNER,
    ST_SESSION_MIRROR,
    ST_TOKEN_MIRROR,
    ST_TOKEN_FORGET,
    ST_TOKEN_IDS,
    ST_SESSIONS_EXPIRED,
    ST_TOKENS_EXPIRED,
    ST_SESSION_DROP,
    ST_USER_GET,
    ST_USER_PUT,
    ST_USER_SESSIONS,
    ST_USER_SESSIONS_REVOKE,
    ST_USER_TOKENS_DROP,
    ST_USERS_PRESENT,
    ST_COUNT,
};

static const char *const sql[ST_COUNT] = {
    [ST_SESSION_ADD] = "INSERT INTO sessions(id, email, created, expires, refresh_token) "
                       "VALUES(?1, ?2, strftime('%s','now'), ?3, ?4)",
    [ST_SESSION_GET] = "SELECT refresh_token, revoked FROM sessions WHERE id = ?1",
    [ST_SESSION_SET_REFRESH] = "UPDATE sessions SET refresh_token = ?2 WHERE id = ?1",
    [ST_SESSION_REVOKE] = "UPDATE sessions SET revoked = 1, refresh_token = NULL WHERE id = ?1",
    [ST_TOKEN_ADD] = "INSERT INTO tokens(hash, id, email, groups, name, created, expires) "
                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_TOKEN_COUNT] = "SELECT count(*) FROM tokens WHERE email = ?1 AND expires > ?2",
    [ST_TOKEN_FIND] =
        "SELECT id, email, groups, expires, created FROM tokens WHERE hash = ?1 AND expires > ?2",
    [ST_TOKEN_USED] = "UPDATE tokens SET last_used = ?2 WHERE id = ?1",
    [ST_TOKEN_LIST] = "SELECT id, name, created, expires, last_used FROM tokens "
                      "WHERE email = ?1 ORDER BY created DESC, id",
    [ST_TOKEN_DELETE] = "DELETE FROM tokens WHERE email = ?1 AND id = ?2",
    [ST_TOKEN_OWNER] = "SELECT email FROM tokens WHERE id = ?1",
    /* Once revoked, always revoked, and a revoked session keeps no refresh token. */
    [ST_SESSION_MIRROR] =
        "INSERT INTO sessions(id, email, created, expires, refresh_token, revoked) "
        "VALUES(?1, ?2, strftime('%s','now'), ?3, CASE WHEN ?5 THEN NULL ELSE ?4 END, ?5) "
        "ON CONFLICT(id) DO UPDATE SET expires = excluded.expires, "
        "refresh_token = CASE WHEN sessions.revoked OR excluded.revoked THEN NULL "
        "ELSE excluded.refresh_token END, revoked = max(sessions.revoked, excluded.revoked)",
    [ST_TOKEN_MIRROR] = "INSERT INTO tokens(hash, id, email, groups, name, created, expires) "
                        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING",
    [ST_TOKEN_FORGET] = "DELETE FROM tokens WHERE id = ?1",
    [ST_TOKEN_IDS] = "SELECT id FROM tokens",
    [ST_SESSIONS_EXPIRED] = "SELECT id FROM sessions WHERE expires < ?1 LIMIT ?2",
    [ST_TOKENS_EXPIRED] = "SELECT id FROM tokens WHERE expires < ?1 LIMIT ?2",
    [ST_SESSION_DROP] = "DELETE FROM sessions WHERE id = ?1",
    [ST_USER_GET] = "SELECT generation FROM provider_users WHERE email = ?1",
    [ST_USER_PUT] = "INSERT INTO provider_users(email, generation, not_before) VALUES(?1, ?2, ?3) "
                    "ON CONFLICT(email) DO UPDATE SET generation = excluded.generation, "
                    "not_before = max(provider_users.not_before, excluded.not_before)",
    [ST_USER_SESSIONS] = "SELECT id FROM sessions WHERE email = ?1 AND revoked = 0",
    [ST_USER_SESSIONS_REVOKE] =
        "UPDATE sessions SET revoked = 1, refresh_token = NULL WHERE email = ?1",
    [ST_USER_TOKENS_DROP] = "DELETE FROM tokens WHERE email = ?1 AND created <= ?2",
    [ST_USERS_PRESENT] = "SELECT email FROM provider_users WHERE generation != ''",
};

/* One thread's connection. */
struct conn {
    sqlite3 *db;                   /* this thread's connection */
    sqlite3_stmt *stmts[ST_COUNT]; /* prepared on first use */
};

struct store {
    char *uri;             /* what every thread opens */
    sqlite3 *anchor;       /* held open for the process: keeps an in-memory database alive */
    pthread_key_t key;     /* each thread's struct conn */
    pthread_rwlock_t lock; /* guards revoked */
    char **revoked;        /* open-addressing set of revoked session ids, n_slots long */
    size_t n_slots;        /* a power of two */
    size_t n_revoked;      /* entries in the set */
    /* Users whose credentials made at or before a time are void: open addressing too. */
    pthread_rwlock_t users_lock; /* guards users */
    struct user_mark *users;     /* n_user_slots long, a power of two */
    size_t n_user_slots, n_users;
};

struct user_mark {
    char *email;       /* lowercase; NULL = free */
    time_t not_before; /* credentials made at or before this are void */
};

static void conn_close(void *p)
{
    struct conn *c = p;
    if (!c) return;
    for (size_t i = 0; i < ST_COUNT; i++) sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->db);
    free(c);
}

static int open_db(const char *uri, sqlite3 **ret)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(uri, &db, flags, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -EIO;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    *ret = db;
    return 0;
}

/* The statement for this thread, reset and ready for binding; NULL on failure. */
static sqlite3_stmt *stmt(struct store *s, enum stmt which)
{
    struct conn *c = pthread_getspecific(s->key);
    if (!c) {
        c = calloc(1, sizeof(*c));
        if (!c || open_db(s->uri, &c->db) < 0) {
            free(c);
            return NULL;
        }
        pthread_setspecific(s->key, c);
    }
    if (!c->stmts[which] && sqlite3_prepare_v3(c->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT,
                                               &c->stmts[which], NULL) != SQLITE_OK)
        return NULL;
    sqlite3_reset(c->stmts[which]);
    sqlite3_clear_bindings(c->stmts[which]);
    return c->stmts[which];
}

/* Steps a statement that returns no rows. */
static int run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    switch (rc & 0xff) { /* the primary code: SQLITE_IOERR_WRITE is an SQLITE_IOERR */
    case SQLITE_DONE:
        return 0;
    case SQLITE_CONSTRAINT:
        return -EEXIST;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_READONLY:
        return -EROFS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    default:
        return -EIO;
    }
}

const char *store_write_failure(int e)
{
    return e == -ENOSPC  ? "its disk is full"
           : e == -EROFS ? "its storage is read-only"
           : e == -EBUSY ? "its storage is busy"
                         : NULL;
}

/* ---------------------------------------------------------------- revoked set */

static uint64_t hash_id(const char *id)
{
    uint64_t h = 1469598103934665603ull;
    for (; *id; id++) h = (h ^ (unsigned char)*id) * 1099511628211ull;
    return h;
}

/* Inserts id (taken) into slots; caller holds the write lock and ensured room. */
static void set_insert(char **slots, size_t n_slots, char *id)
{
    size_t i = hash_id(id) & (n_slots - 1);
    while (slots[i]) {
        if (strcmp(slots[i], id) == 0) {
            free(id);
            return;
        }
        i = (i + 1) & (n_slots - 1);
    }
    slots[i] = id;
}

static int remember_revoked(struct store *s, const char *id)
{
    char *copy = strdup(id);
    if (!copy) return -ENOMEM;
    pthread_rwlock_wrlock(&s->lock);
    int r = 0;
    if (s->n_revoked >= STORE_REVOKED_MAX) {
        r = -E2BIG;
    } else if ((s->n_revoked + 1) * 2 > s->n_slots) {
        size_t n = s->n_slots ? s->n_slots * 2 : 1024;
        char **bigger = calloc(n, sizeof(char *));
        if (!bigger) {
            r = -ENOMEM;
        } else {
            for (size_t i = 0; i < s->n_slots; i++)
                if (s->revoked[i]) set_insert(bigger, n, s->revoked[i]);
            free(s->revoked);
            s->revoked = bigger;
            s->n_slots = n;
        }
    }
    if (r == 0) {
        set_insert(s->revoked, s->n_slots, copy);
        s->n_revoked++;
    } else {
        free(copy);
    }
    pthread_rwlock_unlock(&s->lock);
    return r;
}

bool store_session_revoked(struct store *s, const char *id)
{
    pthread_rwlock_rdlock(&s->lock);
    bool found = false;
    if (s->n_slots) {
        size_t i = hash_id(id) & (s->n_slots - 1);
        while (s->revoked[i] && !(found = strcmp(s->revoked[i], id) == 0))
            i = (i + 1) & (s->n_slots - 1);
    }
    pthread_rwlock_unlock(&s->lock);
    return found;
}

/* ---------------------------------------------------------------- users' marks */

/* email, lowercased, into out; false when too long. */
static bool lower_email(const char *email, char out[STORE_EMAIL_MAX])
{
    size_t n = strlen(email);
    if (n >= STORE_EMAIL_MAX) return false;
    for (size_t i = 0; i <= n; i++)
        out[i] = email[i] >= 'A' && email[i] <= 'Z' ? (char)(email[i] + 32) : email[i];
    return true;
}

static struct user_mark *mark_slot(struct user_mark *marks, size_t n_slots, const char *email)
{
    size_t i = hash_id(email) & (n_slots - 1);
    while (marks[i].email && strcmp(marks[i].email, email) != 0) i = (i + 1) & (n_slots - 1);
    return &marks[i];
}

/* Records that email's credentials made at or before not_before are void (keeps the later). */
static int remember_mark(struct store *s, const char *email, time_t not_before)
{
    pthread_rwlock_wrlock(&s->users_lock);
    int r = 0;
    if ((s->n_users + 1) * 2 > s->n_user_slots) {
        size_t n = s->n_user_slots ? s->n_user_slots * 2 : 256;
        struct user_mark *bigger = calloc(n, sizeof(*bigger));
        if (bigger) {
            for (size_t i = 0; i < s->n_user_slots; i++)
                if (s->users[i].email) *mark_slot(bigger, n, s->users[i].email) = s->users[i];
            free(s->users);
            s->users = bigger;
            s->n_user_slots = n;
        } else {
            r = -ENOMEM;
        }
    }
    struct user_mark *m = r == 0 ? mark_slot(s->users, s->n_user_slots, email) : NULL;
    if (m && !m->email) {
        m->email = strdup(email);
        if (m->email)
            s->n_users++;
        else
            r = -ENOMEM;
    }
    if (m && m->email && not_before > m->not_before) m->not_before = not_before;
    pthread_rwlock_unlock(&s->users_lock);
    return r;
}

time_t store_user_not_before(struct store *s, const char *email)
{
    char key[STORE_EMAIL_MAX];
    if (!lower_email(email, key)) return 0;
    time_t t = 0;
    pthread_rwlock_rdlock(&s->users_lock);
    if (s->n_user_slots) t = mark_slot(s->users, s->n_user_slots, key)->not_before;
    pthread_rwlock_unlock(&s->users_lock);
    return t;
}

/* Every session and token of email ends: they were made at or before now. */
static int void_credentials(struct store *s, const char *email, time_t now)
{
    int r = remember_mark(s, email, now);
    sqlite3_stmt *st = stmt(s, ST_USER_SESSIONS);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        remember_revoked(s, (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    st = stmt(s, ST_USER_SESSIONS_REVOKE);
    int w = st ? 0 : -EIO;
    if (st) {
        sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
        w = run(st);
    }
    st = stmt(s, ST_USER_TOKENS_DROP);
    if (st && w == 0) {
        sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        w = run(st);
    }
    return r < 0 ? r : st ? w : -EIO;
}

int store_user_observe(struct store *s, const char *email, const char *generation, time_t now,
                       bool *ret_changed)
{
    char key[STORE_EMAIL_MAX];
    if (!lower_email(email, key)) return -EINVAL;
    sqlite3_stmt *st = stmt(s, ST_USER_GET);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    bool known = rc == SQLITE_ROW;
    bool changed = known && strcmp((const char *)sqlite3_column_text(st, 0), generation) != 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -EIO;
    if (known && !changed) {
        *ret_changed = false;
        return 0;
    }
    int r = changed ? void_credentials(s, key, now) : 0;
    st = stmt(s, ST_USER_PUT);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, generation, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, changed ? now : 0);
    int w = run(st);
    if (r == 0 && w == 0) *ret_changed = changed;
    return r < 0 ? r : w;
}

int store_users_present(struct store *s, char ***ret, size_t *ret_n)
{
    sqlite3_stmt *st = stmt(s, ST_USERS_PRESENT);
    if (!st) return -EIO;
    char **all = NULL;
    size_t n = 0, cap = 0;
    int r = 0, rc;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t more = cap ? cap * 2 : 64;
            char **grown = realloc(all, more * sizeof(*all));
            if (!grown) {
                r = -ENOMEM;
                break;
            }
            all = grown;
            cap = more;
        }
        if (!(all[n] = strdup((const char *)sqlite3_column_text(st, 0))))
            r = -ENOMEM;
        else
            n++;
    }
    sqlite3_reset(st);
    if (r < 0) {
        for (size_t i = 0; i < n; i++) free(all[i]);
        free(all);
        return r;
    }
    *ret = all;
    *ret_n = n;
    return 0;
}

/* ---------------------------------------------------------------- open / free */

int store_open(const char *path, struct store **ret, char err[256])
{
    static atomic_uint n_memory;
    struct store *s = calloc(1, sizeof(*s));
    if (!s) return -ENOMEM;
    char uri[4200];
    if (path && *path) {
        /* A URI path: percent-encode what would end or bend it. */
        size_t n = (size_t)snprintf(uri, sizeof(uri), "file:");
        for (const char *p = path; *p && n + 4 < sizeof(uri); p++)
            n += (size_t)(*p == '?' || *p == '#' || *p == '%'
                              ? snprintf(uri + n, sizeof(uri) - n, "%%%02X", (unsigned char)*p)
                              : snprintf(uri + n, sizeof(uri) - n, "%c", *p));
    } else {
        snprintf(uri, sizeof(uri), "file:kfdash-%ld-%u?mode=memory&cache=shared", (long)getpid(),
                 atomic_fetch_add(&n_memory, 1));
    }
    s->uri = strdup(uri);
    pthread_rwlock_init(&s->lock, NULL);
    pthread_rwlock_init(&s->users_lock, NULL);
    if (!s->uri || pthread_key_create(&s->key, conn_close) != 0) {
        pthread_rwlock_destroy(&s->lock);
        pthread_rwlock_destroy(&s->users_lock);
        free(s->uri);
        free(s);
        return -ENOMEM;
    }
    char *msg = NULL;
    int r = open_db(s->uri, &s->anchor);
    /* Refresh tokens (sealed) and token hashes: readable by kfdash only. The WAL and shared
     * memory files SQLite makes next to it take the database file's mode. */
    if (r == 0 && path && *path && chmod(path, 0600) < 0) r = -errno;
    if (r == 0 && sqlite3_exec(s->anchor, schema, NULL, NULL, &msg) != SQLITE_OK) r = -EIO;
    if (r < 0) {
        /* SQLite's "disk I/O error" hides the reason the operator must fix (a full disk): the
         * system's error, when there is one, is said too. */
        int sys = s->anchor ? sqlite3_system_errno(s->anchor) : 0;
        snprintf(err, 256, "cannot open the database %s: %s%s%s",
                 path && *path ? path : "in memory",
                 msg         ? msg
                 : s->anchor ? sqlite3_errmsg(s->anchor)
                             : "cannot open",
                 sys ? ": " : "", sys ? strerror(sys) : "");
        sqlite3_free(msg);
        store_free(s);
        return r;
    }
    /* Revocations still in force come back into memory. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->anchor, "SELECT id FROM sessions WHERE revoked = 1", -1, &st, NULL) ==
        SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            remember_revoked(s, (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    /* So do the users whose earlier credentials are void. */
    st = NULL;
    if (sqlite3_prepare_v2(s->anchor,
                           "SELECT email, not_before FROM provider_users WHERE not_before > 0", -1,
                           &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            remember_mark(s, (const char *)sqlite3_column_text(st, 0),
                          (time_t)sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    *ret = s;
    return 0;
}

void store_free(struct store *s)
{
    if (!s) return;
    /* This thread's connection; the other threads closed theirs as they exited. */
    conn_close(pthread_getspecific(s->key));
    pthread_key_delete(s->key);
    sqlite3_close(s->anchor);
    for (size_t i = 0; i < s->n_slots; i++) free(s->revoked[i]);
    free(s->revoked);
    for (size_t i = 0; i < s->n_user_slots; i++) free(s->users[i].email);
    free(s->users);
    pthread_rwlock_destroy(&s->lock);
    pthread_rwlock_destroy(&s->users_lock);
    free(s->uri);
    free(s);
}

/* ---------------------------------------------------------------- sessions */

int store_session_add(struct store *s, const char *id, const char *email, time_t expires,
                      const char *refresh)
{
    sqlite3_stmt *st = stmt(s, ST_SESSION_ADD);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, expires);
    if (refresh) sqlite3_bind_text(st, 4, refresh, -1, SQLITE_STATIC);
    return run(st);
}

int store_session_refresh_token(struct store *s, const char *id, char **ret)
{
    sqlite3_stmt *st = stmt(s, ST_SESSION_GET);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int r = 0;
    char *refresh = NULL;
    if (rc != SQLITE_ROW) {
        r = rc == SQLITE_DONE ? -ENOENT : -EIO;
    } else if (sqlite3_column_int(st, 1)) {
        r = -EACCES;
    } else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
        refresh = strdup((const char *)sqlite3_column_text(st, 0));
        if (!refresh) r = -ENOMEM;
    }
    sqlite3_reset(st);
    if (r == 0) *ret = refresh;
    return r;
}

int store_session_set_refresh_token(struct store *s, const char *id, const char *refresh)
{
    sqlite3_stmt *st = stmt(s, ST_SESSION_SET_REFRESH);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, refresh, -1, SQLITE_STATIC);
    return run(st);
}

int store_session_revoke(struct store *s, const char *id)
{
    int r = remember_revoked(s, id);
    sqlite3_stmt *st = stmt(s, ST_SESSION_REVOKE);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int w = run(st);
    return r < 0 ? r : w;
}

/* ---------------------------------------------------------------- personal access tokens */

/* Inserts a token with `which` (ST_TOKEN_ADD or ST_TOKEN_MIRROR) unless its owner already has
 * STORE_TOKENS_PER_USER unexpired ones at time `now`. */
static int insert_token(struct store *s, enum stmt which, const unsigned char hash[32],
                        const char *id, const char *email, const char *groups, const char *name,
                        time_t created, time_t expires, time_t now)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_COUNT);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (n < 0) return -EIO;
    if (n >= STORE_TOKENS_PER_USER) return -EDQUOT;
    /* Another replica's copy of a token its user lost since (store_user_observe). */
    if (which == ST_TOKEN_MIRROR && created <= store_user_not_before(s, email)) return 0;
    st = stmt(s, which);
    if (!st) return -EIO;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, groups, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, created);
    sqlite3_bind_int64(st, 7, expires);
    return run(st);
}

int store_token_add(struct store *s, const unsigned char hash[32], const char *id,
                    const char *email, const char *groups, const char *name, time_t created,
                    time_t expires)
{
    return insert_token(s, ST_TOKEN_ADD, hash, id, email, groups, name, created, expires, created);
}

int store_token_find(struct store *s, const unsigned char hash[32], time_t now,
                     struct store_token *ret)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_FIND);
    if (!st) return -EIO;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? -ENOENT : -EIO;
    }
    struct store_token t = {0};
    snprintf(t.id, sizeof(t.id), "%s", (const char *)sqlite3_column_text(st, 0));
    t.email = strdup((const char *)sqlite3_column_text(st, 1));
    t.groups = strdup((const char *)sqlite3_column_text(st, 2));
    t.expires = sqlite3_column_int64(st, 3);
    t.created = sqlite3_column_int64(st, 4);
    sqlite3_reset(st);
    if (!t.email || !t.groups) {
        store_token_reset(&t);
        return -ENOMEM;
    }
    st = stmt(s, ST_TOKEN_USED);
    if (st) {
        sqlite3_bind_text(st, 1, t.id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        run(st); /* best effort: "last used" is a hint */
    }
    *ret = t;
    return 0;
}

void store_token_reset(struct store_token *t)
{
    free(t->email);
    free(t->groups);
    t->email = t->groups = NULL;
}

int store_tokens_list(struct store *s, const char *email, cJSON **ret)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_LIST);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    cJSON *list = cJSON_CreateArray();
    int rc;
    while (list && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *t = cJSON_CreateObject();
        if (!t || !cJSON_AddItemToArray(list, t)) {
            cJSON_Delete(t);
            cJSON_Delete(list);
            list = NULL;
            break;
        }
        cJSON_AddStringToObject(t, "id", (const char *)sqlite3_column_text(st, 0));
        cJSON_AddStringToObject(t, "name", (const char *)sqlite3_column_text(st, 1));
        cJSON_AddNumberToObject(t, "created", (double)sqlite3_column_int64(st, 2));
        cJSON_AddNumberToObject(t, "expires", (double)sqlite3_column_int64(st, 3));
        if (sqlite3_column_type(st, 4) == SQLITE_NULL)
            cJSON_AddNullToObject(t, "last_used");
        else
            cJSON_AddNumberToObject(t, "last_used", (double)sqlite3_column_int64(st, 4));
    }
    sqlite3_reset(st);
    if (!list) return -ENOMEM;
    *ret = list;
    return 0;
}

int store_token_delete(struct store *s, const char *email, const char *id)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_DELETE);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    int r = run(st);
    if (r < 0) return r;
    return sqlite3_changes(sqlite3_db_handle(st)) > 0 ? 0 : -ENOENT;
}

int store_token_owned(struct store *s, const char *email, const char *id)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_OWNER);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int r = rc == SQLITE_ROW
                ? (strcmp((const char *)sqlite3_column_text(st, 0), email) == 0 ? 0 : -ENOENT)
            : rc == SQLITE_DONE ? -ENOENT
                                : -EIO;
    sqlite3_reset(st);
    return r;
}

/* ---------------------------------------------------------------- mirroring */

int store_session_mirror(struct store *s, const char *id, const char *email, time_t expires,
                         const char *refresh, bool revoked)
{
    if (revoked) {
        int r = remember_revoked(s, id);
        if (r < 0) return r;
    }
    sqlite3_stmt *st = stmt(s, ST_SESSION_MIRROR);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, expires);
    if (refresh) sqlite3_bind_text(st, 4, refresh, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, revoked ? 1 : 0);
    return run(st);
}

int store_token_mirror(struct store *s, const unsigned char hash[32], const char *id,
                       const char *email, const char *groups, const char *name, time_t created,
                       time_t expires)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_OWNER);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return -EIO;
    return insert_token(s, ST_TOKEN_MIRROR, hash, id, email, groups, name, created, expires,
                        time(NULL));
}

int store_token_forget(struct store *s, const char *id)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_FORGET);
    if (!st) return -EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return run(st);
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int store_tokens_keep_only(struct store *s, const char *const *keep, size_t n)
{
    sqlite3_stmt *st = stmt(s, ST_TOKEN_IDS);
    if (!st) return -EIO;
    /* Collected first: the table is not changed under a running SELECT. */
    char **gone = NULL;
    size_t n_gone = 0, cap = 0;
    int r = 0, rc;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        /* keep is NULL when n is 0 (no token Secrets at all). */
        if (n && bsearch(&id, keep, n, sizeof(*keep), compare_ids)) continue;
        if (n_gone == cap) {
            cap = cap ? cap * 2 : 16;
            char **bigger = realloc(gone, cap * sizeof(*gone));
            if (!bigger) {
                r = -ENOMEM;
                break;
            }
            gone = bigger;
        }
        if (!(gone[n_gone] = strdup(id)))
            r = -ENOMEM;
        else
            n_gone++;
    }
    sqlite3_reset(st);
    for (size_t i = 0; i < n_gone; i++) {
        if (r == 0) r = store_token_forget(s, gone[i]);
        free(gone[i]);
    }
    free(gone);
    return r;
}

int store_drop_expired(struct store *s, bool tokens, time_t now, char **ret_ids, size_t max,
                       size_t *ret_n)
{
    sqlite3_stmt *st = stmt(s, tokens ? ST_TOKENS_EXPIRED : ST_SESSIONS_EXPIRED);
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    size_t n = 0;
    int r = 0;
    while (n < max && sqlite3_step(st) == SQLITE_ROW) {
        if (!(ret_ids[n] = strdup((const char *)sqlite3_column_text(st, 0)))) {
            r = -ENOMEM;
            break;
        }
        n++;
    }
    sqlite3_reset(st);
    for (size_t i = 0; i < n && r == 0; i++) {
        if (tokens) {
            r = store_token_forget(s, ret_ids[i]);
        } else if ((st = stmt(s, ST_SESSION_DROP))) {
            sqlite3_bind_text(st, 1, ret_ids[i], -1, SQLITE_STATIC);
            r = run(st);
        } else {
            r = -EIO;
        }
    }
    if (r < 0) {
        for (size_t i = 0; i < n; i++) free(ret_ids[i]);
        return r;
    }
    *ret_n = n;
    return 0;
}
