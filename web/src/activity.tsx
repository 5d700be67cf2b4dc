// Activity (/activity?ns=): the Kubernetes events of the selected namespace, newest first, with
// warnings marked, refreshed every half minute while the tab is visible.

import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJSON } from './api';
import { Icon } from './icons';
import { asString, isObject, type Json } from './json';
import { ErrorBanner, Loading, Table } from './layout';
import type { EnvState } from './namespaces';
import { EVENT_COLUMNS, EventRow, parseTime, useErrors, type EventFacts } from './ui';

export interface Activity extends EventFacts {
  key: string;
  kind: string;
  name: string;
}

/** When an event last happened: core/v1 and events.k8s.io fill different fields. */
function eventTime(e: Json): Date | null {
  const series = isObject(e.series) ? e.series : {};
  const meta = isObject(e.metadata) ? e.metadata : {};
  return (
    parseTime(e.lastTimestamp) ??
    parseTime(series.lastObservedTime) ??
    parseTime(e.eventTime) ??
    parseTime(e.deprecatedLastTimestamp) ??
    parseTime(e.firstTimestamp) ??
    parseTime(meta.creationTimestamp)
  );
}

/** Events as the server lists them (an array, or a Kubernetes list with items), newest first. */
export function normalizeEvents(raw: unknown): Activity[] {
  const list = Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw.items) ? raw.items : [];
  const out: Activity[] = [];
  list.forEach((v, i) => {
    if (!isObject(v)) return;
    const obj = isObject(v.involvedObject) ? v.involvedObject : isObject(v.regarding) ? v.regarding : {};
    const meta = isObject(v.metadata) ? v.metadata : {};
    out.push({
      key: asString(meta.uid) || `${i}`,
      time: eventTime(v),
      type: asString(v.type) || 'Normal',
      reason: asString(v.reason),
      message: asString(v.message) || asString(v.note),
      kind: asString(obj.kind),
      name: asString(obj.name),
      count: typeof v.count === 'number' ? v.count : 1,
    });
  });
  const at = (a: Activity) => a.time?.getTime() ?? -Infinity;
  return out.sort((a, b) => at(b) - at(a));
}

export async function fetchActivities(ns: string, signal?: AbortSignal): Promise<Activity[]> {
  const enc = encodeURIComponent(ns);
  try {
    return normalizeEvents(await getJSON(`/api/activities/${enc}`, signal));
  } catch (err) {
    // A server without /api/activities: the same events through the Kubernetes API, which checks
    // the user's access the same way.
    if (!(err instanceof ApiError && err.status === 404 && /no such API route/.test(err.message))) throw err;
    return normalizeEvents(await getJSON(`/api/k8s/api/v1/namespaces/${enc}/events`, signal));
  }
}

const REFRESH_MS = 30_000;

export function ActivityPage({ envState, ns }: { envState: EnvState; ns: string }) {
  const [events, setEvents] = useState<Activity[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [warningsOnly, setWarningsOnly] = useState(false);
  const [round, setRound] = useState(0);
  const [now, setNow] = useState(Date.now());
  const { errors, report, clear } = useErrors();

  useEffect(() => {
    setEvents(null);
    clear();
  }, [ns]);

  useEffect(() => {
    if (!ns || envState.status === 'unavailable') return;
    const abort = new AbortController();
    setLoading(true);
    fetchActivities(ns, abort.signal)
      .then((list) => {
        setEvents(list);
        setNow(Date.now());
        clear();
      })
      .catch((err) => {
        if (!abort.signal.aborted) report(`Could not load the activity of ${ns}`, err);
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [ns, round, envState.status]);

  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') setRound((r) => r + 1);
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const shown = events && (warningsOnly ? events.filter((e) => e.type === 'Warning') : events);
  const warnings = events?.filter((e) => e.type === 'Warning').length ?? 0;

  let body;
  if (envState.status === 'unavailable') {
    body = <p class="card-note">Activity is not available: this dashboard is not connected to a Kubernetes cluster.</p>;
  } else if (!ns) {
    body = <p class="card-note">Select a namespace in the top bar to see what happened in it.</p>;
  } else if (shown === null) {
    body = <Loading failed={errors.length > 0 && 'The activity could not be loaded.'} />;
  } else if (shown.length === 0) {
    body = (
      <p class="card-note" data-testid="activity-empty">
        {warningsOnly
          ? `No warnings in ${ns}.`
          : `Nothing has happened in ${ns} lately. Kubernetes keeps events for about an hour.`}
      </p>
    );
  } else {
    body = (
      <Table labelledBy="activity-title" class="activity" columns={EVENT_COLUMNS}>
        {shown.map((e) => (
          <EventRow
            key={e.key}
            event={e}
            now={now}
            object={
              <>
                {e.kind && <span class="muted">{e.kind} </span>}
                {e.name}
              </>
            }
            testid="activity-row"
            typed
          />
        ))}
      </Table>
    );
  }

  return (
    <div class="page">
      <h1 class="page-title">Activity</h1>
      <ErrorBanner messages={errors} onDismiss={clear} />
      <section class="card" aria-labelledby="activity-title">
        <div class="card-title card-title-row">
          <h2 id="activity-title" class="card-heading">
            {ns ? (
              <>
                Events in <span class="ns-name">{ns}</span>
              </>
            ) : (
              'Events'
            )}
          </h2>
          {ns && envState.status !== 'unavailable' && (
            <span class="card-tools">
              <label class="check">
                <input
                  type="checkbox"
                  checked={warningsOnly}
                  onChange={(e) => setWarningsOnly(e.currentTarget.checked)}
                />
                Warnings only{events ? ` (${warnings})` : ''}
              </label>
              <button
                type="button"
                class="button"
                disabled={loading}
                onClick={() => setRound((r) => r + 1)}
                data-testid="activity-refresh"
              >
                <Icon name="refresh" />
                {loading ? 'Refreshing…' : 'Refresh'}
              </button>
            </span>
          )}
        </div>
        {body}
      </section>
    </div>
  );
}
