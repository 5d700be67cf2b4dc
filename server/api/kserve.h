/*
 * api_kserve: the KServe endpoints (InferenceServices, serving.kserve.io/v1beta1) of a profile
 * namespace.
 *
 *   GET    /api/namespaces/:namespace/inferenceservices         {"inferenceServices":[summary...],
 *          "truncated": bool} (by name, at most 1000)
 *   POST   /api/namespaces/:namespace/inferenceservices         201 {"inferenceService":summary}
 *          from a form {"name","modelFormat","modelFormatVersion"?,"protocolVersion"?,
 *          "storageUri","runtime"?,"serviceAccountName"?,"resources"?} or from an MLflow model
 *          version {"name","fromMlflow":{"model","version"}, ...}
 *   GET    /api/namespaces/:namespace/inferenceservices/:name   {"inferenceService","object"}
 *   DELETE /api/namespaces/:namespace/inferenceservices/:name   {}
 *   GET    /api/namespaces/:namespace/mlflow-model-versions     {"modelVersions":[{"model",
 *          "version","status","source","runId","description","createdAt"(ms)}...],
 *          "truncated": bool}: what the deploy form offers (MLflow's model-versions/search in
 *          the namespace's workspace, at most 500)
 *
 * The summary and the form are k8s/isvc.h's. Every call needs a role in the namespace (or a
 * cluster admin), then goes to the API server as the user, which decides the verb; its refusals
 * pass on. A form from MLflow is completed first by asking MLflow (mlflow.url) for the
 * version's artifact location (model-versions/get-download-uri, X-MLFLOW-WORKSPACE: the
 * namespace); the InferenceService then runs as kserve.service_account unless the form names
 * one. Handlers run on HTTP threads and park while the API server or MLflow answers.
 */
#pragma once

struct http_request;

void api_kserve_list(struct http_request *r);
void api_kserve_create(struct http_request *r);
void api_kserve_get(struct http_request *r);
void api_kserve_delete(struct http_request *r);
void api_kserve_mlflow_versions(struct http_request *r);
