/* auth/store: sessions and personal access tokens survive a restart; revocations stick. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/store.h"
#include "unit.h"

static char dir[] = "/tmp/kfdash-store-XXXXXX";
static char path[64];

static struct store *open_at(const char *where)
{
    struct store *s = NULL;
    char err[256];
    int e = store_open(where, &s, err);
    ck_assert_msg(e == 0, "store_open: %s", err);
    return s;
}

static void fresh_path(void)
{
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/kfdash-store-XXXXXX")));
    snprintf(path, sizeof(path), "%s/kfdash.db", dir);
}

static void remove_path(void)
{
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const unsigned char hash_a[32] = {1, 2, 3};
static const unsigned char hash_b[32] = {4, 5, 6};

START_TEST(finds_a_token_by_hash_until_it_expires_or_is_deleted)
{
    struct store *s = open_at(NULL);
    ck_assert_int_eq(
        store_token_add(s, hash_a, "id-a", "alice@example.com", "g1,g2", "ci", 1000, 2000), 0);
    struct store_token t;
    ck_assert_int_eq(store_token_find(s, hash_a, 1500, &t), 0);
    ck_assert_str_eq(t.email, "alice@example.com");
    ck_assert_str_eq(t.groups, "g1,g2");
    ck_assert_str_eq(t.id, "id-a");
    store_token_reset(&t);
    ck_assert_int_eq(store_token_find(s, hash_b, 1500, &t), -ENOENT);
    ck_assert_int_eq(store_token_find(s, hash_a, 2000, &t), -ENOENT); /* expired */
    /* Only its owner can delete it. */
    ck_assert_int_eq(store_token_delete(s, "mallory@example.com", "id-a"), -ENOENT);
    ck_assert_int_eq(store_token_delete(s, "alice@example.com", "id-a"), 0);
    ck_assert_int_eq(store_token_find(s, hash_a, 1500, &t), -ENOENT);
    store_free(s);
}
END_TEST

START_TEST(lists_only_the_users_own_tokens_with_last_use)
{
    struct store *s = open_at(NULL);
    ck_assert_int_eq(store_token_add(s, hash_a, "id-a", "alice@example.com", "", "a", 10, 9999), 0);
    ck_assert_int_eq(store_token_add(s, hash_b, "id-b", "bob@example.com", "", "b", 10, 9999), 0);
    struct store_token t;
    ck_assert_int_eq(store_token_find(s, hash_a, 50, &t), 0);
    store_token_reset(&t);
    cJSON *list = NULL;
    ck_assert_int_eq(store_tokens_list(s, "alice@example.com", &list), 0);
    ck_assert_int_eq(cJSON_GetArraySize(list), 1);
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(first, "id")->valuestring, "id-a");
    ck_assert_int_eq((int)cJSON_GetObjectItem(first, "last_used")->valuedouble, 50);
    ck_assert_ptr_null(cJSON_GetObjectItem(first, "hash"));
    cJSON_Delete(list);
    store_free(s);
}
END_TEST

START_TEST(refuses_more_than_the_per_user_quota)
{
    struct store *s = open_at(NULL);
    for (int i = 0; i < STORE_TOKENS_PER_USER; i++) {
        unsigned char h[32] = {(unsigned char)i, 9};
        char id[16];
        snprintf(id, sizeof(id), "id-%d", i);
        ck_assert_int_eq(store_token_add(s, h, id, "alice@example.com", "", "n", 10, 9999), 0);
    }
    unsigned char h[32] = {255, 9};
    ck_assert_int_eq(store_token_add(s, h, "one-more", "alice@example.com", "", "n", 10, 9999),
                     -EDQUOT);
    store_free(s);
}
END_TEST

