// A uPlot chart's life in a component: uPlot (its chunk, mlflow_uplot, loaded on first use) draws
// into the returned box, sized to its width and redrawn when that changes, and is destroyed when
// the inputs change or the component goes. Used by the MLflow plots and the Prometheus charts.

import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlotType from 'uplot';

/** Distinct colours, in order, for the lines of one chart. */
export const PALETTE = ['#3f51b5', '#e8710a', '#188038', '#d93025', '#9334e6', '#12b5cb', '#f538a0', '#5f6368'];

export interface UplotView {
  box: RefObject<HTMLDivElement | null>; /* where the chart goes */
  drawn: number; /* the lines drawn so far (0 until uPlot has drawn): for tests and waiting */
  failed: string | null; /* why it could not be drawn */
}

/**
 * Draws `data` with the options `options(width)` gives, `lines` lines, at least `minWidth` wide
 * and `height` high; again whenever one of `deps` changes.
 */
export function useUplot(
  options: (width: number) => uPlotType.Options,
  data: () => uPlotType.AlignedData,
  lines: number,
  minWidth: number,
  height: number,
  deps: unknown[],
): UplotView {
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
        const width = () => Math.max(minWidth, el.clientWidth);
        const opts = options(width());
        opts.hooks = { ...opts.hooks, draw: [...(opts.hooks?.draw ?? []), () => live && setDrawn(lines)] };
        plot = new uPlot(opts, data(), el);
        observer = new ResizeObserver(() => plot?.setSize({ width: width(), height }));
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
  }, deps); // the caller names what redraws the chart
  return { box, drawn, failed };
}
