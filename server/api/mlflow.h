/*
 * api_mlflow: MLflow through kfdash, one workspace per profile namespace (Kubeflow's KEP-897).
 *
 *   ANY /mlflow/...   MLflow's UI and APIs (/api/..., /ajax-api/...), forwarded to mlflow.url
 *                     with the /mlflow prefix stripped, as the user (kubeflow-userid,
 *                     kubeflow-groups) and in one workspace: X-MLFLOW-WORKSPACE set by kfdash
 *   GET /mlflow       302 to /mlflow/
 *   GET /mlflow/(api|ajax-api)/3.0/mlflow/workspaces          the caller's profile namespaces,
 *                     in MLflow's shape {"workspaces":[{"name","description"}]}
 *   GET .../workspaces/<name>                                 {"workspace":{...}} for a member
 *   POST, PATCH, DELETE .../workspaces[/<name>]               403: profiles are made in Kubeflow
 *
 * The workspace of a request is the client's X-MLFLOW-WORKSPACE (MLflow's UI and Python client
 * send it), else the kfdash_ns cookie (the namespace selected in kfdash's web app), else 400. It
 * must be a namespace where the caller holds a role (cluster admins: any); reads need any role,
 * writes owner, admin or contributor, by endpoint (mlflow_access.h). The client's own header
 * never reaches MLflow: kfdash sends its own line for the namespace it checked; nor does the
 * browser's Origin (the gate checked it; MLflow refuses state changes from other origins than its
 * own). The UI's files need no workspace.
 *
 * A profile whose workspace MLflow lacks gets one the first time a member uses it (created by
 * kfdash itself, then remembered). Refusals carry both kfdash's "error" and MLflow's
 * "error_code"/"message", so MLflow's clients show them.
 *
 * Request bodies (artifact uploads) stream up to notebooks.max_upload_bytes: notebooks log
 * their models through here.
 *
 * Threads: handlers run on HTTP threads; the set of known workspaces is a bounded cache with
 * its own locks.
 */
#pragma once

struct api_mlflow;
struct http_request;

/* The workspaces known to exist (server/kfdash.h). */
int api_mlflow_new(struct api_mlflow **ret);
void api_mlflow_free(struct api_mlflow *m);
void api_mlflow_proxy(struct http_request *r);
