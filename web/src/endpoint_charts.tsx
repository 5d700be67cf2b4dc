// An endpoint's traffic over the last hour, from Prometheus through kfdash: its request rate,
// error ratio and latency percentiles (MLServer's own metrics), on the endpoint's page. Without
// Prometheus (prometheus.url) the card says so and nothing else.

import { useEffect, useState } from 'preact/hooks';
import { fetchChartList, type ChartList } from './charts';
import { ChartPanel } from './charts_plot';

const HOUR = 3600;

export function EndpointCharts({ ns, name }: { ns: string; name: string }) {
  const [list, setList] = useState<ChartList | null>(null);
  useEffect(() => {
    let live = true;
    fetchChartList().then(
      (l) => live && setList(l),
      () => live && setList({ configured: false, scrapeInterval: 30, dashboardUrl: '', charts: [] }),
    );
    return () => {
      live = false;
    };
  }, []);
  return (
    <section class="card" aria-labelledby="endpoint-charts-title" data-testid="endpoint-charts">
      <h2 id="endpoint-charts-title" class="card-title">
        Traffic, last hour
      </h2>
      <div class="card-body">
        {list === null ? null : !list.configured ? (
          <p class="muted" data-testid="charts-not-configured">
            Charts need Prometheus: kfdash has none configured (prometheus.url).
          </p>
        ) : (
          <div class="glance-charts">
            <ChartPanel ask={{ ns, chart: 'endpoint-requests', name, range: HOUR }} />
            <ChartPanel ask={{ ns, chart: 'endpoint-errors', name, range: HOUR }} />
            <ChartPanel ask={{ ns, chart: 'endpoint-latency', name, range: HOUR }} />
          </div>
        )}
      </div>
    </section>
  );
}
