"""Seed the local MLflow server: workspaces alice and bob, experiment "iris" in
workspace alice with a few runs (params and a metric history), and model
"iris-classifier" version 1 registered from the best run. Then download that
version's artifacts for the model server.

Run with the peers' venv python:
    ml-train.py MLFLOW_URL MODEL_DIR
Prints one JSON line: {"run_ids", "best_run_id", "model_source", "artifact_uri", "model_dir"}.

MLflow workspace facts (mlflow 3.17, read from mlflow/server/workspace_helpers.py,
mlflow/store/workspace/*, mlflow/utils/rest_utils.py, mlflow/tracking/_workspace/):
- Server: `mlflow server --enable-workspaces`; GET /api/3.0/mlflow/server-info
  then says {"workspaces_enabled": true}. A workspace "default" always exists
  (it holds legacy resources and is used when a request has no header).
- A workspace must be created before use: POST /api/3.0/mlflow/workspaces
  {"name": "alice", "description": "..."} (409 RESOURCE_ALREADY_EXISTS when it
  exists); GET /api/3.0/mlflow/workspaces lists them, GET/PATCH/DELETE
  /api/3.0/mlflow/workspaces/<name>. Names: lowercase alphanumerics and '-'.
- Every request is scoped by header `X-MLFLOW-WORKSPACE: <name>`; an unknown
  name answers 404 {"error_code": "RESOURCE_DOES_NOT_EXIST",
  "message": "Workspace 'x' not found"}.
- The Python client adds that header from mlflow.set_workspace(name) or, failing
  that, from the environment variable MLFLOW_WORKSPACE.
"""

import json
import sys
import warnings

import mlflow
import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from sklearn.datasets import load_iris  # bundled CSV, no download
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

MODEL_NAME = "iris-classifier"


def ensure_workspace(name):
    try:
        mlflow.create_workspace(name, description=f"Kubeflow profile namespace {name}")
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise


def train_run(c, x_train, x_test, y_train, y_test, steps=5):
    """One run: params, then accuracy/loss per step of a warm-started fit."""
    with mlflow.start_run(run_name=f"logreg-C{c}") as run:
        mlflow.log_params({"C": c, "solver": "lbfgs", "max_iter_per_step": 5, "steps": steps})
        model = LogisticRegression(C=c, max_iter=5, warm_start=True)
        for step in range(steps):
            with warnings.catch_warnings():  # the tiny max_iter never converges
                warnings.simplefilter("ignore")
                model.fit(x_train, y_train)
            acc = accuracy_score(y_test, model.predict(x_test))
            loss = log_loss(y_test, model.predict_proba(x_test), labels=[0, 1, 2])
            mlflow.log_metrics({"accuracy": acc, "loss": loss}, step=step)
        return run.info.run_id, acc, model


def main():
    url, model_dir = sys.argv[1], sys.argv[2]
    mlflow.set_tracking_uri(url)
    for ws in ("alice", "bob"):
        ensure_workspace(ws)
    mlflow.set_workspace("alice")
    mlflow.set_experiment("iris")

    x, y = load_iris(return_X_y=True)
    x = x.astype(np.float64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
    runs = [train_run(c, x_train, x_test, y_train, y_test) for c in (0.1, 1.0, 10.0)]
    best_id, _, best_model = max(runs, key=lambda r: r[1])

    # Register the best run's model as version 1. The signature is a plain
    # float64 tensor [-1, 4], so a V2 request is one FP64 input of shape [N, 4].
    with mlflow.start_run(run_id=best_id):
        signature = infer_signature(x_test, best_model.predict(x_test))
        mlflow.sklearn.log_model(
            best_model, name="model", signature=signature, registered_model_name=MODEL_NAME
        )
    client = mlflow.MlflowClient()
    version = client.get_model_version(MODEL_NAME, "1")
    client.set_registered_model_alias(MODEL_NAME, "champion", "1")
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{MODEL_NAME}/1", dst_path=model_dir
    )
    print(json.dumps({
        "run_ids": [r[0] for r in runs],
        "best_run_id": best_id,
        "model_source": version.source,
        "artifact_uri": client.get_model_version_download_uri(MODEL_NAME, "1"),
        "model_dir": local,
    }))


if __name__ == "__main__":
    main()
