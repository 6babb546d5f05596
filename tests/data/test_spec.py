"""`--data` specs resolve to train/test splits with the documented preprocessing."""

import numpy as np
import pytest

from groundup.data import datasets, spec


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "xor", "spirals", "moons", "circles",
                                  "blobs"])
def test_named_datasets(name):
    s = spec.load(name, seed=0)
    assert s.X_train.dtype == np.float32 and s.y_train.dtype == np.int64
    assert len(s.X_train) > len(s.X_test) > 0 and len(s.X_val) > 0
    assert s.features == int(np.prod(s.X_train.shape[1:])) and s.classes >= 2
    assert s.class_names and len(s.class_names) == s.classes
    low, high = s.scaling["range"]
    assert low == s.X_train.min() and high == s.X_train.max()  # raw inputs are kept
    if name != "digits":  # tabular and generated data are standardised on the train part
        np.testing.assert_allclose(s.scale(s.X_train).mean(0), 0, atol=1e-5)
        assert len(s.scaling["mean"]) == s.features


def test_digits_are_raw_pixel_counts_scaled_by_a_sixteenth():
    s = spec.load("digits")
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (1293, 145, 359)
    assert s.input_shape == [1, 8, 8] and (s.features, s.classes) == (64, 10)
    assert s.scaling["kind"] == "scale" and s.scaling["range"] == [0.0, 16.0]
    X, _ = datasets.load_digits(split="test", as_images=True)
    np.testing.assert_array_equal(s.scale(s.X_test), X)  # what the library's loader gives
    assert spec.describe_scaling(s.scaling) == "x 0.0625 (raw 0 to 16 -> 0 to 1)"


def test_the_validation_part_is_cut_from_the_training_part_only():
    whole = spec.load("blobs", val_split=0)
    s = spec.load("blobs", val_split=0.1)
    assert whole.X_val is None and len(whole.y_train) == len(s.y_train) + len(s.y_val)
    np.testing.assert_array_equal(whole.X_test, s.X_test)  # the test part does not move
    assert np.bincount(s.y_val).tolist() == [16, 16, 16]  # stratified
    with pytest.raises(ValueError, match="--val-split must lie in"):
        spec.load("blobs", val_split=1.5)


