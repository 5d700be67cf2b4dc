/*
 * api_notebooks: the Notebooks API, shaped like Kubeflow's Jupyter web app (CONTRACTS §6), for
 * the profile namespaces a user holds a role in.
 *
 * Every namespaced route first checks the caller may enter the namespace (api_namespace:
 * a role there, or a cluster admin), then calls the API server as the user (impersonated), so
 * the cluster's RBAC decides every read and write; its refusals are passed on. kfdash never
 * writes here with its own rights. Objects are built and read by k8s/notebook.h.
 *
 *   GET    /api/config                                 images, GPU vendors, defaults, MLflow
 *   GET    /api/gpus                                   {"vendors":[{limitsKey, uiName}]}
 *   GET    /api/namespaces/:ns/notebooks               {"notebooks":[summary]}
 *   POST   /api/namespaces/:ns/notebooks               form → 201 {"notebook":summary}
 *   GET    /api/namespaces/:ns/notebooks/:nb           {"notebook":summary,"object":Notebook}
 *   PATCH  /api/namespaces/:ns/notebooks/:nb           {"stopped":bool} → {"notebook":summary}
 *   DELETE /api/namespaces/:ns/notebooks/:nb           {} (the workspace volume is kept)
 *   GET    /api/namespaces/:ns/notebooks/:nb/pod       {"pod":Pod}, 404 when none
 *   GET    .../notebooks/:nb/pod/:pod/logs             text/plain, ?tailLines=N&follow=true
 *   GET    /api/namespaces/:ns/notebooks/:nb/events    {"events":[...]} newest first
 *   GET    /api/namespaces/:ns/pvcs                    {"pvcs":[{name,size,accessModes,...}]}
 *   GET    /api/namespaces/:ns/poddefaults             {"poddefaults":[{name,label,desc}]}
 *   POST   /api/namespaces/:ns/poddefaults/mlflow      creates or updates the MLflow PodDefault
 *
 * A create form's image must be one of notebooks.images unless it says "customImage": true
 * (then any well-formed image reference is accepted: the cluster's admission policies, not
 * kfdash, decide which registries are allowed). With a spawner config, its options of the
 * form's server type rule instead, custom images only when it allows them, and its readOnly
 * fields cannot be changed.
 */
#pragma once

struct config;
struct http_request;

struct api_notebooks;

#define API_NOTEBOOKS_ERROR_MAX 768

/*
 * The spawner's catalog from the settings (server/kfdash.h): notebooks.spawner_config when set
 * (Kubeflow's spawner_ui_config.yaml, read and checked now), else notebooks.images and
 * notebooks.gpu_vendors. 0; -EINVAL with the file, the line or field and the reason in err (a
 * bad or unreadable file); -ENOMEM.
 */
int api_notebooks_new(const struct config *cfg, struct api_notebooks **ret,
                      char err[API_NOTEBOOKS_ERROR_MAX]);
void api_notebooks_free(struct api_notebooks *n);

void api_notebooks_config(struct http_request *r);
void api_notebooks_gpus(struct http_request *r);
void api_notebooks_list(struct http_request *r);
void api_notebooks_create(struct http_request *r);
void api_notebooks_get(struct http_request *r);
void api_notebooks_patch(struct http_request *r);
void api_notebooks_delete(struct http_request *r);
void api_notebooks_pod(struct http_request *r);
void api_notebooks_logs(struct http_request *r);
void api_notebooks_events(struct http_request *r);
void api_notebooks_pvcs(struct http_request *r);
void api_notebooks_poddefaults(struct http_request *r);
void api_notebooks_mlflow(struct http_request *r);
