/* k8s/yamltree: one YAML document as cJSON; see yamltree.h. */
#include "k8s/yamltree.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static int fail(char *err, const char *format, ...) __attribute__((format(printf, 2, 3)));

static int fail(char *err, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(err, YAMLTREE_ERROR_MAX, format, ap);
    va_end(ap);
    return -EINVAL;
}

static bool is_one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0) return true;
    return false;
}

/* A decimal number as the core schema writes one: [-+]digits[.digits][e[-+]digits], or
 * [-+].digits. Hex, octal and .inf stay strings: JSON has no such numbers. */
static bool is_decimal(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    size_t whole = strspn(p, "0123456789");
    p += whole;
    size_t frac = 0;
    if (*p == '.') {
        frac = strspn(p + 1, "0123456789");
        p += 1 + frac;
    }
    if (whole + frac == 0) return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+') p++;
        size_t exp = strspn(p, "0123456789");
        if (exp == 0) return false;
        p += exp;
    }
    return *p == '\0';
}

/* A scalar event's value as JSON: strings unless plain and spelling another type. */
static cJSON *scalar(const yaml_event_t *ev)
{
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const nulls[] = {"null", "Null", "NULL", "~", "", NULL};
    const char *s = (const char *)ev->data.scalar.value;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return cJSON_CreateString(s);
    if (is_one_of(s, trues)) return cJSON_CreateTrue();
    if (is_one_of(s, falses)) return cJSON_CreateFalse();
    if (is_one_of(s, nulls)) return cJSON_CreateNull();
    if (is_decimal(s)) {
        double d = strtod(s, NULL);
        if (isfinite(d)) return cJSON_CreateNumber(d);
    }
    return cJSON_CreateString(s);
}

/* A collection under construction, and for a mapping the key waiting for its value. */
struct frame {
    cJSON *node; /* the mapping or sequence */
    char *key;   /* mapping: the key just read (owned), NULL when a key comes next */
};

/* Adds a finished node to the collection on top of the stack (or makes it the root). */
static int place(struct frame *stack, size_t depth, cJSON **root, cJSON *node, size_t line,
                 char *err)
{
    if (depth == 0) {
        *root = node;
        return 0;
    }
    struct frame *top = &stack[depth - 1];
    if (cJSON_IsArray(top->node)) return cJSON_AddItemToArray(top->node, node) ? 0 : -ENOMEM;
    if (!top->key) {
        /* node is a key: it must be a plain string no other key of the mapping spells. */
        int r = 0;
        if (!cJSON_IsString(node))
            r = fail(err, "line %zu: a mapping key must be a string", line);
        else if (cJSON_GetObjectItemCaseSensitive(top->node, node->valuestring))
            r = fail(err, "line %zu: the key \"%.64s\" is written twice", line, node->valuestring);
        else if (!(top->key = strdup(node->valuestring)))
            r = -ENOMEM;
        cJSON_Delete(node);
        return r;
    }
    bool ok = cJSON_AddItemToObject(top->node, top->key, node);
    free(top->key);
    top->key = NULL;
    return ok ? 0 : -ENOMEM;
}

/* What an event carries that JSON cannot: an anchor or a tag. */
static const char *refused_property(const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
    } else if (ev->type == YAML_MAPPING_START_EVENT) {
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
    }
    return anchor ? "YAML anchors (&) are not supported"
           : tag  ? "YAML tags (!) are not supported"
                  : NULL;
}

/* One parsed event into the tree; done set at the stream's end. */
static int take_event(yaml_event_t *ev, struct frame *stack, size_t *depth, cJSON **root,
                      size_t *nodes, size_t *documents, bool *done, char *err)
{
    size_t line = ev->start_mark.line + 1;
    const char *refused = refused_property(ev);
    if (refused) return fail(err, "line %zu: %s", line, refused);
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        *done = true;
        return 0;
    case YAML_DOCUMENT_START_EVENT:
        if (++*documents > 1) return fail(err, "line %zu: more than one YAML document", line);
        if (ev->data.document_start.version_directive ||
            ev->data.document_start.tag_directives.start)
            return fail(err, "line %zu: YAML directives (%%) are not supported", line);
        return 0;
    case YAML_ALIAS_EVENT:
        return fail(err, "line %zu: YAML aliases (*) are not supported", line);
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        struct frame f = stack[--*depth];
        return place(stack, *depth, root, f.node, line, err);
    }
    default:
        return 0;
    }
    if (++*nodes > YAMLTREE_NODES_MAX)
        return fail(err, "line %zu: more than %d YAML nodes", line, YAMLTREE_NODES_MAX);
    if (ev->type == YAML_SCALAR_EVENT) {
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return fail(err, "line %zu: a value holds a NUL character", line);
        cJSON *s = scalar(ev);
        return s ? place(stack, *depth, root, s, line, err) : -ENOMEM;
    }
    if (*depth == YAMLTREE_DEPTH_MAX)
        return fail(err, "line %zu: nested deeper than %d levels", line, YAMLTREE_DEPTH_MAX);
    struct frame *top = *depth ? &stack[*depth - 1] : NULL;
    if (top && cJSON_IsObject(top->node) && !top->key)
        return fail(err, "line %zu: a mapping key must be a string", line);
    cJSON *c = ev->type == YAML_SEQUENCE_START_EVENT ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!c) return -ENOMEM;
    stack[(*depth)++] = (struct frame){c, NULL};
    return 0;
}

int yamltree_parse(const char *text, size_t len, cJSON **ret, char err[YAMLTREE_ERROR_MAX])
{
    if (len > YAMLTREE_INPUT_MAX) return fail(err, "longer than %d bytes", YAMLTREE_INPUT_MAX);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return -ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    struct frame stack[YAMLTREE_DEPTH_MAX];
    size_t depth = 0, nodes = 0, documents = 0;
    cJSON *root = NULL;
    int r = 0;
    for (bool done = false; r == 0 && !done;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            r = parser.error == YAML_MEMORY_ERROR
                    ? -ENOMEM
                    : fail(err, "line %zu: %s", parser.problem_mark.line + 1,
                           parser.problem ? parser.problem : "malformed YAML");
            break;
        }
        r = take_event(&ev, stack, &depth, &root, &nodes, &documents, &done, err);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    /* Collections not yet closed are in no parent: each is freed on its own. */
    while (depth > 0) {
        depth--;
        free(stack[depth].key);
        cJSON_Delete(stack[depth].node);
    }
    if (r < 0) {
        cJSON_Delete(root);
        return r;
    }
    *ret = root;
    return 0;
}
