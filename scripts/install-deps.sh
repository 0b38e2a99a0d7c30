#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing mmf-observability need, and only those
# that are missing: each package is checked with dpkg-query first, so when everything is present
# this takes well under a second and touches nothing. Safe to run any number of times.
#
# Usage: scripts/install-deps.sh [--check]
#   --check   only list the missing packages; exit 1 if there are any
# Runs apt-get as root, or through sudo for another user. MMF_APT_UPDATED=1 skips `apt-get update`
# (for callers that just ran it).
set -euo pipefail

# The packages, by purpose. Add new ones to the group they serve (DESIGN.md §4 lists the rest).
packages=(
  # Compilers and build tools.
  build-essential g++ cmake ninja-build pkg-config git ca-certificates
  # clang 14, and its runtime libraries for the sanitizers and libFuzzer.
  clang libclang-rt-14-dev
  # Test and benchmark frameworks, and prometheus-cpp as a benchmark peer (bench/ only).
  googletest libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev
  # Library dependencies: libcurl for the OTLP/HTTP transport, zlib for gzip, yaml-cpp for the
  # configuration file.
  libcurl4-openssl-dev zlib1g-dev libyaml-cpp-dev
  # The adapters for other libraries (built and tested when present): cpp-httplib (mounting
  # /metrics on an application's server) and spdlog (the logging bridge, and a benchmark peer).
  libcpp-httplib-dev libspdlog-dev
  # gRPC C++ (the interceptors, the OTLP/gRPC transport, hybrid services; marty's demo needs it)
  # and its code generator, for the test, benchmark and demo services.
  libgrpc++-dev protobuf-compiler-grpc
  # Test-only: protobuf (decoding OTLP payloads with the .proto files), a JSON parser, and the
  # metrics format checkers (promtool from prometheus, Debian's Python OpenMetrics parser).
  libprotobuf-dev protobuf-compiler nlohmann-json3-dev prometheus python3-prometheus-client
  # Benchmark-only load generators, run as processes of their own: wrk (HTTP/1.1, for
  # httplib_throughput_bench) and h2load from nghttp2-client (HTTP/2, for grpc_throughput_bench).
  wrk nghttp2-client
)
# Node.js and npm run the OpenTelemetry JS peer in the integration tests (>= 18.19). A machine
# that has them already (often from NodeSource, whose nodejs package conflicts with Debian's
# npm) keeps its own; otherwise Debian's are installed.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

check_only=false
case "${1:-}" in
  "") ;;
  --check) check_only=true ;;
  -h | --help)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    exit 0
    ;;
  *)
    echo "install-deps: unknown argument '$1' (try --help)" >&2
    exit 2
    ;;
esac

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

missing=()
for package in "${packages[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi
echo "install-deps: missing: ${missing[*]}"
if $check_only; then
  exit 1
fi

apt_get=(env DEBIAN_FRONTEND=noninteractive apt-get)
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: run as root (or install sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  apt_get=(sudo "${apt_get[@]}")
fi

if [[ "${MMF_APT_UPDATED:-}" != 1 ]]; then
  "${apt_get[@]}" update
fi
echo "install-deps: installing: ${missing[*]}"
"${apt_get[@]}" install -y --no-install-recommends "${missing[@]}"

for package in "${missing[@]}"; do
  if ! is_installed "$package"; then
    echo "install-deps: $package is still not installed" >&2
    exit 1
  fi
done
echo "install-deps: installed ${#missing[@]} packages"
