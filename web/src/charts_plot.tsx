// A chart from Prometheus drawn with uPlot (its chunk, mlflow_uplot, loaded on first use, as the
// MLflow plots load it): time on x, one line per series, gaps where a series has no value. A
// ChartPanel asks kfdash for one named chart (charts.ts) and redraws it every scrape interval of
// the server's Prometheus (at least every 5 s, at most every half minute) while the tab is
// visible, so what Prometheus has just scraped shows before a rate's window (four scrapes) has
// passed it by; it says so, in words, when there is no Prometheus, no data, or an error.

import { useEffect, useState } from 'preact/hooks';
import type uPlotType from 'uplot';
import {
  errorText as describe,
  fetchChart,
  fetchChartList,
  formatValue,
  lastValue,
  type Chart,
  type ChartAsk,
  type Series,
} from './charts';
import { PALETTE, useUplot } from './uplot_view';
import './home.css';

/** A chart is asked for again every scrape interval, within these bounds. */
const REFRESH_MIN_MS = 5_000;
const REFRESH_MAX_MS = 30_000;

/** How often a chart is asked for again: the server's scrape interval (seconds), bounded. */
export function refreshMs(scrapeInterval: number): number {
  const ms = Number.isFinite(scrapeInterval) ? scrapeInterval * 1000 : REFRESH_MAX_MS;
  return Math.min(REFRESH_MAX_MS, Math.max(REFRESH_MIN_MS, ms));
}

/** uPlot's data: every time of every series, then each series' value at them (null: none). */
export function alignPoints(series: Series[]): [number[], ...(number | null)[][]] {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const at = new Map(times.map((t, i) => [t, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(times.length).fill(null);
    for (const [t, v] of s.points) y[at.get(t)!] = v;
    return y;
  });
  return [times, ...ys];
}

export function TimeChart({ chart, height = 180 }: { chart: Chart; height?: number }) {
  const { box, drawn, failed } = useUplot(
    (width) => ({
      width,
      height,
      legend: { show: false },
      axes: [{}, { size: 70, values: (_u, ticks) => ticks.map((v) => formatValue(v, chart.unit)) }],
      series: [
        {},
        ...chart.series.map((s, i) => ({
          label: s.label || chart.title,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          points: { show: s.points.length < 3 },
        })),
      ],
    }),
    () => alignPoints(chart.series) as uPlotType.AlignedData,
    chart.series.length,
    200,
    height,
    [chart, height],
  );
  if (failed) return <p class="card-note">The chart could not be drawn: {failed}</p>;
  return (
    <div
      ref={box}
      class="time-chart"
      data-testid="time-chart"
      data-chart={chart.chart}
      data-series={chart.series.length}
      data-drawn={drawn}
    />
  );
}

/** The series' names beside their last values, in the lines' colours. */
function Legend({ chart }: { chart: Chart }) {
  return (
    <ul class="chart-legend">
      {chart.series.map((s, i) => (
        <li key={s.label} data-testid="chart-series" data-label={s.label} data-last={lastValue(s) ?? ''}>
          <span class="chart-swatch" style={{ background: PALETTE[i % PALETTE.length] }} />
          {s.label || chart.title} <span class="muted">{formatValue(lastValue(s), chart.unit)}</span>
        </li>
      ))}
      {chart.truncated && <li class="muted">(more series not shown)</li>}
    </ul>
  );
}

/**
 * One named chart, fetched and drawn, refreshed while shown. `onChart` hears every new answer
 * (a card shows the last values elsewhere too).
 */
export function ChartPanel({ ask, title, onChart }: {
  ask: ChartAsk;
  /** Shown above it; the chart's own title when absent. */
  title?: string;
  onChart?: (c: Chart) => void;
}) {
  const [chart, setChart] = useState<Chart | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = `${ask.ns}/${ask.chart}/${ask.name ?? ''}/${ask.range}/${ask.step ?? ''}`;
  useEffect(() => {
    let abort = new AbortController();
    let live = true;
    let timer: ReturnType<typeof setInterval> | undefined;
    const load = () => {
      abort.abort();
      abort = new AbortController();
      const signal = abort.signal;
      fetchChart(ask, signal).then(
        (c) => {
          if (signal.aborted) return;
          setChart(c);
          setError(null);
          onChart?.(c);
        },
        (err) => signal.aborted || setError(describe(err)),
      );
    };
    load();
    // The listing is asked once per page load (charts.ts): its scrape interval sets the pace.
    fetchChartList()
      .then((l) => l.scrapeInterval, () => REFRESH_MAX_MS / 1000)
      .then((every) => {
        if (live) timer = setInterval(() => document.visibilityState === 'visible' && load(), refreshMs(every));
      });
    return () => {
      live = false;
      clearInterval(timer);
      abort.abort();
    };
  }, [key]);
  const name = title ?? chart?.title ?? ask.chart;
  return (
    <figure class="chart-panel" data-testid="chart-panel" data-chart={ask.chart}>
      <figcaption class="chart-title">{name}</figcaption>
      {error ? (
        <p class="chart-note" data-testid="chart-error">
          {error}
        </p>
      ) : !chart ? (
        <p class="chart-note" aria-busy="true">
          Loading…
        </p>
      ) : chart.series.length === 0 ? (
        <p class="chart-note" data-testid="chart-empty">
          No data in this period.
        </p>
      ) : (
        <>
          <TimeChart chart={chart} />
          <Legend chart={chart} />
        </>
      )}
    </figure>
  );
}
