/*
 * auth/store: what sign-in keeps on disk (SQLite, WAL): sessions with their sealed refresh
 * tokens and revocations, and personal access tokens (only their SHA-256 is stored).
 *
 * Threads: any thread may call any function; each thread gets its own connection (opened on
 * first use, closed when the thread exits), as SQLite likes it. Revoked session ids are also
 * kept in memory, so the per-request check never touches the disk.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct store;
struct cJSON;

#define STORE_ID_MAX          64 /* session and token ids */
#define STORE_TOKENS_PER_USER 50
#define STORE_TOKEN_NAME_MAX  64
#define STORE_REVOKED_MAX     (1 << 20)
#define STORE_EMAIL_MAX       320

/* Opens (creating) the database at path; path NULL or "" keeps it in memory for the process.
 * -errno with a reason in err. */
int store_open(const char *path, struct store **ret, char err[256]);
void store_free(struct store *s);

/* Writes fail with -ENOSPC (the disk is full), -EROFS (it is read-only) or -EBUSY (another
 * writer held the database too long) when the store is the reason, -EIO otherwise. */

/* What the operator must fix when a write failed for a reason of the store's ("its disk is
 * full"), for an answer of 503; NULL for any other error. */
const char *store_write_failure(int e);

/* ---- sessions ---- */

/* Records a new session; refresh (sealed, may be NULL) is what renews it at the provider. */
int store_session_add(struct store *s, const char *id, const char *email, time_t expires,
                      const char *refresh);
/* The session's sealed refresh token (heap) in *ret, NULL when it has none. -ENOENT unknown,
 * -EACCES revoked. */
int store_session_refresh_token(struct store *s, const char *id, char **ret);
/* Replaces the refresh token after the provider rotated it. */
int store_session_set_refresh_token(struct store *s, const char *id, const char *refresh);
/* Ends the session for good (logout, or the provider refused to renew it). */
int store_session_revoke(struct store *s, const char *id);
bool store_session_revoked(struct store *s, const char *id);

/* ---- personal access tokens ---- */

struct store_token {
    char id[STORE_ID_MAX]; /* public handle, for listing and revoking */
    char *email;           /* whose */
    char *groups;          /* their groups when it was made, comma-separated */
    time_t created;        /* unix seconds */
    time_t expires;        /* unix seconds */
};

/* Stores a token by the SHA-256 of its secret. -EDQUOT past STORE_TOKENS_PER_USER. */
int store_token_add(struct store *s, const unsigned char hash[32], const char *id,
                    const char *email, const char *groups, const char *name, time_t created,
                    time_t expires);
/* The unexpired token whose secret hashes to hash, marking it used. -ENOENT if none.
 * Free the strings with store_token_reset. */
int store_token_find(struct store *s, const unsigned char hash[32], time_t now,
                     struct store_token *ret);
void store_token_reset(struct store_token *t);
/* The user's tokens as a JSON array of {id, name, created, expires, last_used}. */
int store_tokens_list(struct store *s, const char *email, struct cJSON **ret);
/* -ENOENT when the user has no token with that id. */
int store_token_delete(struct store *s, const char *email, const char *id);
/* 0 when email owns the token id, -ENOENT otherwise. */
int store_token_owned(struct store *s, const char *email, const char *id);

/* ---- users as the identity provider knows them (server/dex_users) ---- */

/*
 * What the provider holds of email now: generation is a fingerprint of its record ("" = gone).
 * The first sighting is only recorded. A different one than recorded (a disabled, deleted or
 * re-passworded user) ends every session and token of the user made at or before now, for good
 * (*ret_changed true). Emails are compared lowercased.
 */
int store_user_observe(struct store *s, const char *email, const char *generation, time_t now,
                       bool *ret_changed);
/* Credentials of email made at or before this time are void (0: none); from memory. */
time_t store_user_not_before(struct store *s, const char *email);
/* Every email recorded as present (generation not ""), heap strings in a heap array. */
int store_users_present(struct store *s, char ***ret, size_t *ret_n);

/* ---- mirroring what other replicas record (server/shared_state) ---- */

/* Records or updates a session another replica made: its sealed refresh token (may be NULL)
 * and expiry; revoked ends it here for good. A revoked session never comes back. */
int store_session_mirror(struct store *s, const char *id, const char *email, time_t expires,
                         const char *refresh, bool revoked);
/* Records a token another replica made; a known id is left as it is. -EDQUOT past
 * STORE_TOKENS_PER_USER, -EEXIST when another id has the same hash. */
int store_token_mirror(struct store *s, const unsigned char hash[32], const char *id,
                       const char *email, const char *groups, const char *name, time_t created,
                       time_t expires);
/* Drops the token whoever owns it; 0 also when it is unknown. */
int store_token_forget(struct store *s, const char *id);
/* Drops every token whose id is not in keep (n ids sorted by strcmp): the ones deleted
 * elsewhere while nobody was watching. */
int store_tokens_keep_only(struct store *s, const char *const *keep, size_t n);
/* Drops up to max sessions (tokens when tokens is true) that expired before now; their ids
 * (heap, the caller frees each) go to ret_ids, how many to *ret_n. */
int store_drop_expired(struct store *s, bool tokens, time_t now, char **ret_ids, size_t max,
                       size_t *ret_n);