START_TEST(revocations_and_tokens_survive_a_restart)
{
    fresh_path();
    struct store *s = open_at(path);
    ck_assert_int_eq(store_session_add(s, "s1", "alice@example.com", 4102444800, "sealed-r1"), 0);
    ck_assert_int_eq(store_session_add(s, "s2", "bob@example.com", 4102444800, NULL), 0);
    ck_assert_int_eq(
        store_token_add(s, hash_a, "id-a", "alice@example.com", "", "a", 10, 4102444800), 0);
    ck_assert_int_eq(store_session_revoke(s, "s2"), 0);
    ck_assert(store_session_revoked(s, "s2"));
    store_free(s);

    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600); /* sealed refresh tokens, token hashes */
    s = open_at(path);
    ck_assert(store_session_revoked(s, "s2"));
    ck_assert(!store_session_revoked(s, "s1"));
    char *refresh = NULL;
    ck_assert_int_eq(store_session_refresh_token(s, "s1", &refresh), 0);
    ck_assert_str_eq(refresh, "sealed-r1");
    free(refresh);
    ck_assert_int_eq(store_session_set_refresh_token(s, "s1", "sealed-r2"), 0);
    ck_assert_int_eq(store_session_refresh_token(s, "s1", &refresh), 0);
    ck_assert_str_eq(refresh, "sealed-r2");
    free(refresh);
    ck_assert_int_eq(store_session_refresh_token(s, "s2", &refresh), -EACCES);
    ck_assert_int_eq(store_session_refresh_token(s, "nope", &refresh), -ENOENT);
    struct store_token t;
    ck_assert_int_eq(store_token_find(s, hash_a, 20, &t), 0);
    store_token_reset(&t);
    store_free(s);
    remove_path();
}
END_TEST

START_TEST(revoked_set_grows_past_its_first_table)
{
    struct store *s = open_at(NULL);
    char id[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof(id), "session-%d", i);
        ck_assert_int_eq(store_session_revoke(s, id), 0);
    }
    for (int i = 0; i < 3000; i += 7) {
        snprintf(id, sizeof(id), "session-%d", i);
        ck_assert(store_session_revoked(s, id));
    }
    ck_assert(!store_session_revoked(s, "session-3000"));
    store_free(s);
}
END_TEST

START_TEST(reports_a_database_it_cannot_open)
{
    struct store *s = NULL;
    char err[256] = "";
    ck_assert_int_lt(store_open("/nonexistent-dir/kfdash.db", &s, err), 0);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/kfdash.db"));
}
END_TEST

START_TEST(a_mirrored_session_renews_and_a_mirrored_sign_out_never_comes_back)
{
    fresh_path();
    struct store *s = open_at(path);
    char *refresh = NULL;
    /* Made on another replica: renewable here with its refresh token, rotated as it rotates. */
    ck_assert_int_eq(store_session_mirror(s, "s1", "alice@example.com", 4102444800, "r1", false),
                     0);
    ck_assert_int_eq(store_session_refresh_token(s, "s1", &refresh), 0);
    ck_assert_str_eq(refresh, "r1");
    free(refresh);
    ck_assert_int_eq(store_session_mirror(s, "s1", "alice@example.com", 4102444800, "r2", false),
                     0);
    ck_assert_int_eq(store_session_refresh_token(s, "s1", &refresh), 0);
    ck_assert_str_eq(refresh, "r2");
    free(refresh);
    /* Our own session, then its Secret comes back through the watch: still ours. */
    ck_assert_int_eq(store_session_add(s, "s2", "bob@example.com", 4102444800, "own"), 0);
    ck_assert_int_eq(store_session_mirror(s, "s2", "bob@example.com", 4102444800, "own", false), 0);
    /* Signed out elsewhere: refused here, and a late update cannot revive it. */
    ck_assert_int_eq(store_session_mirror(s, "s1", "alice@example.com", 4102444800, NULL, true), 0);
    ck_assert(store_session_revoked(s, "s1"));
    ck_assert_int_eq(store_session_mirror(s, "s1", "alice@example.com", 4102444800, "r3", false),
                     0);
    ck_assert_int_eq(store_session_refresh_token(s, "s1", &refresh), -EACCES);
    /* A sign-out of a session this replica never saw sticks too, across a restart. */
    ck_assert_int_eq(store_session_mirror(s, "s3", "carol@example.com", 4102444800, NULL, true), 0);
    store_free(s);
    s = open_at(path);
    ck_assert(store_session_revoked(s, "s1"));
    ck_assert(store_session_revoked(s, "s3"));
    ck_assert(!store_session_revoked(s, "s2"));
    store_free(s);
    remove_path();
}
END_TEST

