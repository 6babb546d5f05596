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


def _mnist_dir(directory, labels):
    for stem, n in (("train", len(labels)), ("t10k", 2)):
        for kind, arr in (("images", np.zeros((n, 2, 2), np.uint8)),
                          ("labels", np.asarray(labels[:n], np.uint8))):
            header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(
                int(d).to_bytes(4, "big") for d in arr.shape)
            (directory / f"{stem}-{kind}-idx{arr.ndim}-ubyte").write_bytes(header + arr.tobytes())
    return f"mnist:{directory}"


def test_mnist_labels_must_be_digits(tmp_path):
    assert spec.load(_mnist_dir(tmp_path, [3, 9, 0])).classes == 10
    with pytest.raises(ValueError, match="MNIST labels must be 0-9; the train labels hold 200"):
        spec.load(_mnist_dir(tmp_path, [3, 200, 0]))


def test_non_finite_inputs_are_refused(tmp_path):
    rows = ["a,b,label"] + [f"{i},{'inf' if i == 4 else i % 3},{i % 2}" for i in range(20)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(ValueError, match="t.csv: inf feature value at row 6, column 2"):
        spec.load(str(tmp_path / "t.csv"))
    X = np.zeros((10, 2))
    X[7, 1] = np.nan
    np.savez(tmp_path / "f.npz", x=X, y=np.arange(10) % 2)
    with pytest.raises(ValueError, match="non-finite value nan at sample 7, feature 1"):
        spec.load(str(tmp_path / "f.npz"))
    np.save(tmp_path / "a.npy", X)
    with pytest.raises(ValueError, match="a.npy: non-finite value nan at sample 7"):
        spec.read_inputs(str(tmp_path / "a.npy"), 2)
    (tmp_path / "h.csv").write_text("a,b\n1,2\n3,-inf\n")
    with pytest.raises(ValueError, match="h.csv: non-finite value -inf at row 3, column 2"):
        spec.read_inputs(str(tmp_path / "h.csv"), 2)


def test_check_trainable(tmp_path):
    s = spec.load("xor")
    assert spec.check_trainable(s) is s
    for labels, match in (([1] * 10, "at least 2 classes"), ([0, 1], "too few samples"),
                          ([0, 1000000] * 5, "1000001-class model"),
                          ([0, 30] * 5, "renumber them 0..1")):
        np.savez(tmp_path / "f.npz", x=np.arange(2 * len(labels)).reshape(-1, 2),
                 y=np.array(labels))
        with pytest.raises(ValueError, match=match):
            spec.check_trainable(spec.load(str(tmp_path / "f.npz")))
    np.savez(tmp_path / "g.npz", x=np.arange(40).reshape(-1, 2), y=np.array([0, 9] * 10))
    assert spec.check_trainable(spec.load(str(tmp_path / "g.npz"))).classes == 10


def test_resolve_and_same(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert spec.resolve("digits") == "digits"
    assert spec.resolve("./d.csv") == str(tmp_path / "d.csv")
    assert spec.resolve("mnist:m") == f"mnist:{tmp_path / 'm'}"
    assert spec.same("./d.csv", "d.csv") and spec.same(str(tmp_path / "d.csv"), "d.csv")
    assert spec.same("mnist:./m", f"mnist:{tmp_path}/m")
    assert not spec.same("d.csv", "e.csv") and not spec.same("digits", "iris")
    assert not spec.same("mnist:m", "m.csv")


def test_read_inputs_names_the_file_and_the_problem(tmp_path):
    def refused(name, match, content=None, features=3, **kw):
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
        with pytest.raises(ValueError, match=match):
            spec.read_inputs(str(path), features, **kw)

    np.save(tmp_path / "empty.npy", np.zeros((0, 3)))
    refused("empty.npy", "empty.npy: no rows")
    refused("empty.csv", "empty.csv: no rows", "")
    refused("text.npy", "text.npy: not a .npy file", "1,2,3\n")
    np.save(tmp_path / "str.npy", np.array(["a", "b", "c"]))
    refused("str.npy", "str.npy: holds text values .* must be numbers")
    np.save(tmp_path / "obj.npy", np.array([1, None, 3], dtype=object), allow_pickle=True)
    refused("obj.npy", "obj.npy: holds Python objects; inputs must be numbers")
    refused("ragged.csv", "ragged.csv: row 3 has 2 columns, expected 3", "1,2,3\n4,5,6\n7,8\n")
    refused("wide.csv", "wide.csv: rows have 4 values; the model expects 3", "1,2,3,0.5\n",
            classes=2)
    refused("big.csv", "class ids 0..1", "1,2,3,7\n", classes=2)
    refused("pets.csv", "labels the model does not know \\('bird'\\).*drop the label column",
            "a,b,c,label\n1,2,3,dog\n4,5,6,bird\n", class_names=["cat", "dog"])


def test_read_inputs_drops_the_label_column_of_the_training_format(tmp_path):
    (tmp_path / "pets.csv").write_text("a,b,c,label\n1,2,3,dog\n4,5,6,cat\n")
    X = spec.read_inputs(str(tmp_path / "pets.csv"), 3, 2, ["cat", "dog"])
    np.testing.assert_array_equal(X, [[1, 2, 3], [4, 5, 6]])
    (tmp_path / "ids.csv").write_text("1,2,3,1\n4,5,6,0\n")
    assert spec.read_inputs(str(tmp_path / "ids.csv"), 3, 2).shape == (2, 3)


def test_npz_with_text_labels_is_refused(tmp_path):
    np.savez(tmp_path / "s.npz", x=np.zeros((4, 2)), y=np.array(list("abab")))
    with pytest.raises(ValueError, match="s.npz: labels 'y' must be integers"):
        spec.load(str(tmp_path / "s.npz"))


def test_mnist_directory_missing_or_of_two_image_sizes(tmp_path):
    with pytest.raises(ValueError, match="the directory .*nowhere does not exist"):
        spec.load(f"mnist:{tmp_path / 'nowhere'}")
    _mnist_dir(tmp_path, [3, 9, 0])
    images = np.zeros((2, 3, 3), np.uint8)
    header = bytes([0, 0, 0x08, 3]) + b"".join(int(d).to_bytes(4, "big") for d in images.shape)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(header + images.tobytes())
    with pytest.raises(ValueError, match="test images are 3x3 pixels but the train images are "
                                         "2x2"):
        spec.load(f"mnist:{tmp_path}")


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_bundled_tables_carry_their_class_names(name):
    from groundup.data import datasets

    s = spec.load(name)
    assert s.class_names == list(getattr(datasets, f"{name.upper()}_CLASSES"))
    assert s.classes == 3
