-- wrk script for tests/bench/run.sh: one machine-readable line at the end of a run.
--   RESULT <requests> <duration_us> <p50_us> <p99_us> <connect> <read> <write> <status> <timeout> <bytes>
-- "status" counts non-2xx/3xx answers; the others are wrk's socket errors.
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.status, e.timeout, summary.bytes))
end
