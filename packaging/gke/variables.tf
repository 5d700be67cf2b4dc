variable "project_id" {
  description = "The GCP project that holds the cluster."
  type        = string
}

variable "region" {
  description = "Region of the cluster (a regional cluster: control plane and nodes in several zones)."
  type        = string
  default     = "europe-west1"
}

variable "node_locations" {
  description = "Zones of the region the nodes run in; empty = the region's default zones (node_count nodes in each)."
  type        = list(string)
  default     = []
}

variable "cluster_name" {
  description = "Name of the GKE cluster."
  type        = string
  default     = "kubeflow"
}

variable "release_channel" {
  description = "GKE release channel: RAPID, REGULAR or STABLE."
  type        = string
  default     = "REGULAR"
}

variable "machine_type" {
  description = "Machine type of the node pool. Kubeflow's example install asks for about 4.5 CPUs and 12 GiB before any user workload."
  type        = string
  default     = "e2-standard-8"
}

variable "node_count" {
  description = "Nodes per zone of the node pool (with one zone in node_locations: the pool's size)."
  type        = number
  default     = 1
}

variable "disk_size_gb" {
  description = "Boot disk of each node, GB (images of notebooks and Spark are large)."
  type        = number
  default     = 100
}

variable "mlflow_bucket" {
  description = "GCS bucket for MLflow's artifacts; empty = none is made."
  type        = string
  default     = ""
}

variable "deletion_protection" {
  description = "Refuse terraform destroy of the cluster (set false before destroying)."
  type        = bool
  default     = true
}
