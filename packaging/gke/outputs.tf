output "cluster_name" {
  description = "The cluster's name."
  value       = google_container_cluster.kubeflow.name
}

output "region" {
  description = "The cluster's region."
  value       = google_container_cluster.kubeflow.location
}

output "get_credentials" {
  description = "The command that points kubectl at the cluster."
  value       = "gcloud container clusters get-credentials ${google_container_cluster.kubeflow.name} --region ${google_container_cluster.kubeflow.location} --project ${var.project_id}"
}

output "workload_pool" {
  description = "The Workload Identity pool: PROJECT.svc.id.goog."
  value       = google_container_cluster.kubeflow.workload_identity_config[0].workload_pool
}

output "mlflow_bucket" {
  description = "gs:// URL of MLflow's artifact store (empty when none was made)."
  value       = var.mlflow_bucket == "" ? "" : "gs://${google_storage_bucket.mlflow[0].name}"
}

output "mlflow_service_account" {
  description = "The Google service account to annotate kubeflow/mlflow with (iam.gke.io/gcp-service-account)."
  value       = var.mlflow_bucket == "" ? "" : google_service_account.mlflow[0].email
}
