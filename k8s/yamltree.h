/*
 * k8s/yamltree: one YAML document as a cJSON tree, for the files admins already keep for Kubeflow
 * (its Jupyter web app's spawner_ui_config.yaml).
 *
 * libyaml reads the text event by event; this module builds the tree within bounds of its own
 * (input size, nesting depth, node count) and refuses what JSON cannot hold or kfdash will not
 * guess at: anchors and aliases, tags, more than one document, keys that are not plain strings,
 * a key written twice. Quoted scalars stay strings; plain ones become true, false, null or a
 * number only when they spell one (YAML 1.2's core schema). Pure, no globals, thread-safe.
 */
#pragma once

#include <stddef.h>

struct cJSON;

#define YAMLTREE_INPUT_MAX (1 << 20) /* bytes of text */
#define YAMLTREE_DEPTH_MAX 32        /* mappings and sequences inside each other */
#define YAMLTREE_NODES_MAX 100000    /* scalars, mappings and sequences in all */
#define YAMLTREE_ERROR_MAX 256

/*
 * The single document in text[0..len) as a tree in *ret (NULL for an empty stream; free with
 * cJSON_Delete). 0 on success; -EINVAL with "line N: reason" in err; -ENOMEM. *ret is written
 * only on success.
 */
int yamltree_parse(const char *text, size_t len, struct cJSON **ret, char err[YAMLTREE_ERROR_MAX]);
