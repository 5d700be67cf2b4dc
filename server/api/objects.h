/*
 * objects: calls about one kind of object in a profile namespace, made as the user. The
 * route's namespace entered (a role there, or a cluster admin) and its object's name checked;
 * the API server called with the user's rights (impersonated), so that it decides the verb; its
 * answer read; and the replies such APIs share: {key: value}, and a list of summaries sorted
 * and flagged when cut.
 *
 * Owns no state. Used by api_spark, api_kserve and api_notebooks. Handlers run on HTTP threads;
 * a call's context goes with its parked request and is freed with it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/upstream.h"
#include "server/http/http.h"

struct cJSON;

/* One kind of namespaced object, as the API server and the dashboard's routes name it. */
struct api_objects_kind {
    const char *api;        /* its API's path: "/apis/<group>/<version>", or "/api/v1" */
    const char *resource;   /* its plural: "sparkapplications" */
    const char *param;      /* the route parameter naming one: "app" */
    const char *not_a_name; /* the 400 when that parameter is not a DNS label */
};

/* A call under way, kept with the parked request: first in a handler's own context when that
 * keeps more. */
struct api_objects_call {
    struct upstream_result answer;       /* the last answer: the API server's, or a peer's */
    const struct api_objects_kind *kind; /* what the route is about */
    char ns[64];                         /* the profile namespace */
    char name[64];                       /* the object the route names, or "" */
};

/*
 * The route's namespace, entered, and its kind->param when it has one, checked: a zeroed
 * context of size bytes (a struct api_objects_call first) filled in and set on r, freed with
 * free_fn (NULL: api_objects_call_free) when the request ends; NULL after replying otherwise.
 */
void *api_objects_enter(struct http_request *r, const struct api_objects_kind *kind, size_t size,
                        void (*free_fn)(void *));
/* Frees a struct api_objects_call and its answer; NULL-safe. */
void api_objects_call_free(void *call);
/* An HTTP answer came, with that status. */
bool api_objects_answered(const struct api_objects_call *c, long status);

/* Calls the API server as the user about c's object (its collection when c->name is ""), query
 * appended ("" for none); body (JSON) may be NULL. r parks; next finds the answer in c->answer. */
void api_objects_call_as(struct http_request *r, struct api_objects_call *c, const char *method,
                         const char *query, const char *body, http_next_fn next);
/* The same at any API server path (with its query). */
void api_objects_call_path_as(struct http_request *r, struct api_objects_call *c,
                              const char *method, const char *path, const char *body,
                              http_next_fn next);

/* c's answer as a JSON object (the caller's to delete); NULL after replying 502. */
struct cJSON *api_objects_answer_json(struct http_request *r, const struct api_objects_call *c);
/* Replies {key: value, extra_key: extra} (both taken; extra may be NULL, and then extra_key), or
 * 500 when either is NULL or out of memory. */
void api_objects_reply_with(struct http_request *r, unsigned status, const char *key,
                            struct cJSON *value, const char *extra_key, struct cJSON *extra);
/*
 * Replies 200 {key: [summary of each item...], "truncated": bool} from c's answer, a list: at
 * most max items, summarized (summary: NULL when out of memory), sorted by compare (qsort's, on
 * cJSON pointers); truncated when the API server had more than max, or more to continue with.
 * 502 when the answer is not a JSON object, 500 when out of memory.
 */
void api_objects_reply_list(struct http_request *r, const struct api_objects_call *c,
                            const char *key, size_t max,
                            struct cJSON *(*summary)(const struct cJSON *item),
                            int (*compare)(const void *, const void *));
