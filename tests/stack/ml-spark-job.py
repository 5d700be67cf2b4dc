"""A small, long-lived PySpark application (master local[2]) whose live Spark UI
stays up: it runs a tiny job every few seconds until its time is up.

    ml-spark-job.py APP_NAME UI_PORT URL_FILE [MINUTES]

Writes the UI's real URL to URL_FILE once the SparkContext is up (Spark moves to
the next port if UI_PORT is taken). Stops by itself after MINUTES (default 60).

Metrics for Prometheus on the UI port, as a SparkApplication configures them: the
PrometheusServlet sink of the metrics system at /metrics/prometheus (driver metrics, JVM
memory from the JvmSource, CPU time from JVMCPU), the executors' summary at
/metrics/executors/prometheus (spark.ui.prometheus.enabled). spark.metrics.namespace is a
constant, `spark`: by default the metric names carry the application id
(metrics_local_1796..._driver_...), which no chart could name in advance; the application is
in the target's labels instead.
"""

import os
import sys
import time

from pyspark.sql import SparkSession


def main():
    app, ui_port, url_file = sys.argv[1], sys.argv[2], sys.argv[3]
    minutes = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    spark = (
        SparkSession.builder.master("local[2]")
        .appName(app)
        .config("spark.ui.port", ui_port)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.prometheus.enabled", "true")
        .config("spark.metrics.namespace", "spark")
        .config("spark.metrics.conf.*.sink.prometheusServlet.class",
                "org.apache.spark.metrics.sink.PrometheusServlet")
        .config("spark.metrics.conf.*.sink.prometheusServlet.path", "/metrics/prometheus")
        .config("spark.metrics.conf.*.source.jvm.class", "org.apache.spark.metrics.source.JvmSource")
        .config("spark.executor.processTreeMetrics.enabled", "true")
        .getOrCreate()
    )
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    with open(url_file + ".tmp", "w") as f:
        f.write(sc.uiWebUrl + "\n")
    os.replace(url_file + ".tmp", url_file)

    deadline = time.monotonic() + minutes * 60
    i = 0
    while time.monotonic() < deadline:
        sc.setJobDescription(f"sum of squares #{i}")
        total = sc.parallelize(range(10_000), 4).map(lambda x: x * x).sum()
        sc.setJobDescription(f"group count #{i}")
        spark.range(0, 5_000).selectExpr("id % 7 AS k").groupBy("k").count().collect()
        print(f"iteration {i}: {total}", flush=True)
        i += 1
        time.sleep(5)
    spark.stop()


if __name__ == "__main__":
    main()