START_TEST(mirrored_tokens_count_against_the_quota_and_are_forgotten_by_id)
{
    struct store *s = open_at(NULL);
    time_t now = time(NULL);
    ck_assert_int_eq(
        store_token_mirror(s, hash_a, "id-a", "alice@example.com", "g", "ci", now, now + 100), 0);
    /* The same token again (our own coming back through the watch): left as it is. */
    ck_assert_int_eq(
        store_token_mirror(s, hash_a, "id-a", "alice@example.com", "g", "ci", now, now + 100), 0);
    struct store_token t;
    ck_assert_int_eq(store_token_find(s, hash_a, now, &t), 0);
    ck_assert_str_eq(t.email, "alice@example.com");
    store_token_reset(&t);
    ck_assert_int_eq(store_token_owned(s, "alice@example.com", "id-a"), 0);
    ck_assert_int_eq(store_token_owned(s, "mallory@example.com", "id-a"), -ENOENT);
    ck_assert_int_eq(store_token_owned(s, "alice@example.com", "id-x"), -ENOENT);
    /* Another id with the same hash is refused, not merged. */
    ck_assert_int_eq(
        store_token_mirror(s, hash_a, "id-z", "bob@example.com", "", "x", now, now + 100), -EEXIST);
    for (int i = 1; i < STORE_TOKENS_PER_USER; i++) {
        unsigned char h[32] = {(unsigned char)i, 7};
        char id[16];
        snprintf(id, sizeof(id), "m-%d", i);
        ck_assert_int_eq(store_token_mirror(s, h, id, "alice@example.com", "", "n", now, now + 100),
                         0);
    }
    unsigned char h[32] = {255, 7};
    ck_assert_int_eq(
        store_token_mirror(s, h, "m-more", "alice@example.com", "", "n", now, now + 100), -EDQUOT);
    /* Deleted on another replica: gone whoever asks. */
    ck_assert_int_eq(store_token_forget(s, "id-a"), 0);
    ck_assert_int_eq(store_token_find(s, hash_a, now, &t), -ENOENT);
    ck_assert_int_eq(store_token_forget(s, "id-a"), 0);
    store_free(s);
}
END_TEST

START_TEST(a_full_list_drops_tokens_deleted_while_nobody_watched)
{
    struct store *s = open_at(NULL);
    ck_assert_int_eq(store_token_add(s, hash_a, "id-a", "alice@example.com", "", "a", 10, 9999), 0);
    ck_assert_int_eq(store_token_add(s, hash_b, "id-b", "bob@example.com", "", "b", 10, 9999), 0);
    const char *keep[] = {"id-b", "id-c"};
    ck_assert_int_eq(store_tokens_keep_only(s, keep, 2), 0);
    struct store_token t;
    ck_assert_int_eq(store_token_find(s, hash_a, 20, &t), -ENOENT);
    ck_assert_int_eq(store_token_find(s, hash_b, 20, &t), 0);
    store_token_reset(&t);
    /* A list with no token Secrets at all (a fresh cluster) keeps none. */
    ck_assert_int_eq(store_tokens_keep_only(s, NULL, 0), 0);
    ck_assert_int_eq(store_token_find(s, hash_b, 20, &t), -ENOENT);
    store_free(s);
}
END_TEST

