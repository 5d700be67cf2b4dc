// A metric's history as a line chart (uPlot, loaded on first use): one line per series, x = the
// step, gaps where a series has no value at a step. Used by a run's page (one series) and the
// compare-runs overlay (one per run). Sized to its box, redrawn when the box changes width.

import type uPlotType from 'uplot';
import { PALETTE, useUplot } from './uplot_view';

export interface PlotSeries {
  label: string;
  points: { step: number; value: number }[];
}


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
  const { box, drawn, failed } = useUplot(
    (width) => ({
      width,
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
    }),
    () => alignSeries(series) as uPlotType.AlignedData,
    series.length,
    240,
    HEIGHT,
    [series],
  );
  return (
    <figure class="mlflow-plot" data-testid={testid} data-series={series.length} data-drawn={drawn}>
      <figcaption class="mlflow-plot-title">{title}</figcaption>
      {failed ? <p class="card-note">The chart could not be drawn: {failed}</p> : <div ref={box} />}
    </figure>
  );
}
