#!/usr/bin/env bash
# The README's two commands, on a fresh Debian 12 machine (as root, or a user with sudo):
#
#   ./run.sh demo [ARGS...]   install what is missing, build build/ and run `marty demo ARGS...`
#   ./run.sh test [--quick]   install what is missing, build and run every test:
#       (a) GCC build in build/, warnings as errors: every ctest test except the fuzzers
#       (b) clang build in build-clang/, warnings as errors: the same tests
#       (c) AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/: the same tests,
#           except those labelled integration-slow
#       (d) the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/, each for MMF_FUZZ_SECONDS
#       (e) `cmake --install build` into a temporary prefix, then the consumer projects
#           (tests/consumer/run.sh) build and run against it
#     --quick skips (b), (c) and (d), for local iteration; CI runs the full command.
#   ./run.sh --help
#
# Stops at the first failing step with a non-zero exit code, then prints which step failed and a
# summary of every step's result and duration. Steps whose source directory does not exist yet
# (tools/marty, bench/, tests/fuzz/) are switched off or skipped with a message.
#
# Environment:
#   MMF_FUZZ_SECONDS  how long each fuzz target runs in (d) (default 60)
#   MMF_JOBS          parallel build and test jobs (default 2)
#   MMF_BUILD_ROOT    where build/, build-clang/, build-asan/ and build-fuzz/ go (default: here)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$repo"
build_root=${MMF_BUILD_ROOT:-$repo}
jobs=${MMF_JOBS:-2}
fuzz_seconds=${MMF_FUZZ_SECONDS:-60}

# Prints the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# --- Steps: a banner when each starts; result and duration kept for the summary.
step_names=()
step_results=()
step_seconds=()
ctest_summaries=()
current_step=""
step_started=0
script_started=$SECONDS
show_summary=false
temp_dir=""

banner() {
  printf '\n%s\n== %s\n%s\n' "$(printf '=%.0s' {1..78})" "$1" "$(printf '=%.0s' {1..78})"
}
format_seconds() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
record_step() {
  step_names+=("$1")
  step_results+=("$2")
  step_seconds+=("$3")
}
begin_step() {
  current_step=$1
  step_started=$SECONDS
  banner "$1"
}
end_step() {
  record_step "$current_step" passed $((SECONDS - step_started))
  current_step=""
}
skip_step() {
  banner "$1"
  echo "skipped: $2"
  record_step "$1" "skipped ($2)" 0
}

