/* k8s/dexpass: Password objects Dex finds under the names it computes, with hashes it accepts. */
#include <cjson/cJSON.h>
#include <crypt.h>
#include <errno.h>
#include <mbedtls/base64.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "k8s/dexpass.h"
#include "unit.h"

/* Expected names from the rule itself, in Python (as tests/stack/seed.py names the demo users):
 * base64.b32encode(email.lower().encode() + bytes.fromhex("cbf29ce484222325"))
 *     .decode().rstrip("=").lower() */
static const struct {
    const char *email, *name;
} known[] = {
    {"alice@example.com", "mfwgsy3fibsxqylnobwgkltdn5w4x4u44scceizf"},
    {"bob@example.com", "mjxweqdfpbqw24dmmuxgg33nzpzjzzeeeirsk"},
    {"admin@example.com", "mfsg22loibsxqylnobwgkltdn5w4x4u44scceizf"},
    {"a@b", "mfagfs7sttsiiirdeu"},
    {"user.name+tag@kubeflow.org", "ovzwk4ronzqw2zjlorqwoqdlovrgkztmn53s433sm7f7fhheqqrcgji"},
};

/* The verdict of libcrypt on password against a stored hash, as Dex's bcrypt compare would. */
static int verifies(const char *password, const char *hash)
{
    static struct crypt_data data; /* 32 KiB; the tests run in one thread */
    const char *again = crypt_rn(password, hash, &data, (int)sizeof(data));
    return again && strcmp(again, hash) == 0;
}

START_TEST(names_known_emails_as_dex_does)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        char name[DEXPASS_NAME_MAX];
        ck_assert_int_eq(dexpass_object_name(known[i].email, name, sizeof(name)), 0);
        ck_assert_str_eq(name, known[i].name);
    }
}
END_TEST

START_TEST(names_the_lowercased_email_because_dex_looks_up_lowercased)
{
    char name[DEXPASS_NAME_MAX];
    ck_assert_int_eq(dexpass_object_name("Alice@Example.COM", name, sizeof(name)), 0);
    ck_assert_str_eq(name, known[0].name);
}
END_TEST

START_TEST(refuses_emails_dex_or_kubernetes_could_not_use_and_short_buffers)
{
    const char *bad[] = {"",
                         "alice",
                         "@example.com",
                         "alice@",
                         "al ice@example.com",
                         "alice@example.com\t",
                         "alice\n@example.com",
                         "al\x7f@x",
                         "j\xc3\xa9r\xc3\xb4me@example.com"};
    char name[DEXPASS_NAME_MAX] = "untouched";
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_ptr_nonnull(dexpass_check_email(bad[i]));
        ck_assert_int_eq(dexpass_object_name(bad[i], name, sizeof(name)), -EINVAL);
    }
    ck_assert_str_eq(name, "untouched");
    ck_assert_str_eq(dexpass_check_email("alice"),
                     "email must have a name before an '@' and a domain after it");
    ck_assert_str_eq(dexpass_check_email("a b@c"),
                     "email must not contain spaces or control characters");

    /* 150 bytes make a 253-character name, Kubernetes' longest; 151 would not fit. */
    char email[DEXPASS_EMAIL_MAX + 2];
    memset(email, 'x', sizeof(email) - 1);
    email[sizeof(email) - 1] = '\0';
    memcpy(email + sizeof(email) - 13, "@example.com", 12);
    ck_assert_uint_eq(strlen(email), 151);
    ck_assert_int_eq(dexpass_object_name(email, name, sizeof(name)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(dexpass_check_email(email), "longer than 150 bytes"));
    ck_assert_ptr_null(dexpass_check_email(email + 1));
    ck_assert_int_eq(dexpass_object_name(email + 1, name, sizeof(name)), 0);
    ck_assert_uint_eq(strlen(name), 253);
    char small[253];
    ck_assert_int_eq(dexpass_object_name(email + 1, small, sizeof(small)), -ENOBUFS);
    ck_assert_int_eq(dexpass_object_name("a@b", small, 18), -ENOBUFS);
    ck_assert_int_eq(dexpass_object_name("a@b", small, 19), 0);
    ck_assert_str_eq(small, "mfagfs7sttsiiirdeu");
}
END_TEST

