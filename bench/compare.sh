#!/usr/bin/env bash
# Runs Nabla's benchmark and the PyTorch reference alternately (ours, reference, ours, ...) and
# prints, per workload, the ratio ours/reference of each pair and the median of those ratios.
#
#   bash bench/compare.sh [--pairs N] [--threads T] [--only LIST] [--reps R] [--rep-time S] [--out DIR]
#
# Defaults: 3 pairs, 1 thread, --only gemm, 21 reps, rep-time 0.25. Run from the project root.
# --summary-only --out DIR: print the table again for runs already in DIR (same --pairs/--threads).
# Both programs run on the same CPUs, the first T (taskset -c 0..T-1, where taskset exists and T <= the CPU count;
# NO_PIN=1 leaves placement to the scheduler): on this project's 2-CPU virtual machines CPU 1 takes the disk's
# interrupts and ran both programs 7-10% slower than CPU 0 (docs/performance.md), so an unpinned 1-thread pair
# swung with where each process happened to land.
# The reference lives in ../shared/bench/torch (run `bash ../shared/torchsharp/setup.sh` once).
# Both programs are built in Release first, then the built binaries are run (no `dotnet run` in
# the timed loop). Throughput per run: the quiet median (throughput_quiet) when the run has >= 3
# quiet rounds, else the all-reps median (throughput); see ../shared/bench/README.md. A pair in
# which either run had fewer than 3 quiet rounds (the machine was busy) is shown in brackets and
# left out of the median, unless no pair is left.
set -euo pipefail
pairs=3 threads=1 only=gemm reps=21 reptime=0.25 out="" summary_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --rep-time) reptime="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --summary-only) summary_only=1; shift ;;   # only summarise the runs already in --out
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
ref="${REF_DIR:-$root/../shared/bench/torch}"
[ -n "$out" ] || out="$(mktemp -d /tmp/nabla-compare.XXXXXX)"
mkdir -p "$out"

# OURS_BIN / REF_BIN: run these prebuilt binaries instead of building the projects.
if [ "$summary_only" = 0 ]; then
if [ -z "${OURS_BIN:-}" ]; then
  dotnet build -c Release "$root/bench/Nabla.Bench/Nabla.Bench.csproj" >/dev/null
fi
if [ -z "${REF_BIN:-}" ]; then
  dotnet build -c Release "$ref/torch-bench.csproj" >/dev/null
fi
ours="${OURS_BIN:-$root/bench/Nabla.Bench/bin/Release/net10.0/Nabla.Bench}"
theirs="${REF_BIN:-$ref/bin/Release/net10.0/torch-bench}"
common=(--threads "$threads" --only "$only" --reps "$reps" --rep-time "$reptime")
pin=()
if [ "${NO_PIN:-0}" != 1 ] && command -v taskset >/dev/null && [ "$threads" -le "$(nproc)" ]; then
  pin=(taskset -c "0-$((threads - 1))")
fi

for i in $(seq 1 "$pairs"); do
  echo "pair $i/$pairs: ours" >&2
  "${pin[@]}" "$ours" "${common[@]}" > "$out/ours_t${threads}_$i.jsonl" 2> "$out/ours_t${threads}_$i.log"
  echo "pair $i/$pairs: reference" >&2
  "${pin[@]}" "$theirs" "${common[@]}" > "$out/ref_t${threads}_$i.jsonl" 2> "$out/ref_t${threads}_$i.log"
done
fi

python3 - "$out" "$threads" "$pairs" <<'PY'
import json, statistics, sys
out, threads, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(path):
    res = {}
    for line in open(path):
        line = line.strip()
        if not line.startswith('{'):
            continue
        r = json.loads(line)
        q = r.get('throughput_quiet')
        res[r['name']] = (q if q is not None else r['throughput'], r['throughput_unit'], q is not None)
    return res
runs = [(load(f"{out}/ours_t{threads}_{i}.jsonl"), load(f"{out}/ref_t{threads}_{i}.jsonl")) for i in range(1, pairs + 1)]
names = [n for n in runs[0][0] if n in runs[0][1]]
print(f"threads {threads}, {pairs} pairs (ours/reference, quiet-median throughput; results in {out})")
print(f"{'workload':<24}{'unit':>10}{'ours (med)':>12}{'ref (med)':>12}   per-pair ratios -> median (medians over kept pairs)")
for n in names:
    both = [(o[n], r[n]) for o, r in runs if n in o and n in r]
    pairs_ = [(o[0] / r[0], o[2] and r[2]) for o, r in both]
    kept = [(o, r) for o, r in both if o[2] and r[2]] or both
    good = [o[0] / r[0] for o, r in kept]
    ours = [o[0] for o, _ in kept]
    ref = [r[0] for _, r in kept]
    print(f"{n:<24}{runs[0][0][n][1]:>10}{statistics.median(ours):>12.1f}{statistics.median(ref):>12.1f}   "
          + " ".join(f"{x:.2f}" if ok else f"[{x:.2f}]" for x, ok in pairs_) + f" -> {statistics.median(good):.2f}")
PY
