/* k8s/yamltree: one YAML document as cJSON, within bounds, refusing what JSON cannot hold. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "k8s/yamltree.h"
#include "unit.h"

/* text as compact JSON; the test fails when it is not accepted. */
static char *as_json(const char *text)
{
    char err[YAMLTREE_ERROR_MAX] = "";
    cJSON *j = NULL;
    int r = yamltree_parse(text, strlen(text), &j, err);
    ck_assert_msg(r == 0, "refused: %s", err);
    char *s = j ? cJSON_PrintUnformatted(j) : strdup("(none)");
    cJSON_Delete(j);
    return s;
}

static void assert_json(const char *yaml, const char *json)
{
    char *s = as_json(yaml);
    ck_assert_str_eq(s, json);
    free(s);
}

/* text is refused with a message holding want. */
static void assert_refused(const char *text, size_t len, const char *want)
{
    char err[YAMLTREE_ERROR_MAX] = "";
    cJSON *j = (cJSON *)0x1;
    ck_assert_int_eq(yamltree_parse(text, len, &j, err), -EINVAL);
    ck_assert_ptr_eq(j, (cJSON *)0x1);
    ck_assert_msg(strstr(err, want), "\"%s\" does not say \"%s\"", err, want);
}

START_TEST(reads_nested_mappings_and_sequences_of_mappings)
{
    assert_json("# comment\n"
                "a:\n"
                "  b: x   # trailing comment\n"
                "  list:\n"
                "    - key: k1\n"
                "      value: v1\n"
                "    -   key: k2\n"
                "  compact:\n"
                "  - one\n"
                "  - - nested\n"
                "c: {}\n"
                "d: []\n"
                "e: [a, 'b c', {f: g}]\n",
                "{\"a\":{\"b\":\"x\",\"list\":[{\"key\":\"k1\",\"value\":\"v1\"},{\"key\":\"k2\"}],"
                "\"compact\":[\"one\",[\"nested\"]]},\"c\":{},\"d\":[],"
                "\"e\":[\"a\",\"b c\",{\"f\":\"g\"}]}");
}
END_TEST

START_TEST(types_only_plain_scalars_and_keeps_quoted_ones_as_strings)
{
    assert_json("t: true\nf: False\nn: null\ntilde: ~\nempty:\nint: 42\nneg: -1.5e3\n"
                "q1: \"0.5\"\nq2: 'true'\nq3: \"null\"\nqty: 1.0Gi\nhex: 0x1f\nver: 1.2.3\n"
                "inf: .inf\nurl: http://a:80/b#c\n",
                "{\"t\":true,\"f\":false,\"n\":null,\"tilde\":null,\"empty\":null,\"int\":42,"
                "\"neg\":-1500,\"q1\":\"0.5\",\"q2\":\"true\",\"q3\":\"null\",\"qty\":\"1.0Gi\","
                "\"hex\":\"0x1f\",\"ver\":\"1.2.3\",\"inf\":\".inf\",\"url\":\"http://a:80/b#c\"}");
}
END_TEST

START_TEST(reads_quoting_escapes_and_block_scalars)
{
    assert_json("a: 'it''s # not a comment'\n"
                "b: \"tab\\tquote\\\" \\u00e9\"\n"
                "c: |\n  line1\n  line2\n"
                "d: >-\n  folded\n  text\n"
                "\"quoted key\": 1\n",
                "{\"a\":\"it's # not a comment\",\"b\":\"tab\\tquote\\\" \xc3\xa9\","
                "\"c\":\"line1\\nline2\\n\",\"d\":\"folded text\",\"quoted key\":1}");
}
END_TEST

START_TEST(reads_an_empty_stream_as_nothing_and_one_document_marker)
{
    assert_json("", "(none)");
    assert_json("# only a comment\n", "(none)");
    assert_json("---\na: 1\n...\n", "{\"a\":1}");
    assert_json("\xef\xbb\xbfk: v\r\n", "{\"k\":\"v\"}");
}
END_TEST

