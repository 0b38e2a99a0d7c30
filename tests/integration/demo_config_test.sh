#!/usr/bin/env bash
# The demo is configured like a service: code defaults, then the --config file (or
# MMF_CONFIG_FILE), then OTEL_*/MMF_* variables. Checks each source and their order, that a bad
# setting stops it with status 2 naming the setting, that OTEL_SDK_DISABLED silences it, and
# that OTEL_EXPORTER_OTLP_ENDPOINT sends its spans to a collector (a loopback HTTP receiver).
# Usage: demo_config_test.sh <path to marty>
set -euo pipefail
marty=$1
work=$(mktemp -d)
receiver=
trap '[[ -n $receiver ]] && kill "$receiver" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. A file sets console logs and a service name; the environment wins over the file.
cat >"$work/demo.yaml" <<'YAML'
service:
  name: demo-from-file
logging:
  format: console
YAML
"$marty" demo --config "$work/demo.yaml" >"$work/out" 2>"$work/err" || fail "demo with --config: $(cat "$work/err")"
grep -q 'INFO  Payment processed .*trace_id=4bf92f3577b34da6a3ce929d0e0e4736' "$work/out" ||
  fail "the file's console log format was not used: $(grep 'Payment processed' "$work/out")"
grep -q '"message":"Payment processed"' "$work/out" && fail "JSON logs despite the file's console format"
grep -q 'logs (level info) go to stdout as console text' "$work/err" || fail "stderr: $(cat "$work/err")"

MMF_CONFIG_FILE="$work/demo.yaml" MMF_LOG_FORMAT=json "$marty" demo >"$work/out" 2>"$work/err" ||
  fail "demo with MMF_CONFIG_FILE: $(cat "$work/err")"
line=$(grep -m1 '"message":"Payment processed"' "$work/out")
[[ $line == *'"service":"demo-from-file"'* ]] || fail "MMF_CONFIG_FILE's service name not used: $line"

# 2. Presets: development samples everything and writes console text at debug level.
MMF_ENVIRONMENT=development "$marty" demo --duration 0.2 --metrics-port 0 >"$work/out" 2>"$work/err" ||
  fail "development preset: $(cat "$work/err")"
grep -q 'sampler parentbased_traceidratio 1)' "$work/err" || fail "development sampling: $(cat "$work/err")"
grep -q 'logs (level debug) go to stdout as console text' "$work/err" || fail "development logs: $(cat "$work/err")"

# 3. Bad settings: one message per problem, naming its source, and exit status 2.
status=0
MMF_PROMETHEUS_PORT=70000 OTEL_TRACES_SAMPLER_ARG=2 "$marty" demo >"$work/out" 2>"$work/err" || status=$?
[[ $status == 2 ]] || fail "bad variables gave exit status $status"
grep -q 'environment variable MMF_PROMETHEUS_PORT: 70000 is outside \[0, 65535\]' "$work/err" ||
  fail "no message naming MMF_PROMETHEUS_PORT: $(cat "$work/err")"
grep -q 'environment variable OTEL_TRACES_SAMPLER_ARG: 2 is outside \[0, 1\]' "$work/err" ||
  fail "no message naming OTEL_TRACES_SAMPLER_ARG: $(cat "$work/err")"
[[ -s $work/out ]] && fail "the demo started half-configured: $(head -3 "$work/out")"
printf 'tracing:\n  sample_rate: 0.5\nbogus: 1\n' >"$work/bad.yaml"
status=0
"$marty" demo --config "$work/bad.yaml" >"$work/out" 2>"$work/err" || status=$?
[[ $status == 2 ]] || fail "an unknown file key gave exit status $status"
grep -q "config file $work/bad.yaml line 3: unknown key 'bogus'" "$work/err" || fail "$(cat "$work/err")"
status=0
"$marty" demo --config "$work/missing.yaml" >"$work/out" 2>"$work/err" || status=$?
[[ $status == 2 ]] || fail "a missing file gave exit status $status"

# 4. OTEL_SDK_DISABLED: the walk-through still runs, nothing is logged or exported.
OTEL_SDK_DISABLED=true "$marty" demo >"$work/out" 2>"$work/err" || fail "disabled SDK: $(cat "$work/err")"
grep -q 'Payment processed' "$work/out" && fail "a log line with the SDK disabled"
grep -q '"trace_id"' "$work/out" && fail "a span with the SDK disabled"
grep -q '0 spans recorded' "$work/err" || fail "$(cat "$work/err")"

# 5. An OTLP endpoint in the environment: the spans of the demo and of its three services go
#    to that collector, not to stdout.
/usr/bin/python3 - "$work" <<'PY' &
import http.server, os, sys
work = sys.argv[1]
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(os.path.join(work, "received"), "ab") as out:
            out.write(self.path.encode() + b" " + body + b"\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
with open(os.path.join(work, "port.tmp"), "w") as out:
    out.write(str(server.server_port))
os.rename(os.path.join(work, "port.tmp"), os.path.join(work, "port"))
server.serve_forever()
PY
receiver=$!
for _ in $(seq 100); do [[ -f $work/port ]] && break; sleep 0.1; done
[[ -f $work/port ]] || fail "the OTLP receiver did not start"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(cat "$work/port")" OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
  "$marty" demo >"$work/out" 2>"$work/err" || fail "demo with a collector: $(cat "$work/err")"
grep -q "spans (sampler .*) go to OTLP to http://127.0.0.1:[0-9]*/v1/traces" "$work/err" || fail "$(cat "$work/err")"
grep -q '^/v1/traces .*"traceId":"4bf92f3577b34da6a3ce929d0e0e4736"' "$work/received" ||
  fail "the collector did not receive the walk-through's trace"
for service in marty-demo marty-gateway marty-order marty-payment; do
  grep -q "\"service.name\".*\"$service\"" "$work/received" || fail "no spans of $service at the collector"
done
grep -q '"parent_span_id"' "$work/out" && fail "spans went to stdout as well"
echo "the demo honours --config, MMF_CONFIG_FILE, presets, OTEL_SDK_DISABLED and OTLP variables"
