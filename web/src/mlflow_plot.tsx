// A metric's history as a line chart (uPlot, loaded on first use): one line per series, x = the
// step, gaps where a series has no value at a step. Used by a run's page (one series) and the
// compare-runs overlay (one per run). Sized to its box, redrawn when the box changes width.

import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlotType from 'uplot';

export interface PlotSeries {
  label: string;
  points: { step: number; value: number }[];
}

/** Distinct colours, in order, for the lines of one chart. */
export const PALETTE = ['#3f51b5', '#e8710a', '#188038', '#d93025', '#9334e6', '#12b5cb', '#f538a0', '#5f6368'];

/** uPlot's data: the steps of every series, then each series' value at them (null: none). */
export function alignSeries(series: PlotSeries[]): [number[], ...(number | null)[][]] {
  const steps = [...new Set(series.flatMap((s) => s.points.map((p) => p.step)))].sort((a, b) => a - b);
  const at = new Map(steps.map((s, i) => [s, i]));
  const ys = series.map((s) => {
    const y: (number | null)[] = new Array(steps.length).fill(null);
    for (const p of s.points) y[at.get(p.step)!] = p.value; // the last value logged at a step
    return y;
  });
  return [steps, ...ys];
}

const HEIGHT = 220;
const STEP_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

export function MetricPlot({ title, series, testid = 'metric-plot' }: {
  title: string;
  series: PlotSeries[];
  testid?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [drawn, setDrawn] = useState(0);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let plot: uPlotType | null = null;
    let observer: ResizeObserver | null = null;
    setDrawn(0);
    import('./mlflow_uplot')
      .then(({ default: uPlot }) => {
        const el = box.current;
        if (!live || !el) return;
        const width = () => Math.max(240, el.clientWidth);
        const opts: uPlotType.Options = {
          width: width(),
          height: HEIGHT,
          scales: { x: { time: false } },
          // Steps are whole numbers: no tick between two of them.
          axes: [{ label: 'step', incrs: STEP_TICKS }, {}],
          series: [
            { label: 'step' },
            ...series.map((s, i) => ({
              label: s.label,
              stroke: PALETTE[i % PALETTE.length],
              width: 2,
              spanGaps: true,
              points: { show: s.points.length < 60 },
            })),
          ],
          hooks: { draw: [() => live && setDrawn(series.length)] },
        };
        plot = new uPlot(opts, alignSeries(series) as uPlotType.AlignedData, el);
        observer = new ResizeObserver(() => plot?.setSize({ width: width(), height: HEIGHT }));
        observer.observe(el);
      })
      .catch((err: unknown) => {
        if (live) setFailed(err instanceof Error ? err.message : String(err));
      });
    return () => {
      live = false;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [series]);
  return (
    <figure class="mlflow-plot" data-testid={testid} data-series={series.length} data-drawn={drawn}>
      <figcaption class="mlflow-plot-title">{title}</figcaption>
      {failed ? <p class="card-note">The chart could not be drawn: {failed}</p> : <div ref={box} />}
    </figure>
  );
}
