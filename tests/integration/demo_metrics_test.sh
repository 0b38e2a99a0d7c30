#!/usr/bin/env bash
# The demo's services serve /metrics and log with context: runs `marty demo --duration` with
# free ports, scrapes the gateway, order and payment services as Prometheus would (OpenMetrics,
# then text 0.0.4 through promtool), checks the HTTP, plugin, payment and self-metrics series,
# that the first request's trace crossed the three processes with one correlation ID, and that
# the demo and its services exit cleanly.
# Usage: demo_metrics_test.sh <path to marty>
set -euo pipefail
marty=$1
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- stderr:"; cat "$work/stderr"; exit 1; }

"$marty" demo --duration 6 --metrics-port 0 >"$work/stdout" 2>"$work/stderr" &
pid=$!
metrics_of() { grep -o "marty-$1 (pid [0-9]*) serves .* metrics at http://127.0.0.1:[0-9]*/metrics" \
  "$work/stderr" | grep -o 'http://127.0.0.1:[0-9]*/metrics$' || true; }
for _ in $(seq 150); do
  grep -q 'driving traffic' "$work/stderr" && break
  sleep 0.1
done
grep -q 'driving traffic' "$work/stderr" || fail "the demo never started its traffic"
gateway=$(metrics_of gateway) order=$(metrics_of order) payment=$(metrics_of payment)
[[ -n $gateway && -n $order && -n $payment ]] || fail "the services did not say where their metrics are"
sleep 1  # some traffic first

scrape() { curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' "$1"; }
expect() {  # expect <file> <regex>...
  local file=$1; shift
  for expected in "$@"; do grep -q "$expected" "$file" || fail "missing in $file: $expected"; done
}
scrape "$gateway" >"$work/gateway"
expect "$work/gateway" \
  '^http_server_request_duration_seconds_count{http_request_method="POST",http_route="/payments",http_response_status_code="201"} [1-9]' \
  '^http_server_active_requests{http_request_method="POST"} [0-9]' \
  '^mmf_correlation_requests_total{origin="incoming"} [1-9]' \
  '^mmf_correlation_requests_total{origin="generated"} [1-9]' \
  '^rpc_client_call_duration_seconds_count{rpc_service="marty.demo.OrderService",rpc_method="PlaceOrder",rpc_grpc_status_code="0"} [1-9]' \
  '^mmf_telemetry_spans_started_total [0-9]' \
  '^target_info{.*service_name="marty-gateway"' \
  '^process_resident_memory_bytes [1-9]' \
  '^# EOF$'
scrape "$order" >"$work/order"
expect "$work/order" \
  '^rpc_server_call_duration_seconds_count{rpc_service="marty.demo.OrderService",rpc_method="PlaceOrder",rpc_grpc_status_code="0"} [1-9]' \
  '^http_client_request_duration_seconds_count{http_request_method="POST",server_address="127.0.0.1",.*http_response_status_code="201"} [1-9]' \
  '^mmf_correlation_requests_total{origin="incoming"} [1-9]' \
  '^target_info{.*service_name="marty-order"'
scrape "$payment" >"$work/payment"
expect "$work/payment" \
  '^http_server_request_duration_seconds_count{.*http_route="/payments/{order_id}/charge",http_response_status_code="402"} [1-9]' \
  '^payments_processed_total{status="success",method="card"} [1-9]' \
  '^mmf_plugin_operations_total{plugin="fraud-plugin",operation="score",status="success"} [1-9]' \
  '^mmf_plugin_status{plugin="fraud-plugin",version=".*",status="active"} 1'
grep -q '/payments/o-' "$work/payment" && fail "a raw path became a label"
[[ $(curl -sf "${gateway%/metrics}/healthz") == ok ]] || fail "/healthz is not ok"
[[ $(curl -sf "${payment%/metrics}/readyz") == ready ]] || fail "/readyz is not ready"

for url in "$gateway" "$payment"; do
  curl -sf "$url" >"$work/text"
  if command -v promtool >/dev/null; then
    promtool check metrics <"$work/text" || fail "promtool refused $url"
  elif [[ ${MMF_REQUIRE_TOOLS:-} == 1 ]]; then
    fail "promtool is not installed (Debian package prometheus)"
  fi
done

wait "$pid" || fail "the demo failed"
pid=
grep -q ' 0 lost correlation IDs' "$work/stderr" || fail "correlation IDs were lost"
grep -q 'one correlation ID: yes' "$work/stdout" || fail "the first trace did not cross the services"
for service in gateway order payment; do
  grep -q "marty demo: marty-$service: spans" "$work/stderr" || fail "marty-$service did not stop cleanly"
done
# The walk-through's log line: JSON, with the trace and correlation context added.
line=$(grep -m1 '"message":"Payment processed"' "$work/stdout")
for expected in '"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"' '"correlation_id":"' \
                '"user_id":"user_67890"' '"service":"marty-demo"' '"amount":12.5'; do
  [[ $line == *"$expected"* ]] || fail "the demo's log line lacks $expected: $line"
done
# The payment service's line for the first (sampled) request, written at once.
# (One grep: with pipefail, "grep | grep -q" fails when the first one is cut off early.)
grep -q '"message":"Payment processed","service":"marty-payment"' "$work/stdout" ||
  fail "no log line from the payment service"
echo "the demo's services served /metrics at $gateway, $order, $payment"
