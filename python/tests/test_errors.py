"""Error cases of the reader: missing, non-HDF5, foreign HDF5, checkpoint,
newer format, unknown area."""
import h5py
import numpy as np
import pytest

import brainsim


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        brainsim.open(tmp_path / "nope.h5")
    assert "nope.h5" in str(e.value)


def test_directory(tmp_path):
    with pytest.raises(IsADirectoryError):
        brainsim.open(tmp_path)


def test_not_hdf5(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("seed: 1\n")
    with pytest.raises(ValueError, match="is not a brainsim file"):
        brainsim.open(path)
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="is not a brainsim file"):
        brainsim.open(empty)


def test_foreign_hdf5(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ValueError, match="is not a brainsim file"):
        brainsim.open(path)
    with h5py.File(path, "a") as f:
        f.attrs["format"] = "something-else"
    with pytest.raises(ValueError, match="something-else"):
        brainsim.open(path)


def test_checkpoint_file(tmp_path):
    path = tmp_path / "ck.h5"
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "brainsim-checkpoint"
    with pytest.raises(ValueError, match="not a valid brainsim checkpoint"):
        brainsim.open(path)


def test_newer_format(run1, tmp_path):
    import shutil
    path = tmp_path / "future.h5"
    shutil.copy(run1, path)
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = np.int32(99)
    with pytest.raises(ValueError, match="newer"):
        brainsim.open(path)


def test_missing_group(tmp_path):
    path = tmp_path / "half.h5"
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "brainsim-output"
    with pytest.raises(ValueError, match="/areas"):
        brainsim.open(path)


def test_unknown_area(run1):
    with brainsim.open(run1) as run:
        for call in (run.winners, run.inputs, run.support, run.fired):
            with pytest.raises(KeyError) as e:
                call("C")
            assert "'C'" in str(e.value) and "A, B" in str(e.value)
        with pytest.raises(KeyError):
            brainsim.analysis.assembly(run, "nope", -1)
