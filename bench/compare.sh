#!/usr/bin/env bash
# Runs NormSharp and PyTorch on the same workloads in one session, interleaved (A B A B …) so that load
# from other processes on a shared machine hits both sides alike, and prints the ratios with their spread.
#
#   bench/compare.sh                 # training workloads + kernels, 3 rounds each
#   bench/compare.sh --quick         # fewer steps and rounds (a smoke run, ~2 minutes)
#   bench/compare.sh --rounds 5      # more interleaved rounds of training and kernels (a noisy host: kernels take
#                                    # each side's best round, so more rounds filter more of the host's bursts)
#   bench/compare.sh --scaling       # also MLP+BN at 1 and 2 threads, batch 32 … 1024
#   bench/compare.sh --only train    # or --only kernels, or --only scaling (the scaling rows alone)
#   bench/compare.sh --only ort --threads 1   # BN-folded inference against ONNX Runtime (bench/NormSharp.Bench `ort`,
#                                             # --ort-rounds N interleaved rounds, default 100)
#   bench/compare.sh --only kernels --threads 1 --cpu-time   # kernels timed in process CPU seconds
#
# Needs: a Release build (dotnet build NormSharp.slnx -c Release) and /usr/bin/python3 with Debian's
# python3-torch and libopenblas0-pthread (not for --only ort: ONNX Runtime comes with the Release build). Ratio = NormSharp examples/s ÷ PyTorch examples/s (training) or
# PyTorch ms ÷ NormSharp ms (kernels): above 1 means NormSharp is faster. "Ratio per CPU-second" compares
# examples per second of process CPU time instead: at 1 thread on a loaded machine it tracks the work each
# engine does better than wall time (at 2 threads it counts spinning workers too).
# The ort section prints its own table: ORT ms ÷ NormSharp ms per call, on the same exported model.
set -euo pipefail
cd "$(dirname "$0")/.."

# 60 warm-up steps on both sides: .NET's tiered JIT promotes the kernels to optimized, profile-guided code
# over the first ~30–50 steps; after 20 the timed steps still ran some of them unpromoted (~25% slower).
ROUNDS=3 STEPS=60 WARMUP=60 QUICK="" SCALING=0 ONLY="" THREADS=2 CPU="" ORT_ROUNDS=100
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) ROUNDS=2 STEPS=20 WARMUP=10 QUICK=--quick ORT_ROUNDS=10 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --steps) STEPS="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --scaling) SCALING=1 ;;
    --only) ONLY="$2"; shift ;;
    --ort-rounds) ORT_ROUNDS="$2"; shift ;;
    --cpu-time) CPU=--cpu-time ;;
    *) echo "compare.sh: unknown argument '$1' (see the header of bench/compare.sh)" >&2; exit 2 ;;
  esac
  shift
done
case "$ONLY" in ""|train|kernels|scaling|ort) ;; *) echo "compare.sh: --only takes train, kernels, scaling or ort, not '$ONLY'" >&2; exit 2 ;; esac

NS_DLL=src/NormSharp.Cli/bin/Release/net10.0/NormSharp.Cli.dll
BENCH_DLL=bench/NormSharp.Bench/bin/Release/net10.0/NormSharp.Bench.dll
for dll in "$NS_DLL" "$BENCH_DLL"; do
  [[ -f "$dll" ]] || { echo "compare.sh: $dll missing; run: dotnet build NormSharp.slnx -c Release" >&2; exit 1; }
