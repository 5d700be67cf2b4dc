// A namespace's quota drawn: one bar per resource (used against hard, as `kubectl describe quota`
// lists them), and the warning the notebook and Spark forms show when what they would create
// asks for more than the quota has left (the API server would refuse its pod).

import { useEffect, useState } from 'preact/hooks';
import { resourceText, shortfalls, type Asks, type NamespaceQuota, fetchQuota } from './quota';
import './home.css';

/** How full, as a bar's class: calm below 75 %, amber to 90 %, red above. */
function level(fraction: number): string {
  return fraction >= 0.9 ? 'quota-bar-full' : fraction >= 0.75 ? 'quota-bar-high' : 'quota-bar-ok';
}

export function QuotaBars({ quota }: { quota: NamespaceQuota }) {
  return (
    <div class="quota-list" data-testid="quota-bars">
      {quota.quotas.map((q) => (
        <section key={q.name} class="quota" data-quota={q.name}>
          <h3 class="quota-name">{q.name}</h3>
          <ul class="quota-resources">
            {q.resources.map((r) => {
              const fraction = r.hardValue ? Math.min(1, (r.usedValue ?? 0) / r.hardValue) : r.usedValue ? 1 : 0;
              return (
                <li
                  key={r.resource}
                  class="quota-resource"
                  data-testid="quota-resource"
                  data-resource={r.resource}
                  data-used={r.used}
                  data-hard={r.hard}
                >
                  <span class="quota-label">
                    <span>{r.resource}</span>
                    <span class="muted">
                      {r.used} / {r.hard}
                    </span>
                  </span>
                  <span
                    class="quota-bar"
                    role="meter"
                    aria-label={r.resource}
                    aria-valuemin={0}
                    aria-valuemax={r.hardValue ?? 0}
                    aria-valuenow={r.usedValue ?? 0}
                  >
                    <span class={`quota-fill ${level(fraction)}`} style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
                  </span>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </div>
  );
}

/** The quota of ns, asked once per namespace; null while not known (or not readable). */
export function useQuota(ns: string): NamespaceQuota | null {
  const [quota, setQuota] = useState<NamespaceQuota | null>(null);
  useEffect(() => {
    setQuota(null);
    if (!ns) return;
    const abort = new AbortController();
    fetchQuota(ns, abort.signal).then(
      (q) => abort.signal.aborted || setQuota(q),
      () => {}, // a form without its warning still works: the API server has the last word
    );
    return () => abort.abort();
  }, [ns]);
  return quota;
}

/** Before a form sends: what its workload would take past the quota, said plainly. */
export function QuotaWarning({ ns, asks, what }: { ns: string; asks: Asks; what: string }) {
  const quota = useQuota(ns);
  if (!quota) return null;
  const short = shortfalls(quota, asks);
  if (short.length === 0) return null;
  return (
    <div class="notice quota-warning" role="alert" data-testid="quota-warning">
      <p>
        This {what} asks for more than {ns}'s quota has left, so Kubernetes would refuse its pods:
      </p>
      <ul>
        {short.map((s) => (
          <li key={`${s.quota}/${s.resource}`} data-resource={s.resource}>
            <strong>{s.resource}</strong>: asks {resourceText(s.resource, s.asked)}, {resourceText(s.resource, s.left)} left
            of {s.hard} ({s.used} used, quota {s.quota})
          </li>
        ))}
      </ul>
      <p>Ask for less, stop something that holds some, or ask a cluster admin to raise the quota.</p>
    </div>
  );
}