def test_csv_with_string_labels(tmp_path):
    rows = ["a,b,label"] + [f"{i},{i % 3},{'cat' if i % 2 else 'dog'}" for i in range(40)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    s = spec.load(str(tmp_path / "t.csv"))
    assert s.class_names == ["cat", "dog"] and s.classes == 2
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == 40


@pytest.mark.parametrize("labels, names", [
    ([5, 7, 9], ["5", "7", "9"]), ([-1, 1], ["-1", "1"]), ([0, 1000000], ["0", "1000000"]),
    ([0.5, 1.5], ["0.5", "1.5"]), ([2, 0, 1], ["0", "1", "2"]),
])
def test_any_label_values_map_to_classes_and_keep_their_names(tmp_path, labels, names):
    """{5, 7, 9} made a 10-class model and -1/1 was refused; both are classes 0..K-1 now."""
    y = np.array(labels * 12)
    np.savez(tmp_path / "f.npz", x=np.arange(2 * len(y), dtype=float).reshape(-1, 2), y=y)
    s = spec.check_trainable(spec.load(str(tmp_path / "f.npz")))
    assert s.class_names == names and s.classes == len(names)
    every = np.concatenate([s.y_train, s.y_val, s.y_test])
    assert sorted(set(every.tolist())) == list(range(len(names)))


def test_semicolon_and_tab_separated_files_say_what_was_found(tmp_path):
    rows = [f"{i};{i % 3};{i % 2}" for i in range(40)]
    (tmp_path / "semi.csv").write_text("a;b;label\n" + "\n".join(rows) + "\n")
    s = spec.load(str(tmp_path / "semi.csv"))
    assert s.features == 2 and s.about.endswith("2 features + label, delimiter ';' (detected)")
    (tmp_path / "t.tsv").write_text("\n".join(r.replace(";", "\t") for r in rows) + "\n")
    assert spec.load(str(tmp_path / "t.tsv")).features == 2
    with pytest.raises(ValueError, match="found 1 column with delimiter ','"):
        spec.load(str(tmp_path / "semi.csv"), delimiter=",")
    assert spec.is_file("x.TSV") and spec.is_file("x.csv.gz")


def test_binary_and_non_utf8_files_are_named_for_what_they_are(tmp_path):
    (tmp_path / "p.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ValueError, match="p.csv: not a CSV file: it is a PNG image") as e:
        spec.load(str(tmp_path / "p.csv"))
    assert "encoding" not in str(e.value)
    (tmp_path / "l.csv").write_bytes("a,b\ncaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not valid utf-8 text: byte 7.*save the file as UTF-8"):
        spec.load(str(tmp_path / "l.csv"))


def test_apply_scaling_and_shape_error():
    s = spec.load("moons")
    raw = np.ones((2, 2), np.float32)
    z = spec.apply_scaling(raw, s.scaling)
    back = z * np.array(s.scaling["std"], np.float32) + np.array(s.scaling["mean"])
    np.testing.assert_allclose(back, raw, rtol=1e-5)
    with pytest.raises(ValueError, match="expects"):
        spec.apply_scaling(np.ones((2, 3), np.float32), s.scaling)
    assert spec.apply_scaling(raw, {}) is not None  # no scaling: as it is


def test_input_warning_flags_inputs_in_other_units():
    digits = spec.load("digits").scaling
    assert spec.input_warning(np.array([[0.0, 16.0]]), digits) is None
    assert "scaled already" in spec.input_warning(np.array([[0.0, 0.9]]), digits)
    assert "outside the training inputs' range" in spec.input_warning(
        np.array([[0.0, 255.0]]), digits)


def test_unknown_spec_and_continuous_labels(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        spec.load("nope")
    np.savez(tmp_path / "f.npz", x=np.zeros((40, 2)), y=np.linspace(0, 1, 40))
    with pytest.raises(ValueError, match="looks like a continuous target"):
        spec.load(str(tmp_path / "f.npz"))


def test_read_inputs(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 4)))
    assert spec.read_inputs(str(tmp_path / "a.npy"), [4]).shape == (3, 4)
    assert spec.read_inputs(str(tmp_path / "a.npy"), [1, 2, 6]).shape == (1, 1, 2, 6)
    np.save(tmp_path / "img.npy", np.zeros((5, 2, 2)))
    assert spec.read_inputs(str(tmp_path / "img.npy"), [1, 2, 2]).shape == (5, 1, 2, 2)
    np.savetxt(tmp_path / "l.csv", np.zeros((2, 5)), delimiter=",")  # 4 features + a label
    assert spec.read_inputs(str(tmp_path / "l.csv"), [4], ["0", "1"]).shape == (2, 4)
    with pytest.raises(ValueError, match="expects 7 features"):
        spec.read_inputs(str(tmp_path / "a.npy"), [7])
    with pytest.raises(ValueError, match=".npy or .csv"):
        (tmp_path / "x.txt").write_text("1")
        spec.read_inputs(str(tmp_path / "x.txt"), [1])
    with pytest.raises(FileNotFoundError):
        spec.read_inputs(str(tmp_path / "missing.npy"), [1])


def _mnist_dir(directory, labels):
    for stem, n in (("train", len(labels)), ("t10k", 2)):
        for kind, arr in (("images", np.zeros((n, 2, 2), np.uint8)),
                          ("labels", np.asarray(labels[:n], np.uint8))):
            header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(
                int(d).to_bytes(4, "big") for d in arr.shape)
            (directory / f"{stem}-{kind}-idx{arr.ndim}-ubyte").write_bytes(header + arr.tobytes())
    return f"mnist:{directory}"


def test_mnist_labels_must_be_digits(tmp_path):
    assert spec.load(_mnist_dir(tmp_path, [3, 9, 0]), val_split=0).classes == 10
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
        spec.read_inputs(str(tmp_path / "a.npy"), [2])
    (tmp_path / "h.csv").write_text("a,b\n1,2\n3,-inf\n")
    with pytest.raises(ValueError, match="h.csv: non-finite value -inf at row 3, column 2"):
        spec.read_inputs(str(tmp_path / "h.csv"), [2])


def test_check_trainable(tmp_path):
    s = spec.load("xor")
    assert spec.check_trainable(s) is s
    for labels, match in (([1] * 10, "every label is 1; a classifier needs at least 2 classes"),
                          ([0, 1], "too few samples")):
        np.savez(tmp_path / "f.npz", x=np.arange(2 * len(labels)).reshape(-1, 2),
                 y=np.array(labels))
        with pytest.raises(ValueError, match=match):
            spec.check_trainable(spec.load(str(tmp_path / "f.npz"), val_split=0))
    np.savez(tmp_path / "g.npz", x=np.arange(40).reshape(-1, 2), y=np.array([0, 9] * 10))
    assert spec.check_trainable(spec.load(str(tmp_path / "g.npz"))).classes == 2


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
    def refused(name, match, content=None, shape=(3,), **kw):
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
        with pytest.raises(ValueError, match=match):
            spec.read_inputs(str(path), list(shape), **kw)

    np.save(tmp_path / "empty.npy", np.zeros((0, 3)))
    refused("empty.npy", "empty.npy: no rows")
    refused("empty.csv", "empty.csv: no rows", "")
    refused("text.npy", "text.npy: not a .npy file", "1,2,3\n")
    np.save(tmp_path / "str.npy", np.array(["a", "b", "c"]))
    refused("str.npy", "str.npy: holds text values .* must be numbers")
    np.save(tmp_path / "obj.npy", np.array([1, None, 3], dtype=object), allow_pickle=True)
    refused("obj.npy", "obj.npy: holds Python objects; inputs must be numbers")
    refused("ragged.csv", "ragged.csv: row 3 has 2 columns, expected 3", "1,2,3\n4,5,6\n7,8\n")
    refused("wide.csv", "wide.csv: rows have 5 values; the model expects 3", "1,2,3,4,5\n")
    refused("big.csv", "labels the model does not know \\('7'\\)", "1,2,3,7\n",
            class_names=["0", "1"])
    refused("pets.csv", "labels the model does not know \\('bird'\\).*drop the label column",
            "a,b,c,label\n1,2,3,dog\n4,5,6,bird\n", class_names=["cat", "dog"])
    refused("png.csv", "png.csv: not a CSV of inputs: it is a PNG image", b"\x89PNG\r\n\x1a\n")


def test_read_inputs_drops_the_label_column_of_the_training_format(tmp_path):
    (tmp_path / "pets.csv").write_text("a,b,c,label\n1,2,3,dog\n4,5,6,cat\n")
    X = spec.read_inputs(str(tmp_path / "pets.csv"), [3], ["cat", "dog"])
    np.testing.assert_array_equal(X, [[1, 2, 3], [4, 5, 6]])
    (tmp_path / "ids.csv").write_text("1,2,3,-1\n4,5,6,1.0\n")
    assert spec.read_inputs(str(tmp_path / "ids.csv"), [3], ["-1", "1"]).shape == (2, 3)
    (tmp_path / "semi.csv").write_text("1;2;3\n4;5;6\n")
    assert spec.read_inputs(str(tmp_path / "semi.csv"), [3]).shape == (2, 3)


def test_npz_with_text_labels_maps_them_to_classes(tmp_path):
    np.savez(tmp_path / "s.npz", x=np.arange(40.0).reshape(20, 2), y=np.array(list("ab" * 10)))
    assert spec.load(str(tmp_path / "s.npz")).class_names == ["a", "b"]


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