START_TEST(refuses_anchors_aliases_tags_and_more_documents_naming_the_line)
{
    const char *t = "a: &x 1\nb: *x\n";
    assert_refused(t, strlen(t), "line 1: YAML anchors");
    t = "a: 1\nb: *x\n";
    assert_refused(t, strlen(t), "line 2");
    t = "a: 1\nb: !!str 2\n";
    assert_refused(t, strlen(t), "line 2: YAML tags");
    t = "a: 1\n---\nb: 2\n";
    assert_refused(t, strlen(t), "line 2: more than one YAML document");
    t = "%YAML 1.1\n---\na: 1\n";
    assert_refused(t, strlen(t), "directives");
}
END_TEST

START_TEST(refuses_malformed_text_duplicate_and_non_string_keys)
{
    const char *t = "a:\n  b: 1\n c: 2\n";
    assert_refused(t, strlen(t), "line 3");
    t = "a: [1, 2\nb: 3\n";
    assert_refused(t, strlen(t), "line ");
    t = "a: 1\na: 2\n";
    assert_refused(t, strlen(t), "line 2: the key \"a\" is written twice");
    t = "? [a, b]\n: c\n";
    assert_refused(t, strlen(t), "line 1: a mapping key must be a string");
    t = "1: one\n";
    assert_refused(t, strlen(t), "line 1: a mapping key must be a string");
    t = "a:\tb\n\tc: d\n";
    assert_refused(t, strlen(t), "line 2");
    static const char nul[] = "a: \"x\\0y\"\n";
    assert_refused(nul, sizeof(nul) - 1, "line 1: a value holds a NUL");
    static const char raw_nul[] = "a: b\0c\n";
    assert_refused(raw_nul, sizeof(raw_nul) - 1, "line 1");
}
END_TEST

START_TEST(bounds_its_input_depth_and_node_count)
{
    size_t n = YAMLTREE_INPUT_MAX + 1;
    char *big = malloc(n + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, '#', n);
    big[n] = '\0';
    assert_refused(big, n, "longer than");
    free(big);

    char deep[4 * YAMLTREE_DEPTH_MAX + 8] = "";
    for (int i = 0; i <= YAMLTREE_DEPTH_MAX; i++) strcat(deep, "[");
    assert_refused(deep, strlen(deep), "nested deeper than");
    memset(deep, 0, sizeof(deep));
    for (int i = 0; i < YAMLTREE_DEPTH_MAX - 1; i++) strcat(deep, "[");
    strcat(deep, "1");
    for (int i = 0; i < YAMLTREE_DEPTH_MAX - 1; i++) strcat(deep, "]");
    char *ok = as_json(deep);
    free(ok);

    /* Many small nodes in a flow sequence: "1," is 2 bytes, so the node bound comes first. */
    size_t items = YAMLTREE_NODES_MAX + 1, len = 2 * items + 2;
    char *wide = malloc(len + 1);
    ck_assert_ptr_nonnull(wide);
    wide[0] = '[';
    for (size_t i = 0; i < items; i++) memcpy(wide + 1 + 2 * i, "1,", 2);
    wide[len - 1] = ']';
    wide[len] = '\0';
    assert_refused(wide, len, "more than 100000 YAML nodes");
    free(wide);
}
END_TEST

START_TEST(frees_what_it_built_when_refusing_midway)
{
    /* Open collections at several depths when the error comes: leak checkers see the rest. */
    const char *t = "a:\n  b:\n    - c: [1, {d: 2}]\n      e: *f\n";
    assert_refused(t, strlen(t), "line 4: YAML aliases");
}
END_TEST

RUN_SUITE("yamltree", reads_nested_mappings_and_sequences_of_mappings,
          types_only_plain_scalars_and_keeps_quoted_ones_as_strings,
          reads_quoting_escapes_and_block_scalars,
          reads_an_empty_stream_as_nothing_and_one_document_marker,
          refuses_anchors_aliases_tags_and_more_documents_naming_the_line,
          refuses_malformed_text_duplicate_and_non_string_keys,
          bounds_its_input_depth_and_node_count, frees_what_it_built_when_refusing_midway)
