#!/bin/sh
# bench_projection.sh - times a projection with recurrence (stim -> A for
# one round, then stim -> A and A -> A) and prints per-phase mean times from
# the run's /metrics, steps/s, synaptic events/s and the top-k time against
# one read of the input array.  See examples/scaling/README.md.
#
# usage: bench_projection.sh [-n N] [-k K] [-p P] [-r ROUNDS] [-b BACKEND]
#                            [-R RANKS] [-d DIR] [-B BRAINSIM] [-w BYTES/S]
#                            [-C] [-x 'EXTRA RUN ARGS']
#        bench_projection.sh -m RUN.h5 [-n N] [-R RANKS] [-w BYTES/S]
#   -n N        neurons in A (default 100000000)
#   -k K        cap of A and stimulus size (default 10000)
#   -p P        connection probability (default 0.001)
#   -r ROUNDS   steps in all (default 10)
#   -b BACKEND  auto, cpu or cuda (default cuda)
#   -R RANKS    run under $MPIRUN (default mpirun) -np RANKS (default 1: no
#               mpirun)
#   -d DIR      where the experiment and run.h5 go (default: a temp dir)
#   -B BRAINSIM the brainsim program (default: ./brainsim, then $PATH)
#   -w BYTES/S  memory bandwidth for "one read of the input" (default
#               3.0e12, an H100's measured copy rate)
#   -C          also run the CPU backend and compare the winners' checksum
#               (exit 1 when they differ); for sizes the CPU can do
#   -x ARGS     extra arguments for `brainsim run`
#   -m FILE     only report the metrics of an existing output file
# Metrics come from python3 with h5py, else from h5dump.
set -eu

n=100000000 k=10000 p=0.001 rounds=10 backend=cuda ranks=1 dir= bw=3.0e12
brainsim= compare=0 extra= report=
while getopts n:k:p:r:b:R:d:B:w:Cx:m:h opt; do
  case $opt in
    n) n=$OPTARG ;; k) k=$OPTARG ;; p) p=$OPTARG ;; r) rounds=$OPTARG ;;
    b) backend=$OPTARG ;; R) ranks=$OPTARG ;; d) dir=$OPTARG ;;
    B) brainsim=$OPTARG ;; w) bw=$OPTARG ;; C) compare=1 ;; x) extra=$OPTARG ;;
    m) report=$OPTARG ;;
    h) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "bench_projection.sh: see -h" >&2; exit 2 ;;
  esac
done

