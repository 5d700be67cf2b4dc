// Charts from Prometheus through kfdash: which charts there are (GET /api/charts), one chart of a
// namespace or of the cluster, and how their values read. The server writes every query itself;
// a page names a chart, a workload and a range, nothing else. Nothing here renders anything: the
// drawing is charts_plot.tsx (with uPlot, loaded on first use). Loaded with the pages that chart.

import { getJSON } from './api';
import { asString, isObject, numberOrNull, objects, strings } from './json';

export interface ChartInfo {
  name: string;
  title: string;
  unit: string;
  scope: 'namespace' | 'cluster';
  /** What ?name= names ('endpoint', 'notebook', 'spark', 'pod'); '' for none. */
  workload: string;
}

export interface ChartList {
  /** Whether the server has a Prometheus (prometheus.url). */
  configured: boolean;
  scrapeInterval: number;
  dashboardUrl: string;
  charts: ChartInfo[];
}

export interface Series {
  label: string;
  labels: Record<string, string>;
  /** [seconds since 1970, value or null (no value there)]. */
  points: [number, number | null][];
}

export interface Chart {
  chart: string;
  title: string;
  unit: string;
  start: number;
  end: number;
  step: number;
  query: string;
  series: Series[];
  truncated: boolean;
}

/** An error as a sentence (ui.tsx's describe: this chunk keeps away from ui.tsx and its form
 * helpers, which would join the first load). */
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** An RFC 3339 time, or null. */
export function timeOf(v: unknown): Date | null {
  if (typeof v !== 'string' || !v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

let listing: Promise<ChartList> | null = null;

/** The server's charts: asked once per page load (they change only with its settings). */
export function fetchChartList(): Promise<ChartList> {
  listing ??= getJSON('/api/charts').then((raw) => {
    const j = isObject(raw) ? raw : {};
    return {
      configured: j.configured === true,
      scrapeInterval: numberOrNull(j.scrapeInterval) ?? 30,
      dashboardUrl: asString(j.dashboardUrl),
      charts: objects(j.charts).map((c) => ({
        name: asString(c.name),
        title: asString(c.title),
        unit: asString(c.unit),
        scope: c.scope === 'cluster' ? 'cluster' : 'namespace',
        workload: asString(c.workload),
      })),
    };
  });
  listing.catch(() => {
    listing = null; // the next page asks again
  });
  return listing;
}

function toChart(raw: unknown): Chart {
  const j = isObject(raw) ? raw : {};
  return {
    chart: asString(j.chart),
    title: asString(j.title),
    unit: asString(j.unit),
    start: numberOrNull(j.start) ?? 0,
    end: numberOrNull(j.end) ?? 0,
    step: numberOrNull(j.step) ?? 0,
    query: asString(j.query),
    truncated: j.truncated === true,
    series: objects(j.series).map((s) => {
      const labels: Record<string, string> = {};
      if (isObject(s.labels)) for (const [k, v] of Object.entries(s.labels)) labels[k] = asString(v);
      const points = (Array.isArray(s.points) ? s.points : [])
        .filter((p): p is unknown[] => Array.isArray(p) && typeof p[0] === 'number')
        .map((p): [number, number | null] => [p[0] as number, numberOrNull(p[1])]);
      return { label: asString(s.label) || strings(Object.values(labels)).join(' '), labels, points };
    }),
  };
}

export interface ChartAsk {
  /** A namespace's chart; '' for the cluster's (cluster admins). */
  ns: string;
  chart: string;
  /** One workload of the namespace (an endpoint, a notebook, ...). */
  name?: string;
  /** Seconds back from now. */
  range: number;
  step?: number;
}

export async function fetchChart(ask: ChartAsk, signal?: AbortSignal): Promise<Chart> {
  const q = new URLSearchParams({ range: String(ask.range) });
  if (ask.step) q.set('step', String(ask.step));
  if (ask.name) q.set('name', ask.name);
  const base = ask.ns
    ? `/api/namespaces/${encodeURIComponent(ask.ns)}/charts/${encodeURIComponent(ask.chart)}`
    : `/api/cluster/charts/${encodeURIComponent(ask.chart)}`;
  return toChart(await getJSON(`${base}?${q}`, signal));
}

/** The last value of a series that has one, or null. */
export function lastValue(s: Series | undefined): number | null {
  if (!s) return null;
  for (let i = s.points.length - 1; i >= 0; i--) if (s.points[i][1] !== null) return s.points[i][1];
  return null;
}

const BYTES = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A value in its unit, short: "1.5 GiB", "0.25 cores", "12 req/s", "3.1 %", "120 ms". */
export function formatValue(v: number | null, unit: string): string {
  if (v === null || !Number.isFinite(v)) return '–';
  const short = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toPrecision(2));
  switch (unit) {
    case 'bytes': {
      let i = 0;
      let x = v;
      while (Math.abs(x) >= 1024 && i < BYTES.length - 1) {
        x /= 1024;
        i++;
      }
      return `${v === 0 ? '0' : short(x)} ${BYTES[i]}`;
    }
    case 'ratio':
      return `${v === 0 ? '0' : short(v * 100)} %`;
    case 's':
      return v < 1 ? `${v === 0 ? '0' : short(v * 1000)} ms` : `${short(v)} s`;
    case '%':
      return `${v === 0 ? '0' : short(v)} %`;
    default:
      return `${v === 0 ? '0' : short(v)} ${unit}`;
  }
}