START_TEST(hashes_with_bcrypt_cost_10_that_verifies_only_the_password)
{
    char hash[DEXPASS_HASH_MAX], other[DEXPASS_HASH_MAX];
    ck_assert_int_eq(dexpass_hash("correct horse", 0, hash, sizeof(hash)), 0);
    ck_assert_uint_eq(strlen(hash), DEXPASS_HASH_LEN);
    ck_assert_int_eq(strncmp(hash, "$2b$10$", 7), 0);
    ck_assert(verifies("correct horse", hash));
    ck_assert(!verifies("correct horsE", hash));
    ck_assert(!verifies("correct horse ", hash));
    /* A fresh salt each time: the same password never hashes the same twice. */
    ck_assert_int_eq(dexpass_hash("correct horse", DEXPASS_COST_MIN, other, sizeof(other)), 0);
    ck_assert_str_ne(other, hash);
    ck_assert_int_ne(memcmp(other, hash, 29), 0);
    ck_assert(verifies("correct horse", other));
    ck_assert_int_eq(dexpass_hash("correct horse", 11, other, sizeof(other)), 0);
    ck_assert_int_eq(strncmp(other, "$2b$11$", 7), 0);
    ck_assert(verifies("correct horse", other));
}
END_TEST

START_TEST(refuses_costs_dex_refuses_weak_passwords_and_short_buffers)
{
    char hash[DEXPASS_HASH_MAX] = "untouched";
    ck_assert_int_eq(dexpass_hash("correct horse", 9, hash, sizeof(hash)), -EINVAL);
    ck_assert_int_eq(dexpass_hash("correct horse", 4, hash, sizeof(hash)), -EINVAL);
    ck_assert_int_eq(dexpass_hash("correct horse", -1, hash, sizeof(hash)), -EINVAL);
    ck_assert_int_eq(dexpass_hash("correct horse", 17, hash, sizeof(hash)), -EINVAL);
    ck_assert_int_eq(dexpass_hash("short", 10, hash, sizeof(hash)), -EINVAL);
    ck_assert_int_eq(dexpass_hash("correct horse", 10, hash, DEXPASS_HASH_LEN), -ENOBUFS);
    ck_assert_str_eq(hash, "untouched");
}
END_TEST

START_TEST(password_rules_are_8_to_72_bytes)
{
    char pw[DEXPASS_PASSWORD_MAX + 2];
    memset(pw, 'p', sizeof(pw));
    pw[7] = '\0';
    ck_assert_str_eq(dexpass_check_password(pw), "password must be at least 8 bytes long");
    ck_assert_str_eq(dexpass_check_password(""), "password must be at least 8 bytes long");
    pw[7] = 'p';
    pw[8] = '\0';
    ck_assert_ptr_null(dexpass_check_password(pw));
    pw[8] = 'p';
    pw[72] = '\0';
    ck_assert_ptr_null(dexpass_check_password(pw));
    pw[72] = 'p';
    pw[73] = '\0';
    ck_assert_str_eq(dexpass_check_password(pw),
                     "password must be at most 72 bytes long (bcrypt ignores the rest)");
    /* Bytes past 8 may be anything printable or not, spaces included. */
    ck_assert_ptr_null(dexpass_check_password("  \t p\xc3\xa4ss  "));
}
END_TEST

START_TEST(object_has_the_shape_of_dex_password_crs)
{
    char hash[DEXPASS_HASH_MAX];
    ck_assert_int_eq(dexpass_hash("correct horse", 10, hash, sizeof(hash)), 0);
    cJSON *o = dexpass_object("auth", "Alice@Example.com", "alice", "00000001", hash);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(cJSON_GetArraySize(o), 7);
    ck_assert_str_eq(fx_str(o, "apiVersion"), "dex.coreos.com/v1");
    ck_assert_str_eq(fx_str(o, "kind"), "Password");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    ck_assert(cJSON_IsObject(meta));
    ck_assert_int_eq(cJSON_GetArraySize(meta), 2);
    ck_assert_str_eq(fx_str(meta, "name"), known[0].name);
    ck_assert_str_eq(fx_str(meta, "namespace"), "auth");
    ck_assert_str_eq(fx_str(o, "email"), "alice@example.com");
    ck_assert_str_eq(fx_str(o, "username"), "alice");
    ck_assert_str_eq(fx_str(o, "userID"), "00000001");
    unsigned char raw[DEXPASS_HASH_MAX];
    size_t n;
    const char *b64 = fx_str(o, "hash");
    ck_assert_int_eq(
        mbedtls_base64_decode(raw, sizeof(raw), &n, (const unsigned char *)b64, strlen(b64)), 0);
    ck_assert_uint_eq(n, DEXPASS_HASH_LEN);
    ck_assert_int_eq(memcmp(raw, hash, DEXPASS_HASH_LEN), 0);
    cJSON_Delete(o);
}
END_TEST