done
ns() { dotnet "$NS_DLL" bench "$@"; }
pt() { /usr/bin/python3 bench/compare_torch.py "$@"; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

echo "# compare.sh on $(hostname), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; load: $(uptime | sed 's/.*load/load/')"
TORCH=$([[ "$ONLY" == ort ]] && echo "torch not used" || /usr/bin/python3 -c 'import torch; print("torch", torch.__version__)')
echo "# $(lscpu | grep -m1 'Model name' | sed 's/  */ /g'); $(dotnet --version) / $TORCH"

# train NAME ARGS…: ROUNDS × (NormSharp, PyTorch), then the ratio of medians and each side's spread.
train() {
  local name="$1"; shift
  : >"$TMP/ns" ; : >"$TMP/pt"
  for ((r = 0; r < ROUNDS; r++)); do
    ns train "$@" --steps "$STEPS" --warmup "$WARMUP" | tail -2 | awk '{print $2}' | paste -sd' ' >>"$TMP/ns"
    pt "$@" --steps "$STEPS" --warmup "$WARMUP" | tail -2 | awk '{print $2}' | paste -sd' ' >>"$TMP/pt"
  done
  /usr/bin/python3 - "$name" "$TMP/ns" "$TMP/pt" "$*" <<'EOF'
import statistics, sys
name, args = sys.argv[1], sys.argv[4]
# Each line: examples per CPU-second, examples per second.
a_cpu, a = zip(*[map(float, l.split()) for l in open(sys.argv[2])])
b_cpu, b = zip(*[map(float, l.split()) for l in open(sys.argv[3])])
sa, sb = statistics.median(a), statistics.median(b)
spread = lambda v: 100 * (max(v) - min(v)) / statistics.median(v)
ratios = [x / y for x, y in zip(a, b)]
cpu = statistics.median(a_cpu) / statistics.median(b_cpu)
print(f"| {name} | {sa:,.0f} (±{spread(a):.0f}%) | {sb:,.0f} (±{spread(b):.0f}%) | **{sa / sb:.2f}×** "
      f"({min(ratios):.2f}–{max(ratios):.2f}) | {cpu:.2f}× | `{args}` |")
EOF
}

if [[ "$ONLY" == scaling ]]; then SCALING=1; fi
if [[ -z "$ONLY" || "$ONLY" == train || "$ONLY" == scaling ]]; then
  echo
  echo "| workload | NormSharp ex/s (spread) | PyTorch ex/s (spread) | ratio (per-round range) | ratio per CPU-second | arguments |"
  echo "|---|---|---|---|---|---|"
  if [[ "$ONLY" != scaling ]]; then
    train "MLP 7-layer +BN, batch 500" --model mlp --bn --batch-size 500 --threads "$THREADS"
    train "MLP 7-layer, batch 500" --model mlp --batch-size 500 --threads "$THREADS"
    train "LeNet-5 +BN, batch 256" --model lenet --bn --batch-size 256 --threads "$THREADS"
    train "LeNet-5, batch 256" --model lenet --batch-size 256 --threads "$THREADS"
  fi
  if [[ $SCALING == 1 ]]; then
    for t in 1 2; do train "MLP +BN, batch 500, $t thread(s)" --model mlp --bn --batch-size 500 --threads $t; done
    for b in 32 64 128 256 512 1024; do train "MLP +BN, batch $b" --model mlp --bn --batch-size $b --threads "$THREADS"; done
    for t in 1 2; do train "LeNet +BN, batch 256, $t thread(s)" --model lenet --bn --batch-size 256 --threads $t; done
  fi
fi

if [[ -z "$ONLY" || "$ONLY" == kernels ]]; then
  for t in $( [[ $SCALING == 1 ]] && echo 1 2 || echo "$THREADS" ); do
    : >"$TMP/kns"; : >"$TMP/kpt"
    for ((r = 0; r < ROUNDS; r++)); do
      ns kernels --threads "$t" $QUICK $CPU | grep '^kernel ' >>"$TMP/kns"
      pt --kernels --threads "$t" $QUICK $CPU | grep '^kernel ' >>"$TMP/kpt"
    done
    echo
    echo "Kernels, $t thread(s), ${CPU:+CPU-time }clock: median ms over windows, best of $ROUNDS interleaved rounds each; ratio = PyTorch ms / NormSharp ms"
    echo
    /usr/bin/python3 - "$TMP/kns" "$TMP/kpt" <<'EOF'
import sys
def load(path):
    best = {}
    for line in open(path):
        f = line.split()
        name, ms, gflops, gbs = f[1], float(f[3]), f[9], f[11]
        if name not in best or ms < best[name][0]:
            best[name] = (ms, gflops, gbs)
    return best
ns, pt = load(sys.argv[1]), load(sys.argv[2])
print("| kernel | NormSharp ms | GFLOP/s | GB/s | PyTorch ms | GFLOP/s | GB/s | ratio |")
print("|---|---|---|---|---|---|---|---|")
for name, (ms, g, b) in ns.items():
    if name in pt:
        pms, pg, pb = pt[name]
        print(f"| {name} | {ms:.3f} | {g} | {b} | {pms:.3f} | {pg} | {pb} | **{pms / ms:.2f}×** |")
    elif name.startswith("floor-") and name[6:] in pt:
        # The memory floor of a kernel's passes (NormSharp's bench only): PyTorch over it is the ratio's ceiling here.
        pms, pg, pb = pt[name[6:]]
        print(f"| {name} (memory floor) | {ms:.3f} | {g} | {b} | {pms:.3f} | {pg} | {pb} | ceiling {pms / ms:.2f}× |")
EOF
  done
fi

# BN-folded inference, NormSharp against ONNX Runtime on the same exported model (issue #8's inference target):
# the interleaving, warm-up and agreement check are done inside the bench program (OrtComparison.cs).
if [[ -z "$ONLY" || "$ONLY" == ort ]]; then
  for t in $( [[ $SCALING == 1 ]] && echo 1 2 || echo "$THREADS" ); do
    echo
    dotnet "$BENCH_DLL" ort "$ORT_ROUNDS" $QUICK --threads "$t"
  done
fi
