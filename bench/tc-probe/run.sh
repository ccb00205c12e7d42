#!/usr/bin/env bash
# Builds and runs the tensor-core probe (probe.cu) on an sm_90a GPU and writes its JSON lines to $OUT/tc-probe.json;
# then compare them with the model on a machine with node:
#   node bin/run-ts.js test/support/tensor-core-probe-check.ts path/to/tc-probe.json
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-/tmp/tc-probe-out}"
mkdir -p "$out"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
nvcc --version | tail -n 2
nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader || true
# -lineinfo only helps compute-sanitizer point at a line if a kernel faults.
nvcc -O2 -std=c++17 -lineinfo -gencode=arch=compute_90a,code=sm_90a -o "$build/tc-probe" "$here/probe.cu"
status=0
"$build/tc-probe" > "$out/tc-probe.json" || status=$?
echo "wrote $(wc -l < "$out/tc-probe.json") JSON lines ($(du -h "$out/tc-probe.json" | cut -f1)) to $out/tc-probe.json"
if [ "$status" -ne 0 ] || ! grep -q '"kind":"done"' "$out/tc-probe.json"; then
  echo "the probe stopped early (exit status $status); what it wrote is kept, the checker reports what is missing:"
  grep '"kind":"error"' "$out/tc-probe.json" || true
  exit 1
fi