START_TEST(drops_expired_sessions_and_tokens_in_bounded_batches)
{
    struct store *s = open_at(NULL);
    char id[32];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "old-%d", i);
        ck_assert_int_eq(store_session_mirror(s, id, "a@example.com", 100, "r", false), 0);
    }
    ck_assert_int_eq(store_session_add(s, "live", "a@example.com", 4102444800, "r"), 0);
    ck_assert_int_eq(store_token_add(s, hash_a, "t-old", "a@example.com", "", "a", 10, 100), 0);
    ck_assert_int_eq(store_token_add(s, hash_b, "t-live", "a@example.com", "", "b", 10, 9999), 0);
    char *ids[3];
    size_t n = 0;
    ck_assert_int_eq(store_drop_expired(s, false, 1000, ids, 3, &n), 0);
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < n; i++) {
        ck_assert(strncmp(ids[i], "old-", 4) == 0);
        free(ids[i]);
    }
    ck_assert_int_eq(store_drop_expired(s, false, 1000, ids, 3, &n), 0);
    ck_assert_uint_eq(n, 2);
    for (size_t i = 0; i < n; i++) free(ids[i]);
    ck_assert_int_eq(store_drop_expired(s, false, 1000, ids, 3, &n), 0);
    ck_assert_uint_eq(n, 0);
    char *refresh = NULL;
    ck_assert_int_eq(store_session_refresh_token(s, "live", &refresh), 0);
    free(refresh);
    ck_assert_int_eq(store_drop_expired(s, true, 1000, ids, 3, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(ids[0], "t-old");
    free(ids[0]);
    ck_assert_int_eq(store_token_owned(s, "a@example.com", "t-old"), -ENOENT);
    ck_assert_int_eq(store_token_owned(s, "a@example.com", "t-live"), 0);
    store_free(s);
}
END_TEST

START_TEST(a_changed_user_loses_every_session_and_token_for_good)
{
    fresh_path();
    struct store *s = open_at(path);
    time_t now = time(NULL);
    bool changed = true;
    /* The first sighting only records the user. */
    ck_assert_int_eq(store_user_observe(s, "Dave@Example.com", "gen-1", now - 10, &changed), 0);
    ck_assert(!changed);
    ck_assert_int_eq(store_session_add(s, "s-dave", "dave@example.com", now + 3600, "r"), 0);
    ck_assert_int_eq(store_session_add(s, "s-erin", "erin@example.com", now + 3600, "r"), 0);
    ck_assert_int_eq(
        store_token_add(s, hash_a, "t-dave", "dave@example.com", "", "n", now - 5, now + 3600), 0);
    ck_assert_int_eq(store_user_observe(s, "dave@example.com", "gen-1", now, &changed), 0);
    ck_assert(!changed);
    ck_assert_int_eq(store_user_not_before(s, "dave@example.com"), 0);
    /* Disabled (a new fingerprint): what was made until now is void. */
    ck_assert_int_eq(store_user_observe(s, "dave@example.com", "gen-2", now, &changed), 0);
    ck_assert(changed);
    ck_assert(store_session_revoked(s, "s-dave"));
    ck_assert(!store_session_revoked(s, "s-erin"));
    struct store_token t;
    ck_assert_int_eq(store_token_find(s, hash_a, now, &t), -ENOENT);
    ck_assert_int_eq(store_user_not_before(s, "DAVE@example.com"), now);
    /* Another replica's copy of the old token does not come back. */
    ck_assert_int_eq(
        store_token_mirror(s, hash_a, "t-dave", "dave@example.com", "", "n", now - 5, now + 3600),
        0);
    ck_assert_int_eq(store_token_find(s, hash_a, now, &t), -ENOENT);
    /* Deleted: gone from the present users; and all of it survives a restart. */
    ck_assert_int_eq(store_user_observe(s, "dave@example.com", "", now + 1, &changed), 0);
    ck_assert(changed);
    char **present = NULL;
    size_t n = 9;
    ck_assert_int_eq(store_users_present(s, &present, &n), 0);
    ck_assert_uint_eq(n, 0);
    free(present);
    store_free(s);
    s = open_at(path);
    ck_assert_int_eq(store_user_not_before(s, "dave@example.com"), now + 1);
    ck_assert(store_session_revoked(s, "s-dave"));
    store_free(s);
    remove_path();
}
END_TEST

RUN_SUITE("store", finds_a_token_by_hash_until_it_expires_or_is_deleted,
          lists_only_the_users_own_tokens_with_last_use, refuses_more_than_the_per_user_quota,
          revocations_and_tokens_survive_a_restart, revoked_set_grows_past_its_first_table,
          reports_a_database_it_cannot_open,
          a_mirrored_session_renews_and_a_mirrored_sign_out_never_comes_back,
          mirrored_tokens_count_against_the_quota_and_are_forgotten_by_id,
          a_full_list_drops_tokens_deleted_while_nobody_watched,
          drops_expired_sessions_and_tokens_in_bounded_batches,
          a_changed_user_loses_every_session_and_token_for_good)
