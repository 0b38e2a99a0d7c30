#!/bin/bash
# Instructions per unary call of the gRPC echo server (bench/grpc_echo_server.cc), plain and
# with each interceptor setup, in the synchronous and the callback API: the server runs under
# valgrind's callgrind while h2load (nghttp2-client) sends it CALLS calls, 16 connections with 4
# calls in flight on each, carrying the gateway metadata of grpc_throughput_bench.
#
#   bench/grpc_instructions.sh [BUILD_DIR [CALLS]]      (defaults: build-rel, 5000)
#
# Unlike throughput on a shared 2-vCPU VM, the count does not drift from run to run, so it shows
# where an interceptor's cost goes: callgrind_annotate reads the profiles it leaves in
# BUILD_DIR/grpc_instructions/callgrind.SETUP.API.1 (the measured calls only). It counts
# the server process's user-space instructions only (not the kernel's), from the first call of
# the measured load to its last (idle polling in between included, alike for every setup).
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(measure ...) stops the script too

build=${1:-build-rel}
calls=${2:-5000}
server="$build/bin/grpc_echo_server"
for tool in valgrind:valgrind callgrind_control:valgrind h2load:nghttp2-client; do
  command -v "${tool%%:*}" >/dev/null || {
    echo "grpc_instructions: ${tool%%:*} is missing (Debian's ${tool#*:} has it)" >&2
    exit 1
  }
done
[[ -x "$server" ]] || {
  echo "grpc_instructions: no $server (build with -DMMF_BUILD_BENCHMARKS=ON)" >&2
  exit 1
}
# At least one call per connection (h2load's rule).
[[ "$calls" =~ ^[1-9][0-9]*$ ]] && ((calls >= 16)) || {
  echo "grpc_instructions: CALLS must be a number of at least 16, not '$calls'" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profiles="$build/grpc_instructions"
mkdir -p "$profiles"
# EchoRequest{text: "ok"} in gRPC's framing: not compressed, 4 bytes of length, the message.
printf '\x00\x00\x00\x00\x04\x0a\x02\x6f\x6b' > "$work/request"
readonly reply_size=9  # EchoReply{text: "ok"}, framed alike

# Sends n calls to 127.0.0.1:port; fails unless every reply came (h2load counts HTTP statuses
# only, and a failed gRPC call is an HTTP 200 without a message).
load() {
  local port=$1 n=$2 out
  out=$(h2load -n "$n" -c 16 -m 4 -d "$work/request" \
    -H content-type:application/grpc -H te:trailers \
    -H traceparent:00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \
    -H tracestate:congo=t61rcWkgMzE,rojo=00f067aa0ba902b7 \
    -H baggage:tenant_id=acme-corp,feature_flag=checkout-v2 \
    -H x-correlation-id:0190b6f2-4c1d-7a3e-9b5f-2d8e6a1c4f70 \
    "http://127.0.0.1:$port/mmf.test.Echo/Unary")
  local data
  data=$(sed -n 's/.*(\([0-9]*\)) data$/\1/p' <<<"$out")
  if ! grep -q " $n succeeded" <<<"$out" || [[ "$data" != $((n * reply_size)) ]]; then
    echo "grpc_instructions: not every call succeeded:" >&2
    echo "$out" >&2
    return 1
  fi
}

# Prints the instructions per call of one setup ("plain", "noop", ...) in one API. Runs in a
# subshell of its own (called as $(measure ...)): its server is stopped however it ends.
measure() {
  local setup=$1 api=$2 out="$profiles/callgrind.$1.$2" option=()
  [[ $api == callback ]] && option=(--callback)
  rm -f "$out" "$out.1" "$work/port"  # no port left from the previous server
  mkfifo "$work/stdin"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$server" "$setup" "${option[@]}" \
    <"$work/stdin" >"$work/port" 2>"$work/log" &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT  # (expanded now: pid is local)
  exec 3>"$work/stdin"
  rm "$work/stdin"
  local waited=0
  while [[ ! -s "$work/port" ]]; do
    if ! kill -0 "$pid" 2>/dev/null || ((waited++ > 600)); then
      echo "grpc_instructions: the server did not start:" >&2
      cat "$work/log" >&2
      return 1
    fi
    sleep 0.1
  done
  local port
  port=$(head -1 "$work/port")
  load "$port" 1000  # warm-up: connections, threads, caches of series and pools
  callgrind_control --zero "$pid" >/dev/null 2>&1
  load "$port" "$calls"
  callgrind_control --dump "$pid" >/dev/null 2>&1
  exec 3>&-
  wait "$pid"
  trap - EXIT
  local total
  total=$(sed -n 's/^summary: //p' "$out.1")
  echo $((total / calls))
}

printf '%-9s %-15s %12s %10s\n' api setup instr/call added
for api in sync callback; do
  plain=""
  for setup in plain noop mmf-no-entries mmf; do
    per_call=$(measure "$setup" "$api")
    [[ -z "$plain" ]] && plain=$per_call
    printf '%-9s %-15s %12d %+10d\n' "$api" "$setup" "$per_call" $((per_call - plain))
  done
done