# Prints the metrics table of output file $1 (n_local from n / ranks).
report() {
  python3 - "$1" "$n" "$ranks" "$bw" <<'EOF'
import subprocess, sys
path, n, ranks, bw = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
names = ["accumulate", "topk", "merge", "plasticity", "record", "agree"]
NP = len(names)   # the phase columns; then synaptic_events (index NP)
rows, backend, same = [], "?", None
try:
    import h5py
    with h5py.File(path, "r") as f:
        steps = int(f.attrs["steps_complete"])
        backend = f.attrs["backend"]
        backend = backend.decode() if isinstance(backend, bytes) else str(backend)
        m = f["metrics"][:steps]
        rows = [[float(r[x + "_s"]) if x + "_s" in m.dtype.names else 0.0
                 for x in names] + [float(r["synaptic_events"])] for r in m]
        w = f["areas/A/winners"][:steps]
        same = [0] + [len(set(w[i].tolist()) & set(w[i - 1].tolist()))
                      for i in range(1, steps)]
except ImportError:
    out = subprocess.run(["h5dump", "-d", "/metrics", "-w", "0", "-y", path],
                         capture_output=True, text=True, check=True).stdout
    data = out[out.index("DATA {") + 6:]
    nums = [float(x) for x in data.replace("{", " ").replace("}", " ")
            .replace(",", " ").split()]
    rows = [nums[i:i + NP + 1]
            for i in range(0, len(nums) - len(nums) % (NP + 1), NP + 1)]
    att = subprocess.run(["h5dump", "-a", "/steps_complete", path],
                         capture_output=True, text=True).stdout
    steps = int(att.split("(0):")[1].split()[0]) if "(0):" in att else len(rows)
    rows = rows[:steps]
    att = subprocess.run(["h5dump", "-a", "/backend", path],
                         capture_output=True, text=True).stdout
    backend = att.split("(0):")[1].split('"')[1] if "(0):" in att else "?"

if not rows:
    sys.exit("bench_projection.sh: no metrics rows in " + path)
later = rows[1:] or rows
mean = lambda col, rs: sum(r[col] for r in rs) / len(rs)
if same is not None:
    # per step: the phases, and how many winners A kept from the step before
    # (the input caches and plasticity do less work as the assembly settles)
    print("%-5s %9s %11s %11s %8s %8s" % ("step", "step ms", "accumulate",
          "plasticity", "kept", "kept %"))
    for i, r in enumerate(rows):
        k_ = len(set(w[i].tolist()) - {2**64 - 1})
        print("%-5d %9.3f %11.3f %11.3f %8d %7.1f%%"
              % (i, 1e3 * sum(r[:NP]), 1e3 * r[0], 1e3 * r[3], same[i],
                 100.0 * same[i] / k_ if k_ else 0.0))
print("backend %s, %d steps (step 0: stim->A only; mean over steps 1..%d)"
      % (backend, len(rows), len(rows) - 1))
print("%-12s %12s %12s" % ("phase", "mean ms", "step 0 ms"))
for i, name in enumerate(names):
    print("%-12s %12.3f %12.3f" % (name, 1e3 * mean(i, later), 1e3 * rows[0][i]))
step = sum(mean(i, later) for i in range(NP))
print("%-12s %12.3f %12.3f" % ("step", 1e3 * step, 1e3 * sum(rows[0][:NP])))
print("steps/s: %.2f" % (1.0 / step if step > 0 else 0.0))
acc = mean(0, later)
print("synaptic events/s: %.3e (%.3e nominal events per step / accumulate_s;"
      " with incremental steps, reused inputs count too)"
      % (mean(NP, later) / acc if acc > 0 else 0.0, mean(NP, later)))
if rows[0][0] > 0:
    print("generation at step 0: %.3e synaptic events/s (stim->A, every edge"
          " generated: %.3e events in %.3f ms)"
          % (rows[0][NP] / rows[0][0], rows[0][NP], 1e3 * rows[0][0]))
read_s = n / ranks * 8 / bw
print("top-k: %.3f ms = %.2f x one read of the input (%.0f B at %.2e B/s: %.3f ms)"
      % (1e3 * mean(1, later), mean(1, later) / read_s, n / ranks * 8, bw,
         1e3 * read_s))
EOF
}

if [ -n "$report" ]; then
  report "$report"
  exit 0
fi

if [ -z "$brainsim" ]; then
  if [ -x ./brainsim ]; then brainsim=./brainsim; else brainsim=brainsim; fi
fi
[ -n "$dir" ] || dir=$(mktemp -d "${TMPDIR:-/tmp}/bench_projection.XXXXXX")
mkdir -p "$dir"
exp=$dir/projection.yaml
cat > "$exp" <<EOF
# written by bench_projection.sh
seed: 1
defaults: {p: $p, beta: 0.05}
areas:
  - {name: A, n: $n, k: $k}
stimuli:
  - {name: stim, k: $k}
fibers:
  - {from: stim, to: A}
  - {from: A, to: A}
schedule:
  - project: {fibers: [stim->A], rounds: 1}
  - project: {fibers: [stim->A, A->A], rounds: $((rounds - 1))}
EOF

# run BACKEND OUT: the brainsim run, its stdout to $dir/BACKEND.txt
run() {
  launcher=
  if [ "$ranks" -gt 1 ]; then
    launcher="${MPIRUN:-mpirun} -np $ranks"
  fi
  echo "+ $launcher $brainsim run $exp -o $2 -b $1 -q $extra" >&2
  # shellcheck disable=SC2086
  $launcher "$brainsim" run "$exp" -o "$2" -b "$1" -q $extra > "$dir/$1.txt"
  cat "$dir/$1.txt"
}

echo "projection: n=$n k=$k p=$p rounds=$rounds ranks=$ranks backend=$backend"
run "$backend" "$dir/run.h5"
report "$dir/run.h5"
if [ "$compare" = 1 ]; then
  run cpu "$dir/cpu.h5" > /dev/null
  a=$(grep '^checksum:' "$dir/$backend.txt")
  b=$(grep '^checksum:' "$dir/cpu.txt")
  if [ "$a" = "$b" ]; then
    echo "correctness: $backend and cpu winners identical ($a)"
  else
    echo "correctness: MISMATCH: $backend $a, cpu $b" >&2
    exit 1
  fi
fi
