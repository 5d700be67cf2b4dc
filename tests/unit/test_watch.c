/* k8s/watch: a watch response is read line by line, each line as the event it says it is. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "k8s/watch.h"
#include "unit.h"

struct lines {
    char text[4][32]; /* the lines handed over */
    size_t n;
};

static void keep(void *ctx, const char *text, size_t len)
{
    struct lines *l = ctx;
    ck_assert_uint_lt(l->n, 4);
    ck_assert_uint_lt(len, sizeof(l->text[0]));
    memcpy(l->text[l->n], text, len);
    l->text[l->n++][len] = '\0';
}

START_TEST(splits_a_stream_into_lines_and_leaves_the_unfinished_one)
{
    struct lines l = {0};
    const char body[] = "{\"a\":1}\n\n{\"b\":2}\n{\"c\":";
    ck_assert_uint_eq(k8s_watch_lines(body, strlen(body), keep, &l), 17);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_str_eq(l.text[0], "{\"a\":1}");
    ck_assert_str_eq(l.text[1], "{\"b\":2}");
    l.n = 0;
    ck_assert_uint_eq(k8s_watch_lines("no newline yet", 14, keep, &l), 0);
    ck_assert_uint_eq(l.n, 0);
}
END_TEST

static int parse(const char *line, struct k8s_watch_line *l)
{
    return k8s_watch_line_parse(line, strlen(line), l);
}

START_TEST(reads_each_event_type_with_its_object_and_resource_version)
{
    static const struct {
        const char *type;
        enum k8s_watch_kind kind;
        enum k8s_event event;
    } cases[] = {{"ADDED", K8S_WATCH_OBJECT, K8S_ADDED},
                 {"MODIFIED", K8S_WATCH_OBJECT, K8S_MODIFIED},
                 {"DELETED", K8S_WATCH_OBJECT, K8S_DELETED},
                 {"BOOKMARK", K8S_WATCH_BOOKMARK, K8S_ADDED}};
    for (size_t i = 0; i < 4; i++) {
        char line[160];
        snprintf(line, sizeof(line),
                 "{\"type\":\"%s\",\"object\":{\"metadata\":{\"name\":\"team-a\","
                 "\"resourceVersion\":\"1002\"}}}",
                 cases[i].type);
        struct k8s_watch_line l;
        ck_assert_int_eq(parse(line, &l), 0);
        ck_assert_int_eq(l.kind, cases[i].kind);
        if (l.kind == K8S_WATCH_OBJECT) ck_assert_int_eq(l.event, cases[i].event);
        ck_assert_str_eq(l.resource_version, "1002");
        ck_assert_str_eq(
            cJSON_GetObjectItem(cJSON_GetObjectItem(l.object, "metadata"), "name")->valuestring,
            "team-a");
        k8s_watch_line_reset(&l);
        ck_assert_ptr_null(l.root);
    }
}
END_TEST

START_TEST(an_error_410_means_list_again_and_other_errors_do_not)
{
    struct k8s_watch_line l;
    ck_assert_int_eq(parse("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
                           "\"reason\":\"Expired\",\"metadata\":{\"resourceVersion\":\"9\"}}}",
                           &l),
                     0);
    ck_assert_int_eq(l.kind, K8S_WATCH_GONE);
    ck_assert_ptr_null(l.resource_version); /* an error's version says nothing */
    k8s_watch_line_reset(&l);
    ck_assert_int_eq(parse("{\"type\":\"ERROR\",\"object\":{\"code\":500}}", &l), 0);
    ck_assert_int_eq(l.kind, K8S_WATCH_ERROR);
    k8s_watch_line_reset(&l);
}
END_TEST

/* An unknown type is skipped: it used to be taken for DELETED and drop the object. */
START_TEST(skips_unknown_types_and_lines_that_are_no_event)
{
    static const char *const bad[] = {"{\"type\":\"UNKNOWN\",\"object\":{}}",
                                      "{\"type\":\"ADDED\",\"object\":[]}",
                                      "{\"type\":7,\"object\":{}}",
                                      "{\"object\":{}}",
                                      "not json",
                                      ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct k8s_watch_line l = {.root = NULL};
        ck_assert_msg(parse(bad[i], &l) == -EBADMSG, "%s", bad[i]);
        ck_assert_ptr_null(l.root);
    }
}
END_TEST

RUN_SUITE("watch", splits_a_stream_into_lines_and_leaves_the_unfinished_one,
          reads_each_event_type_with_its_object_and_resource_version,
          an_error_410_means_list_again_and_other_errors_do_not,
          skips_unknown_types_and_lines_that_are_no_event)
