"""`--data` specs resolve to train/test splits with the documented preprocessing."""

import numpy as np
import pytest

from groundup.data import spec


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "xor", "spirals", "moons", "circles",
                                  "blobs"])
def test_named_datasets(name):
    s = spec.load(name, seed=0)
    assert s.X_train.dtype == np.float32 and s.y_train.dtype == np.int64
    assert len(s.X_train) > len(s.X_test) > 0
    assert s.features == s.X_train.shape[1] and s.classes >= 2
    if name != "digits":  # tabular and generated data are standardised on the train part
        np.testing.assert_allclose(s.X_train.mean(0), 0, atol=1e-5)
        assert len(s.preprocess["mean"]) == s.features


def test_digits_split_is_the_bundled_one():
    s = spec.load("digits")
    assert (len(s.y_train), len(s.y_test), s.features, s.classes) == (1438, 359, 64, 10)
    assert s.preprocess == {}


def test_csv_with_string_labels(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i % 3},{'cat' if i % 2 else 'dog'}" for i in range(40)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    s = spec.load(str(tmp_path / "t.csv"))
    assert s.class_names == ["cat", "dog"] and s.classes == 2
    assert len(s.y_train) + len(s.y_test) == 40


def test_standardize_round_trip_and_shape_error():
    s = spec.load("moons")
    raw = np.ones((2, 2), np.float32)
    z = spec.standardize(raw, s.preprocess)
    back = z * np.array(s.preprocess["std"], np.float32) + np.array(s.preprocess["mean"])
    np.testing.assert_allclose(back, raw, rtol=1e-5)
    with pytest.raises(ValueError, match="expects"):
        spec.standardize(np.ones((2, 3), np.float32), s.preprocess)


def test_unknown_spec_and_bad_labels(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        spec.load("nope")
    np.savez(tmp_path / "f.npz", x=np.zeros((10, 2)), y=np.linspace(0, 1, 10))
    with pytest.raises(ValueError, match="class indices"):
        spec.load(str(tmp_path / "f.npz"))


def test_read_inputs(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 4)))
    assert spec.read_inputs(str(tmp_path / "a.npy"), 4).shape == (3, 4)
    np.savetxt(tmp_path / "l.csv", np.zeros((2, 5)), delimiter=",")  # 4 features + a label
    assert spec.read_inputs(str(tmp_path / "l.csv"), 4).shape == (2, 4)
    with pytest.raises(ValueError, match="expects 7 features"):
        spec.read_inputs(str(tmp_path / "a.npy"), 7)
    with pytest.raises(ValueError, match=".npy or .csv"):
        (tmp_path / "x.txt").write_text("1")
        spec.read_inputs(str(tmp_path / "x.txt"), 1)
    with pytest.raises(FileNotFoundError):
        spec.read_inputs(str(tmp_path / "missing.npy"), 1)
