// A namespace's quota (GET /api/namespaces/:ns/quota: its ResourceQuotas' used and hard, and the
// Profile's resourceQuotaSpec), Kubernetes quantities as numbers, and what a new notebook or Spark
// application would take of it: the forms warn before the API server would refuse the pod.
// Nothing here renders anything (quota_view.tsx does).

import { getJSON } from './api';
import { asString, isObject, numberOrNull, objects } from './json';

export interface QuotaResource {
  resource: string;
  hard: string;
  used: string;
  hardValue: number | null;
  usedValue: number | null;
}

export interface Quota {
  name: string;
  resources: QuotaResource[];
}

export interface NamespaceQuota {
  quotas: Quota[];
  /** The Profile's resourceQuotaSpec.hard, or null when it has none. */
  profileHard: Record<string, string> | null;
}

export async function fetchQuota(ns: string, signal?: AbortSignal): Promise<NamespaceQuota> {
  const raw = await getJSON(`/api/namespaces/${encodeURIComponent(ns)}/quota`, signal);
  const j = isObject(raw) ? raw : {};
  const profile = isObject(j.profile) && isObject(j.profile.hard) ? j.profile.hard : null;
  return {
    quotas: objects(j.quotas).map((q) => ({
      name: asString(q.name),
      resources: objects(q.resources).map((r) => ({
        resource: asString(r.resource),
        hard: asString(r.hard),
        used: asString(r.used),
        hardValue: numberOrNull(r.hardValue),
        usedValue: numberOrNull(r.usedValue),
      })),
    })),
    profileHard: profile
      ? Object.fromEntries(Object.entries(profile).map(([k, v]) => [k, asString(v)]))
      : null,
  };
}

const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity ("500m", "64Gi", "1e3") as a number; null when it is not one. */
export function quantityValue(q: string): number | null {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d{1,2})|([numkKMGTPE]i?|))$/.exec(q.trim());
  if (!m) return null;
  const suffix = m[3] ?? '';
  if (m[2] === undefined && !(suffix in SUFFIX)) return null; // "1mi", "1ni"
  const v = Number(m[1]) * (m[2] !== undefined ? 10 ** Number(m[2].slice(1)) : SUFFIX[suffix]);
  return Number.isFinite(v) ? v : null;
}

/** Spark's own memory strings ("512m", "1g", "2048" MiB by default) in bytes; null otherwise. */
export function sparkMemoryBytes(s: string): number | null {
  const m = /^(\d+)([kmgtp]?)b?$/i.exec(s.trim());
  if (!m) return null;
  const unit = m[2].toLowerCase();
  const exp = unit === '' ? 2 : ' kmgtp'.indexOf(unit);
  return Number(m[1]) * 1024 ** exp;
}

/** What one new workload asks of the quota, by the quota's resource names (requests.*, limits.*,
 * bare cpu/memory, counts). Keys the workload does not touch are absent. */
export type Asks = Record<string, number>;

/** What a notebook of these fields asks: its pod (requests = limits for GPUs), new volumes. */
export function notebookAsks(f: {
  cpu: string;
  memory: string;
  gpuCount: number;
  gpuVendor: string;
  /** Sizes of the volumes the notebook makes (its workspace, new data volumes). */
  newVolumes: string[];
}): Asks {
  const asks: Asks = { pods: 1, 'count/notebooks.kubeflow.org': 1 };
  const cpu = quantityValue(f.cpu);
  const mem = quantityValue(f.memory);
  if (cpu !== null) asks.cpu = asks['requests.cpu'] = cpu;
  if (mem !== null) asks.memory = asks['requests.memory'] = mem;
  if (f.gpuCount > 0 && f.gpuVendor) {
    asks[`requests.${f.gpuVendor}`] = f.gpuCount;
    asks[`limits.${f.gpuVendor}`] = f.gpuCount;
  }
  if (f.newVolumes.length) {
    asks.persistentvolumeclaims = f.newVolumes.length;
    asks['requests.storage'] = f.newVolumes.reduce((sum, s) => sum + (quantityValue(s) ?? 0), 0);
  }
  return asks;
}

/** What a Spark application asks: a driver and its executors, each pod's memory with Spark's
 * overhead (10 % for the JVM, 40 % for Python and R, at least 384 MiB), one core per core. */
export function sparkAsks(f: {
  type: string;
  driverCores: string;
  driverMemory: string;
  instances: string;
  executorCores: string;
  executorMemory: string;
}): Asks {
  const n = Math.max(0, Math.floor(Number(f.instances) || 0));
  const factor = f.type === 'Python' || f.type === 'R' ? 0.4 : 0.1;
  const pod = (m: string) => {
    const b = sparkMemoryBytes(m);
    return b === null ? null : b + Math.max(384 * 2 ** 20, factor * b);
  };
  const asks: Asks = { pods: 1 + n, 'count/sparkapplications.sparkoperator.k8s.io': 1 };
  const dc = Number(f.driverCores);
  const ec = Number(f.executorCores);
  if (Number.isFinite(dc) && Number.isFinite(ec)) asks.cpu = asks['requests.cpu'] = dc + n * ec;
  const dm = pod(f.driverMemory);
  const em = pod(f.executorMemory);
  if (dm !== null && em !== null) asks.memory = asks['requests.memory'] = dm + n * em;
  return asks;
}

export interface Shortfall {
  quota: string;
  resource: string;
  /** What the workload asks, what is left, what the quota holds: in the resource's numbers. */
  asked: number;
  left: number;
  hard: string;
  used: string;
}

/** Every quota resource the workload would take past its hard limit. */
export function shortfalls(quota: NamespaceQuota, asks: Asks): Shortfall[] {
  const out: Shortfall[] = [];
  for (const q of quota.quotas) {
    for (const r of q.resources) {
      const asked = asks[r.resource];
      if (asked === undefined || asked <= 0 || r.hardValue === null) continue;
      const left = r.hardValue - (r.usedValue ?? 0);
      if (asked > left + 1e-9) {
        out.push({ quota: q.name, resource: r.resource, asked, left: Math.max(0, left), hard: r.hard, used: r.used });
      }
    }
  }
  return out;
}

/** A resource's numbers as people read them: bytes for memory and storage, else as they are. */
export function resourceText(resource: string, v: number): string {
  if (/memory|storage/.test(resource)) {
    const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
    let i = 0;
    let x = v;
    while (Math.abs(x) >= 1024 && i < units.length - 1) {
      x /= 1024;
      i++;
    }
    return `${Number(x.toFixed(2))}${units[i]}`;
  }
  return String(Number(v.toFixed(3)));
}
