#!/usr/bin/env bash
# Proves that users can build against mmf-observability, the way they would:
#   1. find_package/      find_package(mmf_observability 0.1 REQUIRED) against <install-prefix>
#   2. add_subdirectory/  the source tree added with add_subdirectory(), developer options off
#      find_package_httplib/  COMPONENTS httplib: a CorrelationMiddleware server and client
#      find_package_hybrid/   COMPONENTS hybrid (bringing grpc and httplib): the OTLP/gRPC
#                             transport registered, HybridService and CorrelationInterceptor
#   3. components         COMPONENTS handling and version checks of the package configuration
#   4. pkg-config         mmf_observability.pc from <install-prefix>
# Each program is configured, built and run in a temporary directory, removed afterwards.
#
# Usage: tests/consumer/run.sh <install-prefix>
#   <install-prefix> holds a finished install (cmake --install <build> --prefix <install-prefix>);
#   this script installs nothing. Honours CXX (the compiler) and MMF_JOBS (default 2).
set -euo pipefail

if [[ $# -ne 1 || "$1" == -h || "$1" == --help ]]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  [[ $# -eq 1 ]] && exit 0 || exit 2
fi
prefix=$(realpath "$1")
if [[ ! -d "$prefix/include/mmf" ]]; then
  echo "consumer: $prefix does not look like an mmf-observability install (no include/mmf)" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jobs=${MMF_JOBS:-2}
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mmf-consumer.XXXXXX")
check=""
finish() {
  local rc=$?
  rm -rf "$work"
  if [[ $rc -ne 0 ]]; then
    echo "consumer: FAILED in check '${check}' (exit code $rc)" >&2
  fi
}
trap finish EXIT

# configure_build_run <name> <source-dir> [cmake args...]: the consumer program must exit 0.
configure_build_run() {
  local name=$1 source=$2
  shift 2
  check=$name
  echo "--- consumer: $name"
  cmake -S "$source" -B "$work/$name" "${generator[@]}" "$@"
  cmake --build "$work/$name" -j "$jobs"
  "$work/$name/consumer"
  echo "--- consumer: $name passed"
}

configure_build_run find_package "$here/find_package" -DCMAKE_PREFIX_PATH="$prefix"
configure_build_run add_subdirectory "$here/add_subdirectory"
# The HTTP component, when this install has it (it is built where cpp-httplib is found).
if [[ -n $(find "$prefix" -name mmf_observability_httplibTargets.cmake -print -quit) ]]; then
  configure_build_run find_package_httplib "$here/find_package_httplib" \
    -DCMAKE_PREFIX_PATH="$prefix"
elif [[ ${MMF_REQUIRE_TOOLS:-} == 1 ]]; then
  echo "the install lacks the httplib component (Debian package libcpp-httplib-dev)"
  exit 1
fi

# The gRPC and hybrid components, when this install has them (built where gRPC C++ and
# cpp-httplib are found).
if [[ -n $(find "$prefix" -name mmf_observability_hybridTargets.cmake -print -quit) ]]; then
  configure_build_run find_package_hybrid "$here/find_package_hybrid" \
    -DCMAKE_PREFIX_PATH="$prefix"
elif [[ ${MMF_REQUIRE_TOOLS:-} == 1 ]]; then
  echo "the install lacks the hybrid component (Debian packages libgrpc++-dev, libcpp-httplib-dev)"
  exit 1
fi

# The package configuration: unknown components and incompatible versions fail, and say why.
check=components
echo "--- consumer: components"
mkdir -p "$work/components"
cat >"$work/components/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(mmf_components_check LANGUAGES CXX)
if(CHECK STREQUAL "optional")
  find_package(mmf_observability 0.1 REQUIRED OPTIONAL_COMPONENTS no_such_component)
  if(NOT TARGET mmf::observability OR mmf_observability_no_such_component_FOUND)
    message(FATAL_ERROR "an unknown optional component must be not found, and the package found")
  endif()
elseif(CHECK STREQUAL "required")
  find_package(mmf_observability 0.1 REQUIRED COMPONENTS no_such_component)
elseif(CHECK STREQUAL "version")
  find_package(mmf_observability 1.0 REQUIRED)
elseif(CHECK STREQUAL "testing")
  find_package(mmf_observability 0.1 REQUIRED COMPONENTS testing)
  if(NOT TARGET mmf::testing OR NOT mmf_observability_testing_FOUND)
    message(FATAL_ERROR "the test kit component must give the target mmf::testing")
  endif()
endif()
CMAKE
components_cmake() {
  cmake -S "$work/components" -B "$work/components/build-$1" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCHECK="$1" 2>&1
}
for mode in optional testing; do
  components_cmake "$mode" >"$work/components/$mode.log" || {
    cat "$work/components/$mode.log"
    false
  }
done
for mode in required version; do
  if components_cmake "$mode" >"$work/components/$mode.log"; then
    cat "$work/components/$mode.log"
    echo "consumer: find_package($mode check) succeeded but must fail" >&2
    false
  fi
done
grep -q "no_such_component: unknown component" "$work/components/required.log" || {
  cat "$work/components/required.log"
  echo "consumer: an unknown required component must fail with a message naming it" >&2
  false
}
grep -q "compatible with requested version" "$work/components/version.log" || {
  cat "$work/components/version.log"
  echo "consumer: find_package(mmf_observability 1.0) must fail as not compatible" >&2
  false
}
echo "--- consumer: components passed"

# pkg-config, for builds that do not use CMake.
check=pkg-config
echo "--- consumer: pkg-config"
pc_file=$(find "$prefix" -name mmf_observability.pc -print -quit)
[[ -n "$pc_file" ]] || {
  echo "consumer: no mmf_observability.pc under $prefix" >&2
  false
}
pc_dir=$(dirname "$pc_file")
read -r -a pc_flags <<<"$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs mmf_observability)"
echo "pkg-config --cflags --libs mmf_observability: ${pc_flags[*]}"
"${CXX:-c++}" -std=c++20 -Wall -Wextra -Werror "$here/find_package/main.cc" "${pc_flags[@]}" \
  -o "$work/pkg-config-consumer"
# A shared library is not on the loader's path when the prefix is not a system one.
pc_libdir=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --variable=libdir mmf_observability)
LD_LIBRARY_PATH="$pc_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/pkg-config-consumer"
echo "--- consumer: pkg-config passed"

check=""
echo "consumer: all checks passed against $prefix"
