/*
 * k8s/dexpass: the pure part of managing Dex's static users in its Kubernetes storage
 * (CONTRACTS §4): the Password object's name, its bcrypt hash, the rules kfdash puts on e-mails
 * and passwords, and the object's JSON.
 *
 * Owns no state and talks to no one: creating, replacing and deleting the objects is the
 * caller's (through the apiserver). Thread-safe: crypt_rn works on a buffer of its own per call.
 */
#pragma once

#include <stddef.h>

struct cJSON;

/* Kubernetes names are DNS subdomains, at most 253 characters. The name is the base32 of the
 * e-mail plus 8 bytes, so the longest e-mail whose name fits is 150 bytes (158 bytes -> 253). */
#define DEXPASS_NAME_MAX  254 /* 253 characters and the NUL */
#define DEXPASS_EMAIL_MAX 150
/* bcrypt strings are 60 characters: $2b$NN$ then 22 of salt and 31 of hash. */
#define DEXPASS_HASH_MAX 64
#define DEXPASS_HASH_LEN 60
/* Dex refuses hashes cheaper than bcrypt.DefaultCost (10) or dearer than 16 (its upBoundCost). */
#define DEXPASS_COST_MIN 10
#define DEXPASS_COST_MAX 16
/* bcrypt reads only the first 72 bytes: a longer password would log in by its prefix. */
#define DEXPASS_PASSWORD_MIN 8
#define DEXPASS_PASSWORD_MAX 72
/* username and userID, each. */
#define DEXPASS_FIELD_MAX 256

/* NULL when kfdash accepts the e-mail for a Dex user, else why not (a static message): it has an
 * '@' with something on both sides, at most DEXPASS_EMAIL_MAX bytes, only printable ASCII
 * (Dex lowercases with Go's Unicode rules before it looks a user up; ASCII keeps ours equal). */
const char *dexpass_check_email(const char *email);

/* Dex's object name for an e-mail into ret_name (size >= DEXPASS_NAME_MAX): lowercase base32,
 * unpadded, of the lowercased e-mail's bytes followed by the 8-byte FNV-1 64 (not 1a) hash of the
 * empty input, i.e. Go's fnv.New64().Sum([]byte(strings.ToLower(email))) as Dex names it.
 * -EINVAL if dexpass_check_email refuses the e-mail, -ENOBUFS if size is too small; ret_name is
 * written only on success. */
int dexpass_object_name(const char *email, char *ret_name, size_t size);

/* NULL when kfdash accepts the password, else why not (a static message): 8 to 72 bytes.
 * A C string holds no NUL; callers that receive a length (JSON's \u0000) must compare it with
 * strlen first. */
const char *dexpass_check_password(const char *password);

/* A bcrypt hash ("$2b$<cost>$...", DEXPASS_HASH_LEN characters) of password with a fresh random
 * salt into ret_hash (size >= DEXPASS_HASH_MAX). cost 0 means DEXPASS_COST_MIN. -EINVAL for a
 * password dexpass_check_password refuses or a cost outside DEXPASS_COST_MIN..MAX, -ENOBUFS if
 * size is too small, else the negative errno of libcrypt. ret_hash is written only on success. */
int dexpass_hash(const char *password, int cost, char *ret_hash, size_t size);

/* The Password object for namespace ns (caller deletes it with cJSON_Delete): apiVersion
 * dex.coreos.com/v1, kind Password, metadata {name, namespace}, email (lowercased), hash (base64
 * of the bcrypt string's bytes), username, userID. NULL if an argument is refused (ns not a
 * DNS label, e-mail per dexpass_check_email, username or user_id empty, longer than
 * DEXPASS_FIELD_MAX or with control characters, bcrypt_hash not a $2a$/$2b$/$2y$ hash of cost
 * DEXPASS_COST_MIN..MAX) or memory ran out. */
struct cJSON *dexpass_object(const char *ns, const char *email, const char *username,
                             const char *user_id, const char *bcrypt_hash);
