# A GKE Standard cluster for Kubeflow and kfdash: Workload Identity on, the default node pool
# removed, one node pool of its own (3 x e2-standard-8 with the defaults: one node in each of
# three zones). docs/gke.md walks through the rest.

# The nodes run as their own service account with only what nodes need (logs, metrics, pulling
# images), not as the project's default Compute Engine account.
resource "google_service_account" "nodes" {
  account_id   = "${var.cluster_name}-nodes"
  display_name = "GKE nodes of ${var.cluster_name}"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_container_cluster" "kubeflow" {
  name     = var.cluster_name
  location = var.region

  # A node pool is managed below; the one GKE insists on creating is removed at once.
  remove_default_node_pool = true
  initial_node_count       = 1

  networking_mode = "VPC_NATIVE"
  ip_allocation_policy {}

  release_channel {
    channel = var.release_channel
  }

  # Workload Identity: Kubernetes service accounts act as Google service accounts (MLflow's
  # artifact store, KServe's storage initializer) without keys.
  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  addons_config {
    # The Persistent Disk CSI driver brings the standard-rwo and premium-rwo StorageClasses.
    gce_persistent_disk_csi_driver_config {
      enabled = true
    }
    http_load_balancing {
      disabled = false
    }
  }

  deletion_protection = var.deletion_protection
}

resource "google_container_node_pool" "main" {
  name           = "main"
  cluster        = google_container_cluster.kubeflow.id
  location       = var.region
  node_locations = length(var.node_locations) > 0 ? var.node_locations : null
  node_count     = var.node_count

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type    = var.machine_type
    disk_size_gb    = var.disk_size_gb
    disk_type       = "pd-balanced"
    image_type      = "COS_CONTAINERD"
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]

    # Pods see the GKE metadata server (Workload Identity), never the node's own credentials.
    workload_metadata_config {
      mode = "GKE_METADATA"
    }
  }

  depends_on = [google_project_iam_member.nodes]
}

# MLflow's artifact store, and the Google service account MLflow's Kubernetes service account
# (kubeflow/mlflow) acts as through Workload Identity. Only when mlflow_bucket is set.
resource "google_storage_bucket" "mlflow" {
  count                       = var.mlflow_bucket == "" ? 0 : 1
  name                        = var.mlflow_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
}

resource "google_service_account" "mlflow" {
  count        = var.mlflow_bucket == "" ? 0 : 1
  account_id   = "${var.cluster_name}-mlflow"
  display_name = "MLflow artifacts of ${var.cluster_name}"
}

resource "google_storage_bucket_iam_member" "mlflow" {
  count  = var.mlflow_bucket == "" ? 0 : 1
  bucket = google_storage_bucket.mlflow[0].name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.mlflow[0].email}"
}

resource "google_service_account_iam_member" "mlflow_workload_identity" {
  count              = var.mlflow_bucket == "" ? 0 : 1
  service_account_id = google_service_account.mlflow[0].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[kubeflow/mlflow]"

  depends_on = [google_container_cluster.kubeflow]
}
