#!/bin/bash
# Instructions per request of the benchmarks' servers, plain and instrumented: the trivial
# cpp-httplib server (bench/httplib_server.cc) and the gRPC echo server
# (bench/grpc_echo_server.cc, in the synchronous and the callback API, with each interceptor
# setup). Each server runs under valgrind's callgrind while h2load (nghttp2-client) sends it
# REQUESTS requests on 16 connections (HTTP/1.1 keep-alive; for gRPC, HTTP/2 with 4 calls in
# flight on each), carrying the gateway's headers of httplib_throughput_bench and
# grpc_throughput_bench.
#
#   bench/server_instructions.sh [BUILD_DIR [REQUESTS]]      (defaults: build-rel, 5000)
#
# Unlike throughput on a shared 2-vCPU VM, the count does not drift from run to run, so it shows
# where an instrumentation's cost goes: callgrind_annotate reads the profiles it leaves in
# BUILD_DIR/server_instructions/callgrind.SERVER.SETUP.1 (the measured requests only). It counts
# the server process's user-space instructions only (not the kernel's), from the first request
# of the measured load to its last (idle polling in between included, alike for every setup).
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(measure ...) stops the script too

build=${1:-build-rel}
requests=${2:-5000}
for tool in valgrind:valgrind callgrind_control:valgrind h2load:nghttp2-client; do
  command -v "${tool%%:*}" >/dev/null || {
    echo "server_instructions: ${tool%%:*} is missing (Debian's ${tool#*:} has it)" >&2
    exit 1
  }
done
for program in httplib_server grpc_echo_server; do
  [[ -x "$build/bin/$program" ]] || {
    echo "server_instructions: no $build/bin/$program (build with -DMMF_BUILD_BENCHMARKS=ON)" >&2
    exit 1
  }
done
# At least one request per connection (h2load's rule).
[[ "$requests" =~ ^[1-9][0-9]*$ ]] && ((requests >= 16)) || {
  echo "server_instructions: REQUESTS must be a number of at least 16, not '$requests'" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
profiles="$build/server_instructions"
mkdir -p "$profiles"
# EchoRequest{text: "ok"} in gRPC's framing: not compressed, 4 bytes of length, the message.
printf '\x00\x00\x00\x00\x04\x0a\x02\x6f\x6b' >"$work/echo_request"
readonly reply_size=9 # EchoReply{text: "ok"} framed alike, and the HTTP server's "ok"
readonly ok_size=2
gateway=(-H traceparent:00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
  -H tracestate:congo=t61rcWkgMzE,rojo=00f067aa0ba902b7
  -H baggage:tenant_id=acme-corp,feature_flag=checkout-v2
  -H x-correlation-id:0190b6f2-4c1d-7a3e-9b5f-2d8e6a1c4f70)

# Sends n requests to the server of one kind (http, grpc) on 127.0.0.1:port; fails unless
# every answer came (h2load counts HTTP statuses only, and a failed gRPC call is an HTTP 200
# without a message: the data bytes tell).
load() {
  local kind=$1 port=$2 n=$3 out size
  if [[ $kind == http ]]; then
    size=$ok_size
    out=$(h2load --h1 -n "$n" -c 16 -H accept:text/plain "${gateway[@]}" \
      "http://127.0.0.1:$port/ok")
  else
    size=$reply_size
    out=$(h2load -n "$n" -c 16 -m 4 -d "$work/echo_request" \
      -H content-type:application/grpc -H te:trailers "${gateway[@]}" \
      "http://127.0.0.1:$port/mmf.test.Echo/Unary")
  fi
  local data
  data=$(sed -n 's/.*(\([0-9]*\)) data$/\1/p' <<<"$out")
  if ! grep -q " $n succeeded" <<<"$out" || [[ "$data" != $((n * size)) ]]; then
    echo "server_instructions: not every request succeeded:" >&2
    echo "$out" >&2
    return 1
  fi
}

# Prints the instructions per request of one server ("http", "grpc-sync", "grpc-callback") in
# one setup ("plain", "mmf", ...). Runs in a subshell of its own (called as $(measure ...)):
# its server is stopped however it ends.
measure() {
  local server=$1 setup=$2 out="$profiles/callgrind.$1.$2" command
  case $server in
    http) command=("$build/bin/httplib_server" "$setup") ;;
    grpc-sync) command=("$build/bin/grpc_echo_server" "$setup") ;;
    grpc-callback) command=("$build/bin/grpc_echo_server" "$setup" --callback) ;;
  esac
  rm -f "$out" "$out.1" "$work/port" # no port left from the previous server
  mkfifo "$work/stdin"
  valgrind --tool=callgrind --callgrind-out-file="$out" "${command[@]}" \
    <"$work/stdin" >"$work/port" 2>"$work/log" &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT # (expanded now: pid is local)
  exec 3>"$work/stdin"
  rm "$work/stdin"
  local waited=0
  while [[ ! -s "$work/port" ]]; do
    if ! kill -0 "$pid" 2>/dev/null || ((waited++ > 600)); then
      echo "server_instructions: the $server server did not start:" >&2
      cat "$work/log" >&2
      return 1
    fi
    sleep 0.1
  done
  local port
  port=$(head -1 "$work/port")
  load "${server%%-*}" "$port" 1000 # warm-up: connections, threads, caches of series and pools
  callgrind_control --zero "$pid" >/dev/null 2>&1
  load "${server%%-*}" "$port" "$requests"
  callgrind_control --dump "$pid" >/dev/null 2>&1
  exec 3>&-
  wait "$pid"
  trap - EXIT
  local total
  total=$(sed -n 's/^summary: //p' "$out.1")
  echo $((total / requests))
}

printf '%-14s %-15s %14s %10s\n' server setup instr/request added
for server in http grpc-sync grpc-callback; do
  setups=(plain noop mmf-no-entries mmf)
  [[ $server == http ]] && setups=(plain mmf)
  plain=""
  for setup in "${setups[@]}"; do
    per_request=$(measure "$server" "$setup")
    [[ -z "$plain" ]] && plain=$per_request
    printf '%-14s %-15s %14d %+10d\n' "$server" "$setup" "$per_request" $((per_request - plain))
  done
done