print_summary() {
  banner "summary"
  local i
  for i in "${!step_names[@]}"; do
    printf '  %-62s %-7s %s\n' "${step_names[$i]}" "$(format_seconds "${step_seconds[$i]}")" \
      "${step_results[$i]}"
  done
  if [[ ${#ctest_summaries[@]} -gt 0 ]]; then
    echo "ctest:"
    printf '  %s\n' "${ctest_summaries[@]}"
  fi
}

on_exit() {
  local rc=$?
  local failed_step=$current_step
  if [[ -n "$failed_step" ]]; then
    record_step "$failed_step" "FAILED (exit code $rc)" $((SECONDS - step_started))
  fi
  if [[ -n "$temp_dir" ]]; then rm -rf "$temp_dir"; fi
  if $show_summary; then
    print_summary
    if [[ $rc -eq 0 ]]; then
      echo "run.sh: all steps passed in $(format_seconds $((SECONDS - script_started)))"
    fi
  fi
  if [[ -n "$failed_step" ]]; then
    echo "run.sh: FAILED at step: $failed_step (exit code $rc)" >&2
  elif [[ $rc -ne 0 ]] && $show_summary; then
    echo "run.sh: FAILED (exit code $rc)" >&2
  fi
  exit "$rc"
}
trap on_exit EXIT

# --- Building.

# A source directory that is present: exists and is not empty (an empty directory is not in git).
present() { [[ -d "$repo/$1" && -n "$(ls -A "$repo/$1")" ]]; }

# The -D options that switch off the parts whose directory does not exist yet.
absent_part_options() {
  if ! present tools/marty; then
    echo "note: tools/marty/ does not exist yet: building without the marty tool" >&2
    echo "-DMMF_BUILD_TOOLS=OFF"
  fi
  if ! present bench; then
    echo "note: bench/ does not exist yet: building without benchmarks" >&2
    echo "-DMMF_BUILD_BENCHMARKS=OFF"
  fi
}

# configure <build-dir> <c++ compiler> [cmake options...]: Ninja, this compiler. A build directory
# that was configured with another compiler or generator is configured afresh.
configure() {
  local dir=$1 cxx
  cxx=$(command -v "$2") || {
    echo "run.sh: compiler $2 not found" >&2
    return 1
  }
  shift 2
  local args=(-S "$repo" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx")
  if [[ -f "$dir/CMakeCache.txt" ]]; then
    local cached_cxx cached_generator
    cached_cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$dir/CMakeCache.txt")
    cached_generator=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$dir/CMakeCache.txt")
    if [[ "$cached_cxx" != /* ]]; then
      cached_cxx=$(command -v "$cached_cxx" || echo "$cached_cxx")
    fi
    if [[ "$(readlink -f "$cached_cxx")" != "$(readlink -f "$cxx")" ||
      "$cached_generator" != Ninja ]]; then
      echo "note: $dir was configured with $cached_generator and $cached_cxx: configuring afresh"
      args+=(--fresh)
    fi
  fi
  local extra
  mapfile -t extra < <(absent_part_options)
  (
    set -x
    cmake "${args[@]}" "${extra[@]}" "$@"
  )
}

build() {
  (
    set -x
    cmake --build "$1" -j "$jobs" "${@:2}"
  )
}

# run_ctest <build-dir> [ctest options...]: keeps ctest's summary line for the final summary.
run_ctest() {
  local dir=$1 log="$1/run-sh-ctest.log" rc=0
  shift
  (
    set -x
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" "$@"
  ) 2>&1 | tee "$log" || rc=$?
  local summary
  summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)
  ctest_summaries+=("$current_step: ${summary:-no ctest summary (exit code $rc)}")
  return "$rc"
}

# --- The commands.

install_deps() {
  begin_step "dependencies (scripts/install-deps.sh)"
  "$repo/scripts/install-deps.sh"
  cmake --version | head -n 1
  g++ --version | head -n 1
  clang++ --version | head -n 1
  end_step
}

demo() {
  if ! present tools/marty; then
    echo "run.sh: tools/marty/ does not exist yet: there is no demo to run" >&2
    exit 1
  fi
  install_deps
  begin_step "build marty (build/, RelWithDebInfo)"
  configure "$build_root/build" g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
  build "$build_root/build" --target marty
  end_step
  banner "marty demo $*"
  exec "$build_root/build/bin/marty" demo "$@"
}

test_all() {
  local quick=false
  case "${1:-}" in
    "") ;;
    --quick) quick=true ;;
    *)
      echo "run.sh: unknown option for test: '$1' (try --help)" >&2
      exit 2
      ;;
  esac
  if [[ ! "$fuzz_seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "run.sh: MMF_FUZZ_SECONDS must be a whole number of seconds, not '$fuzz_seconds'" >&2
    exit 2
  fi
  show_summary=true
  install_deps

  begin_step "(a) GCC build in build/ (-Werror), tests"
  configure "$build_root/build" g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMMF_WARNINGS_AS_ERRORS=ON -DMMF_BUILD_TESTS=ON -DMMF_INSTALL=ON
  build "$build_root/build"
  run_ctest "$build_root/build" -LE '^fuzz$'
  end_step

  if $quick; then
    skip_step "(b) clang build in build-clang/ (-Werror), tests" "--quick"
    skip_step "(c) ASan+UBSan build in build-asan/, tests" "--quick"
    skip_step "(d) fuzzers in build-fuzz/ (${fuzz_seconds}s each)" "--quick"
  else
    begin_step "(b) clang build in build-clang/ (-Werror), tests"
    configure "$build_root/build-clang" clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DMMF_WARNINGS_AS_ERRORS=ON -DMMF_BUILD_TESTS=ON
    build "$build_root/build-clang"
    run_ctest "$build_root/build-clang" -LE '^fuzz$'
    end_step

    # GCC here, so that each compiler's sanitizers run (clang's in the fuzzers). Debug with the
    # libstdc++ assertions: container bounds are checked too. Warnings are (a)'s and (b)'s job.
    begin_step "(c) ASan+UBSan build in build-asan/, tests"
    configure "$build_root/build-asan" g++ -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS=-D_GLIBCXX_ASSERTIONS -DMMF_SANITIZE=address,undefined \
      -DMMF_WARNINGS_AS_ERRORS=OFF -DMMF_BUILD_TESTS=ON -DMMF_BUILD_BENCHMARKS=OFF
    build "$build_root/build-asan"
    local asan_options=detect_leaks=1:check_initialization_order=1:detect_stack_use_after_return=1
    ASAN_OPTIONS=${ASAN_OPTIONS:-$asan_options} \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
      run_ctest "$build_root/build-asan" -LE '^(fuzz|integration-slow)$'
    end_step

    local fuzz_step="(d) fuzzers in build-fuzz/ (${fuzz_seconds}s each)"
    if present tests/fuzz; then
      begin_step "$fuzz_step"
      configure "$build_root/build-fuzz" clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DMMF_BUILD_FUZZERS=ON -DMMF_SANITIZE=address,undefined -DMMF_FUZZ_SECONDS="$fuzz_seconds" \
        -DMMF_BUILD_TESTS=OFF -DMMF_BUILD_BENCHMARKS=OFF -DMMF_BUILD_TOOLS=OFF \
        -DCMAKE_DISABLE_FIND_PACKAGE_gRPC=ON  # no fuzz target uses the gRPC components
      build "$build_root/build-fuzz"
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        run_ctest "$build_root/build-fuzz" -L '^fuzz$' --timeout $((fuzz_seconds * 2 + 300))
      end_step
    else
      skip_step "$fuzz_step" "tests/fuzz/ does not exist yet"
    fi
  fi

  begin_step "(e) install build/ into a temporary prefix, consumer projects"
  temp_dir=$(mktemp -d "${TMPDIR:-/tmp}/mmf-install.XXXXXX")
  (
    set -x
    cmake --install "$build_root/build" --prefix "$temp_dir/prefix"
  )
  MMF_JOBS=$jobs "$repo/tests/consumer/run.sh" "$temp_dir/prefix"
  end_step
}

case "${1:-}" in
  demo)
    shift
    demo "$@"
    ;;
  test)
    shift
    test_all "$@"
    ;;
  -h | --help)
    usage
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