START_TEST(object_refuses_what_dex_or_kubernetes_would_not_take)
{
    char hash[DEXPASS_HASH_MAX];
    ck_assert_int_eq(dexpass_hash("correct horse", 10, hash, sizeof(hash)), 0);
    const char *e = "alice@example.com";
    ck_assert_ptr_null(dexpass_object("Auth", e, "alice", "1", hash));
    ck_assert_ptr_null(dexpass_object("", e, "alice", "1", hash));
    ck_assert_ptr_null(dexpass_object("auth", "alice", "alice", "1", hash));
    ck_assert_ptr_null(dexpass_object("auth", e, "", "1", hash));
    ck_assert_ptr_null(dexpass_object("auth", e, "alice\n", "1", hash));
    ck_assert_ptr_null(dexpass_object("auth", e, "alice", "", hash));
    ck_assert_ptr_null(dexpass_object("auth", e, "alice", "1", "correct horse"));
    ck_assert_ptr_null(dexpass_object("auth", e, "alice", "1", ""));
    char bad[DEXPASS_HASH_MAX];
    strcpy(bad, hash);
    bad[5] = '9'; /* cost 19: Dex refuses it */
    ck_assert_ptr_null(dexpass_object("auth", e, "alice", "1", bad));
    strcpy(bad, hash);
    bad[59] = '\0'; /* truncated */
    ck_assert_ptr_null(dexpass_object("auth", e, "alice", "1", bad));
    strcpy(bad, hash);
    bad[2] = 'x';
    ck_assert_ptr_null(dexpass_object("auth", e, "alice", "1", bad));
    char id[DEXPASS_FIELD_MAX + 2];
    memset(id, '1', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    ck_assert_ptr_null(dexpass_object("auth", e, "alice", id, hash));
    id[DEXPASS_FIELD_MAX] = '\0';
    cJSON *o = dexpass_object("auth", e, "alice", id, hash);
    ck_assert_ptr_nonnull(o);
    cJSON_Delete(o);
}
END_TEST

/* For tests/integration/stack/test_dexpass.py, which proves these values against the real Dex:
 * with KFDASH_TEST_DEX_PASSWORD_OUT set, writes {email, password, name, hash, object} made here
 * for KFDASH_TEST_DEX_EMAIL, _PASSWORD, _USER_ID and _NAMESPACE (username: the e-mail's local
 * part). */
START_TEST(writes_a_dex_user_for_the_stack_suite_when_asked)
{
    const char *out = getenv("KFDASH_TEST_DEX_PASSWORD_OUT");
    if (!out || !*out) return;
    const char *email = getenv("KFDASH_TEST_DEX_EMAIL");
    const char *password = getenv("KFDASH_TEST_DEX_PASSWORD");
    const char *user_id = getenv("KFDASH_TEST_DEX_USER_ID");
    const char *ns = getenv("KFDASH_TEST_DEX_NAMESPACE");
    ck_assert_msg(email && password && user_id && ns,
                  "KFDASH_TEST_DEX_{EMAIL,PASSWORD,USER_ID,NAMESPACE} needed");
    char name[DEXPASS_NAME_MAX], hash[DEXPASS_HASH_MAX];
    ck_assert_int_eq(dexpass_object_name(email, name, sizeof(name)), 0);
    ck_assert_int_eq(dexpass_hash(password, 0, hash, sizeof(hash)), 0);
    const char *at = strchr(email, '@');
    char username[DEXPASS_FIELD_MAX + 1];
    snprintf(username, sizeof(username), "%.*s", (int)(at - email), email);
    cJSON *obj = dexpass_object(ns, email, username, user_id, hash);
    ck_assert_ptr_nonnull(obj);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "email", email);
    cJSON_AddStringToObject(doc, "password", password);
    cJSON_AddStringToObject(doc, "name", name);
    cJSON_AddStringToObject(doc, "hash", hash);
    cJSON_AddItemToObject(doc, "object", obj);
    char *text = cJSON_Print(doc);
    ck_assert_ptr_nonnull(text);
    FILE *f = fopen(out, "w");
    ck_assert_msg(f != NULL, "cannot write %s", out);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    free(text);
    cJSON_Delete(doc);
}
END_TEST

RUN_SUITE("dexpass", names_known_emails_as_dex_does,
          names_the_lowercased_email_because_dex_looks_up_lowercased,
          refuses_emails_dex_or_kubernetes_could_not_use_and_short_buffers,
          hashes_with_bcrypt_cost_10_that_verifies_only_the_password,
          refuses_costs_dex_refuses_weak_passwords_and_short_buffers,
          password_rules_are_8_to_72_bytes, object_has_the_shape_of_dex_password_crs,
          object_refuses_what_dex_or_kubernetes_would_not_take,
          writes_a_dex_user_for_the_stack_suite_when_asked)
