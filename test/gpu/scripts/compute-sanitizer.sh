#!/usr/bin/env bash
# The GPU suite under NVIDIA's compute-sanitizer, on the GPU machine:
#
#   bash test/gpu/scripts/compute-sanitizer.sh [--out DIR] [--tools "memcheck racecheck initcheck synccheck"]
#        [--workers N] [--limit SECONDS] [--crosscheck] [test files...]
#
# Runs vitest over the given GPU test files (default: the kernel, op, tensor-core and reduction suites) once per
# tool, the tools side by side (each in its own process tree, one GPU), every process of the run followed, each
# tool's files in N vitest workers (default 1: the files in sequence; the tools' processes share the GPU). Each
# tool's full log goes to DIR/<tool>.log, vitest's output to DIR/<tool>.vitest.log. Prints one line per tool:
# the errors the sanitizer reported (its "ERROR SUMMARY" lines, or the reports themselves), whether vitest passed,
# and the seconds it took. Exits 1 when a tool reported an error or a run failed.
#
# Launches run on the GPU alone (KT_TEST_GPU_ALONE=1, see test/gpu/harness.ts): the interpreter's cross-check,
# which the plain `npm run test:gpu` does, would take most of the time; --crosscheck keeps it. --limit stops a
# tool's run after SECONDS and still reports what its processes logged (vitest "stopped"; the files vitest
# finished are listed in DIR/<tool>.vitest.log). test/gpu/errors.test.ts faults on purpose: leave it out.
# test/gpu/bundle.test.ts and tune.test.ts start Node processes that use the GPU, each followed by the sanitizer
# (minutes each with four tools side by side): give them a run of their own.
set -u
out=sanitizer-logs
tools="memcheck racecheck initcheck synccheck"
workers=1
limit=0
alone=1
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --tools) tools="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --limit) limit="$2"; shift 2 ;;
    --crosscheck) alone=0; shift ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) files+=("$1"); shift ;;
  esac
done
[ ${#files[@]} -gt 0 ] || files=(test/gpu/kernels.test.ts test/gpu/ops.test.ts test/gpu/matmul-tensor-cores.test.ts test/gpu/reduce-tensor-cores.test.ts)
command -v compute-sanitizer >/dev/null || { echo "compute-sanitizer: not found (it comes with the CUDA toolkit)" >&2; exit 2; }
mkdir -p "$out"

pids=()
for tool in $tools; do
  (
    start=$(date +%s)
    # vitest's worker processes are where the kernels launch: forks, as many as asked (by default one, the
    # files in sequence, so that a tool's overhead does not multiply across workers sharing the GPU).
    parallel=(--no-file-parallelism)
    [ "$workers" -gt 1 ] && parallel=()
    stop=()
    [ "$limit" -gt 0 ] && stop=(timeout -k 15 "$limit")
    # Time limits ten times vitest's (and the tests' own, through KT_TEST_TIMEOUT_SCALE): launches under the
    # sanitizer take many times as long, and a test stopped by its limit says nothing about the GPU code.
    KT_TEST_TIMEOUT_SCALE=10 KT_TEST_GPU_ALONE=$alone "${stop[@]}" compute-sanitizer --tool "$tool" --target-processes all --log-file "$out/$tool.process-%p.log" \
      npx vitest run --testTimeout=600000 --hookTimeout=600000 --pool=forks --maxWorkers="$workers" "${parallel[@]}" "${files[@]}" >"$out/$tool.vitest.log" 2>&1
    echo $? >"$out/$tool.rc"
    echo $(($(date +%s) - start)) >"$out/$tool.seconds"
  ) &
  pids+=($!)
done
wait "${pids[@]}"

status=0
printf '%-10s %8s %9s %8s %8s %6s\n' tool errors summaries vitest seconds files
for tool in $tools; do
  cat "$out/$tool".process-*.log >"$out/$tool.log" 2>/dev/null && rm -f "$out/$tool".process-*.log
  # racecheck sums up as "RACECHECK SUMMARY: N hazards displayed (E errors, W warnings)", the others as "ERROR SUMMARY: E errors".
  summed=$(grep -hoE 'ERROR SUMMARY: [0-9]+|\([0-9]+ errors' "$out/$tool.log" 2>/dev/null | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}')
  # A process writes its summary line only when it exits, but each report when it is found: a stopped run's
  # processes have no summary, so the reports themselves are counted too (their first lines), and the larger
  # count is shown.
  reports=$(grep -E '^========= [^ ]' "$out/$tool.log" 2>/dev/null | grep -cvE '^========= (COMPUTE-SANITIZER|ERROR SUMMARY|RACECHECK SUMMARY)')
  errors=$((summed > reports ? summed : reports))
  # compute-sanitizer writes one summary for the process tree it followed (seen on CUDA 13.0: one, with four vitest
  # workers), when the tree's root exits: 0 means the run was stopped.
  summaries=$(grep -cE 'ERROR SUMMARY|RACECHECK SUMMARY' "$out/$tool.log" 2>/dev/null)
  rc=$(cat "$out/$tool.rc")
  tests=$(grep -o 'Tests .*' "$out/$tool.vitest.log" | tail -1 | sed 's/\x1b\[[0-9;]*m//g')
  # The files vitest finished (all of them unless the run was stopped; a stopped run's errors cover what ran
  # before the stop).
  finished=$(sed 's/\x1b\[[0-9;]*m//g' "$out/$tool.vitest.log" | grep -cE '^ *(✓|❯|×|↓) test/')
  verdict="rc=$rc"
  [ "$rc" = 0 ] && verdict=pass
  [ "$rc" = 124 ] || [ "$rc" = 137 ] && verdict=stopped
  printf '%-10s %8s %9s %8s %8s %6s  %s\n' "$tool" "$errors" "$summaries" "$verdict" "$(cat "$out/$tool.seconds")" "$finished/${#files[@]}" "$tests"
  [ "$errors" = 0 ] && [ "$rc" = 0 ] || status=1
done
exit $status
