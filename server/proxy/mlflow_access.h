/*
 * mlflow_access: what a request to MLflow needs from the caller, by MLflow endpoint.
 *
 * MLflow searches with POST, so the method alone says little: a viewer may GET anything and POST
 * only to the endpoints below that read (searches, gets, lists); every other endpoint, and any
 * endpoint this list does not know, counts as a write. The list is written from MLflow 3.17's
 * REST API (mlflow/server/handlers.py, the FastAPI routers): the graphql endpoint counts as a
 * read because that schema's only mutations are searches (mlflowSearchRuns,
 * mlflowSearchDatasets). Workspaces are kfdash's to list (the caller's profile namespaces) and
 * nobody's to create, change or delete through the proxy.
 *
 * Pure functions, thread-safe.
 */
#pragma once

#include <stddef.h>

enum mlflow_access {
    MLFLOW_ACCESS_ASSET,      /* the UI's own files: no workspace, any signed-in user */
    MLFLOW_ACCESS_READ,       /* any role in the workspace */
    MLFLOW_ACCESS_WRITE,      /* owner, admin or contributor (edit) in the workspace */
    MLFLOW_ACCESS_WORKSPACES, /* the list of workspaces: answered by kfdash */
    MLFLOW_ACCESS_WORKSPACE,  /* one workspace by name: for a member of that namespace */
    MLFLOW_ACCESS_REFUSED,    /* creating, changing or deleting a workspace */
};

/*
 * Classifies method (GET, HEAD, POST, ...) on path, MLflow's own (decoded, normalised, "/..."
 * without kfdash's /mlflow prefix). For MLFLOW_ACCESS_WORKSPACE, *ret_name and *ret_name_len
 * (both may be NULL) get the workspace name, pointing into path.
 */
enum mlflow_access mlflow_access_classify(const char *method, const char *path,
                                          const char **ret_name, size_t *ret_name_len);

/* "asset", "read", "write", "workspaces", "workspace", "refused". */
const char *mlflow_access_name(enum mlflow_access a);
