#!/bin/sh
# Every corrupted checkpoint is detected (issue 15): a checkpoint with one
# flipped byte in a synapse row, a geometry or a weight edited to a
# plausible value (with its checksum recomputed, as a hostile edit would),
# a weight above its fiber's cap, and resuming into a damaged output are
# refused naming the dataset, never a signal.  Needs python3 with h5py and
# numpy for the edits (skipped otherwise).
. "${srcdir:-$(dirname "$0")}/lib.sh"
cd "$TMP" || exit 1
python3 -c 'import h5py, numpy' 2>/dev/null || { echo "skip: no h5py"; exit 77; }
cat >exp.yaml <<'YAML'
seed: 9
defaults: {p: 0.02, beta: 0.2}
areas:
  - {name: A, n: 5000, k: 50}
stimuli:
  - {name: s, k: 50}
fibers:
  - {from: s, to: A}
  - {from: A, to: A, cap: 2.0}
schedule:
  - project: {fibers: [s->A], rounds: 1}
  - project: {rounds: 19}
YAML
"$BRAINSIM" run exp.yaml -q -o full.h5 >/dev/null || fail "the reference run"
"$BRAINSIM" run exp.yaml -q -n 8 -o part.h5 -e 8 -k ck.h5 >/dev/null || fail "the checkpointed run"
cp ck.h5 good.h5
# edit.py FILE WHAT: one corruption of a checkpoint
cat >edit.py <<'PY'
import sys, h5py, numpy as np
M = (1 << 64) - 1
def mix(x):
    x ^= x >> 30; x = (x * 0xbf58476d1ce4e5b9) & M
    x ^= x >> 27; x = (x * 0x94d049bb133111eb) & M
    return x ^ (x >> 31)
def rowsum(v):
    return sum(mix(int(x) ^ mix(i + 1)) for i, x in enumerate(v)) & M
path, what = sys.argv[1], sys.argv[2]
def flip(ds_path, elem, size):   # one byte of the raw data, h5py closed
    with h5py.File(path, "r") as f:
        off = f[ds_path].id.get_chunk_info(0).byte_offset + elem * size
    with open(path, "r+b") as raw:
        raw.seek(off); b = raw.read(1); raw.seek(off)
        raw.write(bytes([b[0] ^ 1]))
def rewrite(ds_path, change):    # a plausible edit, checksum recomputed
    with h5py.File(path, "r+") as f:
        v = f[ds_path][...]
        change(v)
        f[ds_path][...] = v
        f[ds_path].attrs["checksum"] = np.uint64(rowsum(v))
if what == "source": flip("/fibers/A->A/source", 3, 8)
elif what == "weight": flip("/fibers/A->A/weight", 3, 4)
elif what == "target": flip("/fibers/A->A/target", 0, 8)
elif what == "geometry": rewrite("/fibers/A->A/geometry", lambda v: v.__setitem__(5, v[5] + 1))
elif what == "key": rewrite("/fibers/s->A/geometry", lambda v: v.__setitem__(0, v[0] ^ 1))
elif what == "over_cap": rewrite("/fibers/A->A/weight", lambda v: v.__setitem__(0, 0xFFFFFFFF))
elif what == "winner":         # a neuron that never fired replaces one
    with h5py.File(path, "r") as f:
        ever = set(int(x) for x in f["/areas/A/ever_fired"][...])
    def swap(v):
        v[0] = min(x for x in range(5000) if x not in ever)
        v.sort()
    rewrite("/areas/A/winners", swap)
PY
refused() {  # WHAT DATASET DESCRIPTION
  cp good.h5 ck.h5
  python3 edit.py ck.h5 "$1" || { fail "$3: the edit failed"; return; }
  if cmp -s ck.h5 good.h5; then fail "$3: the edit changed nothing"; return; fi
  expect_exit 1 "$3" -- "$BRAINSIM" run -q --resume ck.h5 -o res.h5
  expect_output "$2" "$3: the message names $2"
}
refused source "/fibers/A->A/source: checksum mismatch" "a flipped byte in a synapse's source id"
refused weight "/fibers/A->A/weight: checksum mismatch" "a flipped byte in a synapse's weight"
refused target "/fibers/A->A/" "a flipped byte in a synapse's target id"
refused geometry "/fibers/A->A/geometry differs from the one its experiment determines" "a threshold edited (checksum recomputed)"
refused key "/fibers/s->A/geometry differs" "a generator key edited (checksum recomputed)"
refused over_cap "/fibers/A->A/weight: a weight is above the fiber's cap (2)" "a weight of 0xFFFFFFFF on a fiber with cap 2.0"
refused winner "/areas/A/winners" "a winner id edited (checksum recomputed)"
# resuming into a damaged output: winners cut to fewer rows than the
# checkpoint's step, an area's k changed, the seed changed
damaged() {  # PYTHON-EDIT DATASET DESCRIPTION
  cp good.h5 ck.h5
  cp part.h5 dmg.h5
  python3 -c "import h5py, numpy as np
f = h5py.File('dmg.h5', 'r+')
$1
f.close()" || { fail "$3: the edit failed"; return; }
  cp dmg.h5 dmg.orig
  expect_exit 1 "$3" -- "$BRAINSIM" run -q --resume ck.h5 -o dmg.h5
  expect_output "$2" "$3: the message names $2"
  cmp -s dmg.h5 dmg.orig && pass "$3: the output is left as it was" || fail "$3: the output changed"
}
damaged "f['/areas/A/winners'].resize((5, 50))" "/areas/A/winners: 5 rows, fewer than the 8 steps" "winners cut to 5 rows"
damaged "f['/areas/A'].attrs['k'] = np.uint64(49)" "/areas/A: n = 5000, k = 49" "an area's k attribute edited"
damaged "f.attrs['seed'] = np.uint64(10)" "seed is 10" "the seed attribute edited"
damaged "f.attrs['steps_complete'] = np.uint64(3)" "steps_complete is 3" "steps_complete below the checkpoint's step"
# resuming with an experiment that appends operations: the output says so
cp good.h5 ck.h5
cp part.h5 app.h5
sed 's/rounds: 19}/rounds: 19}\n  - project: {rounds: 5}/' exp.yaml >more.yaml
expect_exit 0 "resume with appended operations" -- "$BRAINSIM" run -q --resume ck.h5 more.yaml -o app.h5
expect_exit 0 "inspect the extended output" -- "$BRAINSIM" inspect app.h5
expect_output "25 of 25" "the extended output's steps_total counts the appended operations"
python3 -c "import h5py, sys
f = h5py.File('app.h5', 'r')
ops = f['/schedule'].attrs['operations']
txt = f['/experiment'][()]
sys.exit(0 if len(ops) == 3 and b'rounds: 5' in bytes(txt) else 1)" &&
  pass "the extended output's /experiment and /schedule operations are the new ones" ||
  fail "the extended output still describes the old schedule"
# the untouched checkpoint still resumes and equals the uninterrupted run
cp good.h5 ck.h5
expect_exit 0 "the intact checkpoint resumes" -- "$BRAINSIM" run -q --resume ck.h5 -o part.h5
if "$H5DIFF" full.h5 part.h5 /areas /areas >diff.txt 2>&1; then pass "resumed output equals the uninterrupted run"
else fail "resumed output differs"; head diff.txt; fi
finish
