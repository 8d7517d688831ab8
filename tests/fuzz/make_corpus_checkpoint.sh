#!/bin/sh
# Makes the seed corpus of tests/fuzz/fuzz_checkpoint.c (FUZZING.md,
# "Corpora"): checkpoints and outputs of tests/good/minimal.yaml and of a
# 2-area experiment, a checkpoint killed in the middle of its write, and
# truncated and bit-flipped variants, an empty file and a text file.
#
#   tests/fuzz/make_corpus_checkpoint.sh BRAINSIM [DIR]
#
# BRAINSIM: the brainsim program of a build (e.g. build/brainsim); DIR: where
# the files go (default: tests/fuzz/corpus_checkpoint next to this script;
# files of the same names are replaced).  Needs h5repack (HDF5's tools).
# Outputs are repacked with chunks of 8 rows so that every file stays under
# the fuzzer's 64 KiB (-max_len).  The bit flips and truncations are at
# positions fixed by this script (a seeded generator), so a file format
# change makes the same kinds of variants.  HDF5 files are named .hdf5 (the
# repository ignores *.h5).  Exit status 0, or 1 with the step that failed.
set -eu
BRAINSIM=${1:?usage: make_corpus_checkpoint.sh BRAINSIM [DIR]}
here=$(cd "$(dirname "$0")" && pwd)
DIR=${2:-$here/corpus_checkpoint}
BRAINSIM=$(cd "$(dirname "$BRAINSIM")" && pwd)/$(basename "$BRAINSIM")
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/brainsim-corpus.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

die() { echo "make_corpus_checkpoint: $*" >&2; exit 1; }
run() { "$BRAINSIM" run -q -t 1 "$@" >run.txt 2>&1 || { cat run.txt >&2; die "brainsim run $*"; }; }

cp "$here/../good/minimal.yaml" minimal.yaml
cat >two_areas.yaml <<'YAML'
seed: 7
defaults: {p: 0.05, beta: 0.1}
areas:
  - {name: A, n: 400, k: 20}
  - {name: B, n: 300, k: 15}
stimuli:
  - {name: s, k: 20}
fibers:
  - {from: s, to: A}
  - {from: A, to: A}
  - {from: A, to: B, cap: 2.0}
schedule:
  - project: {fibers: [s->A], rounds: 2}
  - project: {rounds: 3}
  - fix: A
  - project: {rounds: 1}
YAML

# repack OUTPUT DEST AREA:K...: an output with chunks of 8 rows
repack() {
  src=$1; dst=$2; shift 2
  set -- "$@"
  opts="-l /schedule,/metrics:CHUNK=8"
  for ak in "$@"; do
    a=${ak%%:*}; k=${ak#*:}
    opts="$opts -l /areas/$a/winners,/areas/$a/inputs:CHUNK=8x$k -l /areas/$a/support:CHUNK=8"
  done
  # shellcheck disable=SC2086
  h5repack $opts "$src" "$dst" || die "h5repack of $src"
}

# minimal.yaml: 5 steps, checkpoints after steps 2 and 4
run minimal.yaml -o min_out.h5 --checkpoint-every 2 --checkpoint min_ck.h5 --keep 2
cp min_ck.h5 "$DIR/ckpt_minimal_step4.hdf5"
cp min_ck.h5.1 "$DIR/ckpt_minimal_step2.hdf5"
repack min_out.h5 "$DIR/out_minimal.hdf5" A:31

# the 2-area experiment: 6 steps, a checkpoint at the end
run two_areas.yaml -o two_out.h5 --checkpoint-every 6 --checkpoint two_ck.h5
cp two_ck.h5 "$DIR/ckpt_two_areas_step6.hdf5"
repack two_out.h5 "$DIR/out_two_areas.hdf5" A:20 B:15

# a checkpoint killed after its data, before its metadata is flushed
BRAINSIM_TEST_CHECKPOINT_PAUSE=5 "$BRAINSIM" run -q -t 1 minimal.yaml \
  -o kill_out.h5 --checkpoint-every 4 --checkpoint kill_ck.h5 >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -e kill_ck.h5.tmp ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[ -s kill_ck.h5.tmp ] || die "no kill_ck.h5.tmp to keep"
cp kill_ck.h5.tmp "$DIR/ckpt_killed_mid_write.h5.tmp"

# flip FILE DEST SEED: 4 bits flipped at positions drawn from SEED
flip() {
  cp "$1" "$2"
  size=$(wc -c <"$2")
  x=$3; n=0
  while [ $n -lt 4 ]; do
    x=$(( (1103515245 * x + 12345) % 2147483648 ))
    pos=$(( x % size ))
    bit=$(( (x / 65536) % 8 ))
    v=$(od -An -tu1 -j "$pos" -N1 "$2" | tr -d ' ')
    v=$(( v ^ (1 << bit) ))
    # shellcheck disable=SC2059
    printf "\\$(printf %o "$v")" |
      dd of="$2" bs=1 seek="$pos" conv=notrunc 2>/dev/null
    n=$((n + 1))
  done
}
# cut FILE DEST BYTES
cut_to() { head -c "$3" "$1" >"$2"; }

for base in ckpt_minimal_step4 ckpt_two_areas_step6 out_minimal; do
  f="$DIR/$base.hdf5"
  size=$(wc -c <"$f")
  s=0
  for v in 0 1 2; do
    s=$((s + 1))
    flip "$f" "$DIR/${base}_flip$v.hdf5" "$(( $(printf %s "$base" | cksum | cut -d' ' -f1) % 100000 + 7919 * s ))"
  done
  cut_to "$f" "$DIR/${base}_trunc50.hdf5" $((size / 2))
  cut_to "$f" "$DIR/${base}_trunc90.hdf5" $((size * 9 / 10))
  cut_to "$f" "$DIR/${base}_trunc_superblock.hdf5" 96
done

: >"$DIR/empty.hdf5"
printf 'this is not an HDF5 file\n' >"$DIR/not_hdf5.hdf5"
echo "make_corpus_checkpoint: $(ls "$DIR" | wc -l) files in $DIR"
