#!/bin/sh
# bench_cpu.sh - the CPU backend side by side with the published simulator
# brain.py on the projection of bench_projection.sh (stim -> A for one
# round, then stim -> A and A -> A), and the wall time of a tiny run.
# Every figure is the minimum over REPS repetitions (the machine may be
# shared; the load is printed before and after).  See README.md, "CPU".
#
# usage: bench_cpu.sh [-B BRAINSIM] [-P BRAIN_DIR] [-s REPS] [-r ROUNDS]
#                     [-c 'N:K:P N:K:P ...'] [-T THREADS]
#   -B BRAINSIM   the brainsim program (default ./brainsim)
#   -P BRAIN_DIR  directory holding brain.py (numpy, scipy); without it
#                 brain.py is not run
#   -s REPS       repetitions (default 3)
#   -r ROUNDS     rounds in all (default 25)
#   -c CONFIGS    default '100000:317:0.01 1000000:1000:0.001
#                 10000000:3162:0.001'
#   -T THREADS    threads of the multithreaded rank and ranks of the
#                 multi-rank run (default 2)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
brainsim=./brainsim brain_dir= reps=3 rounds=25 threads=2
configs='100000:317:0.01 1000000:1000:0.001 10000000:3162:0.001'
while getopts B:P:s:r:c:T:h opt; do
  case $opt in
    B) brainsim=$OPTARG ;; P) brain_dir=$OPTARG ;; s) reps=$OPTARG ;;
    r) rounds=$OPTARG ;; c) configs=$OPTARG ;; T) threads=$OPTARG ;;
    h) sed -n '2,18p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
case $brainsim in /*) ;; */*) brainsim=$(cd "$(dirname "$brainsim")" && pwd)/$(basename "$brainsim") ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_cpu.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ms_now() { date +%s%N; }
min() { sort -g | head -1; }

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "load before: $(uptime | sed 's/.*load average: //')"

# the wall time of a one-rank run of a tiny experiment, with and without
# an output file
cat >"$tmp/tiny.yaml" <<'YAML'
areas:
  - {name: A, n: 1000, k: 31}
stimuli:
  - {name: s, k: 31}
fibers:
  - {from: s, to: A, p: 0.05}
schedule:
  - project: {rounds: 5}
YAML
for out in "-o $tmp/tiny.h5" ""; do
  for i in $(seq 10); do
    t0=$(ms_now)
    (cd "$tmp" && "$brainsim" run tiny.yaml -q $out >/dev/null)
    echo $(( ($(ms_now) - t0) / 1000 ))
  done | min | awk -v o="${out:+-o FILE}" '{printf "tiny run %-8s wall %.3f s (min of 10)\n", o, $1 / 1e6}'
done

# per-round times: brainsim 1 rank x 1 thread, 1 x THREADS, THREADS x 1,
# then brain.py
run_bs() {   # label n k p extra-args...
  label=$1 n=$2 k=$3 p=$4; shift 4
  for i in $(seq "$reps"); do
    "$here/bench_projection.sh" -b cpu -B "$brainsim" -n "$n" -k "$k" -p "$p" \
      -r "$rounds" "$@" >"$tmp/bs.log" 2>&1
    awk '$1 == "step" && NF == 3 {print $2, $3}' "$tmp/bs.log"
  done | sort -g | head -1 | awk -v l="$label" -v n="$n" \
    '{printf "n=%-9s %-22s mean of rounds 1.. %9.3f ms   round 0 %9.3f ms\n", n, l, $1, $2}'
  grep checksum "$tmp/bs.log" | tail -1 | sed 's/^/    /' || true
}
for c in $configs; do
  n=${c%%:*} rest=${c#*:} k=${rest%%:*} p=${rest#*:}
  run_bs "brainsim 1x1" "$n" "$k" "$p" -x "-t 1"
  run_bs "brainsim 1x$threads" "$n" "$k" "$p" -x "-t $threads"
  run_bs "brainsim ${threads}x1" "$n" "$k" "$p" -R "$threads" -x "-t 1"
  if [ -n "$brain_dir" ]; then
    for i in $(seq "$reps"); do
      python3 "$here/bench_brainpy.py" "$brain_dir" -n "$n" -k "$k" -p "$p" \
        -r "$rounds" | tail -1 | sed 's/.*round 0 \([0-9.]*\) ms, mean of rounds [0-9.]* \([0-9.]*\) ms.*/\2 \1/'
    done | sort -g | head -1 | awk -v n="$n" \
      '{printf "n=%-9s %-22s mean of rounds 1.. %9.3f ms   round 0 %9.3f ms\n", n, "brain.py", $1, $2}'
  fi
done
echo "load after: $(uptime | sed 's/.*load average: //')"
