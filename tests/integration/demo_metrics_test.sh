#!/usr/bin/env bash
# The demo serves /metrics and logs with context: runs `marty demo --duration` on a free port, scrapes it as
# Prometheus would (OpenMetrics, then text 0.0.4 through promtool), and checks that the demo's
# own series, the self-metrics and target_info are there and that the demo exits cleanly.
# Usage: demo_metrics_test.sh <path to marty>
set -euo pipefail
marty=$1
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$marty" demo --duration 6 --metrics-port 0 >"$work/stdout" 2>"$work/stderr" &
pid=$!
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$work/stderr" || true)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { echo "the demo never said where its metrics are:"; cat "$work/stderr"; exit 1; }
sleep 1  # some traffic first

curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' "$url" >"$work/open"
for expected in '^payments_processed_total{status="success",method="card"} [1-9]' \
                '^http_server_request_duration_seconds_count{.*http_route="/payments"' \
                '^mmf_telemetry_spans_started_total [0-9]' \
                '^mmf_plugin_operations_total{plugin="fraud-plugin",operation="score",status="success"} [1-9]' \
                '^target_info{.*service_name="marty-demo"' \
                '^process_resident_memory_bytes [1-9]' \
                '^# EOF$'; do
  grep -q "$expected" "$work/open" || { echo "missing in /metrics: $expected"; exit 1; }
done

[[ $(curl -sf "${url%/metrics}/healthz") == ok ]] || { echo "/healthz is not ok"; exit 1; }
[[ $(curl -sf "${url%/metrics}/readyz") == ready ]] || { echo "/readyz is not ready"; exit 1; }
curl -sf "$url" >"$work/text"
if command -v promtool >/dev/null; then
  promtool check metrics <"$work/text"
elif [[ ${MMF_REQUIRE_TOOLS:-} == 1 ]]; then
  echo "promtool is not installed (Debian package prometheus)"; exit 1
fi

wait "$pid" || { echo "the demo failed:"; cat "$work/stderr"; exit 1; }
pid=
# The walk-through's log line: JSON, with the trace and correlation context added.
line=$(grep '"message":"Payment processed"' "$work/stdout" | head -1)
for expected in '"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"' '"correlation_id":"' \
                '"user_id":"user_67890"' '"service":"marty-demo"' '"amount":12.5'; do
  [[ $line == *"$expected"* ]] || { echo "the demo's log line lacks $expected: $line"; exit 1; }
done
echo "demo served /metrics at $url"
