"""Tests for groundup/data/datasets/files.py: CSV, NPZ, IDX (MNIST) and text loaders."""

import gzip
import os
import pickle  # only to write hostile test files; groundup never unpickles

import numpy as np
import pytest

from groundup.data.datasets import (
    DatasetFileError,
    NotTextError,
    detect_delimiter,
    load_csv,
    load_mnist,
    load_npz,
    load_text,
    read_idx,
)


def _write(path, text, gz=False):
    data = text.encode()
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if gz else data)
    return path


# ------------------------------------------------------------------------- CSV
def test_csv_numeric_with_and_without_header(tmp_path):
    p = _write(tmp_path / "a.csv", "f1,f2,label\n1,2.5,0\n3,4,1\n-5,6e-1,2\n")
    X, y, classes = load_csv(p)
    assert X.dtype == np.float32 and X.shape == (3, 2)
    np.testing.assert_allclose(X, [[1, 2.5], [3, 4], [-5, 0.6]], rtol=1e-6)
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2] and classes is None
    p = _write(tmp_path / "b.csv", "0,1,2\n3,4,5\n")
    X, y, _ = load_csv(p, label_column=0)
    assert X.tolist() == [[1, 2], [4, 5]] and y.tolist() == [0, 3]
    X, y, _ = load_csv(p, label_column=None)
    assert X.shape == (2, 3) and y is None
    X, y, _ = load_csv(p, header=True)
    assert X.tolist() == [[3, 4]] and y.tolist() == [5]


def test_csv_text_and_float_labels_names_gzip_and_delimiters(tmp_path):
    text = "a;b;species\n1;2;virginica\n3;4;setosa\n5;6; virginica\n"
    p = _write(tmp_path / "iris.csv.gz", text.replace(";", ","), gz=True)
    X, y, classes = load_csv(p, label_column="species")
    assert classes == ["setosa", "virginica"] and y.tolist() == [1, 0, 1]
    assert y.dtype == np.int64 and X.shape == (3, 2)
    p2 = _write(tmp_path / "semi.csv", text)
    X2, y2, c2 = load_csv(p2, delimiter=";")
    np.testing.assert_array_equal(X2, X)
    assert c2 == classes
    p3 = _write(tmp_path / "reg.tsv", "x\ty\n1\t0.5\n2\t1.25\n")
    X3, y3, c3 = load_csv(p3, delimiter="\t")
    assert y3.dtype == np.float32 and y3.tolist() == [0.5, 1.25] and c3 is None
    p4 = _write(tmp_path / "quoted.csv", 'x,"the label"\n"1.5",b\n2,"a"\n')
    X4, y4, c4 = load_csv(p4, label_column="the label")
    assert X4.ravel().tolist() == [1.5, 2.0] and c4 == ["a", "b"] and y4.tolist() == [1, 0]


def test_csv_errors_name_file_row_and_column(tmp_path):
    p = _write(tmp_path / "bad.csv", "f1,f2,label\n1,2,0\n3,oops,1\n")
    with pytest.raises(DatasetFileError, match=r"bad\.csv.*'oops' at row 3, column 2 \('f2'\)"):
        load_csv(p)
    p = _write(tmp_path / "empty_cell.csv", "1,2,0\n3,,1\n")
    with pytest.raises(DatasetFileError, match="'' at row 2, column 2"):
        load_csv(p)
    p = _write(tmp_path / "ragged.csv", "1,2,0\n3,4\n")
    with pytest.raises(DatasetFileError, match=r"ragged\.csv: row 2 has 2 columns, expected 3"):
        load_csv(p)
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(DatasetFileError, match="no rows"):
        load_csv(_write(tmp_path / "empty.csv", "\n"))
    with pytest.raises(DatasetFileError, match="no data rows"):
        load_csv(_write(tmp_path / "header_only.csv", "a,b\n"))
    p = _write(tmp_path / "ok.csv", "a,b\n1,2\n")
    with pytest.raises(DatasetFileError, match="no column named 'c'"):
        load_csv(p, label_column="c")
    with pytest.raises(DatasetFileError, match="out of range"):
        load_csv(p, label_column=5)
    with pytest.raises(DatasetFileError, match="missing label"):
        load_csv(_write(tmp_path / "nan.csv", "1,nan\n"))
    with pytest.raises(DatasetFileError, match="directory"):
        load_csv(tmp_path)


# ------------------------------------------------------------------------- NPZ
def test_npz_keys_and_dtypes(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, x=np.random.rand(5, 3), y=np.arange(5, dtype=np.int32))
    X, y = load_npz(p)
    assert X.dtype == np.float32 and X.shape == (5, 3) and y.dtype == np.int64
    np.savez(p, X=np.zeros((4, 28, 28), np.uint8), Y=np.ones(4, np.uint8))
    X, y = load_npz(p)
    assert X.dtype == np.uint8 and y.tolist() == [1, 1, 1, 1]
    np.savez(p, images=np.zeros((2, 2)), targets=np.array([0.5, 1.5]))
    X, y = load_npz(p, x_key="images", y_key="targets")
    assert y.dtype == np.float32
    X, y = load_npz(p, x_key="images", y_key=None)
    assert y is None
    with pytest.raises(DatasetFileError, match=r"no x array 'x' or 'X'.*\['images', 'targets'\]"):
        load_npz(p)
    np.savez(p, x=np.zeros((3, 2)), y=np.zeros(2))
    with pytest.raises(DatasetFileError, match="'x' has 3 samples but 'y' has 2"):
        load_npz(p)


def test_npz_refuses_pickles_and_broken_files(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    p = tmp_path / "evil.npz"
    np.savez(p, x=np.array([Evil()], dtype=object), y=np.zeros(1))
    with pytest.raises(DatasetFileError, match="never loads pickle"):
        load_npz(p)
    assert not marker.exists()
    q = tmp_path / "pickle.npz"
    q.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(DatasetFileError, match="not an .npz archive \\(a Python pickle\\)"):
        load_npz(q)
    assert not marker.exists()
    good = tmp_path / "good.npz"
    np.savez(good, x=np.zeros((100, 10)), y=np.zeros(100))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(DatasetFileError, match="cut.npz"):
        load_npz(cut)
    npy = tmp_path / "a.npz"
    np.save(tmp_path / "a.npy", np.zeros(2))
    os.replace(tmp_path / "a.npy", npy)
    with pytest.raises(DatasetFileError, match="single .npy"):
        load_npz(npy)


# ------------------------------------------------------------------- IDX/MNIST
def _idx(array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _mnist_files(directory, n_train=6, n_test=3, gz=False, prefix=""):
    rng = np.random.default_rng(0)
    out = {}
    for stem, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 5, 4), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, arr, nd in (("images", images, 3), ("labels", labels, 1)):
            data = _idx(arr)
            name = f"{prefix}{stem}-{kind}-idx{nd}-ubyte" + (".gz" if gz else "")
            (directory / name).write_bytes(gzip.compress(data) if gz else data)
        out[stem] = (images, labels)
    return out


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_from_a_directory(tmp_path, gz):
    truth = _mnist_files(tmp_path, gz=gz)
    X, y = load_mnist(tmp_path)
    images, labels = truth["train"]
    assert X.shape == (6, 20) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, images.reshape(6, 20) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    Xt, yt = load_mnist(str(tmp_path), split="test", as_images=True, normalize=False)
    assert Xt.shape == (3, 1, 5, 4)
    np.testing.assert_array_equal(Xt[:, 0], truth["t10k"][0])


def test_mnist_from_a_prefix_and_other_idx_types(tmp_path):
    truth = _mnist_files(tmp_path, prefix="fashion-")
    X, y = load_mnist(str(tmp_path / "fashion-"), split="test")
    np.testing.assert_array_equal(y, truth["t10k"][1])
    floats = np.arange(6, dtype=np.float32).reshape(2, 3) / 3
    (tmp_path / "f.idx").write_bytes(_idx(floats, 0x0D))
    np.testing.assert_array_equal(read_idx(tmp_path / "f.idx"), floats)
    ints = np.array([-70000, 5, 70000], dtype=np.int32)
    (tmp_path / "i.idx").write_bytes(_idx(ints, 0x0C))
    out = read_idx(tmp_path / "i.idx")
    assert out.dtype == np.int32 and out.tolist() == ints.tolist() and out.dtype.isnative


def test_idx_errors(tmp_path):
    _mnist_files(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte"
    good = labels.read_bytes()
    labels.write_bytes(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + good[8:13])
    with pytest.raises(DatasetFileError, match=r"label count mismatch.*6 images.*5 labels"):
        load_mnist(tmp_path)
    labels.write_bytes(good[:-2])
    with pytest.raises(DatasetFileError, match="truncated: dimensions \\(6,\\) need 6 bytes"):
        load_mnist(tmp_path)
    labels.write_bytes(good + b"xx")
    with pytest.raises(DatasetFileError, match="longer than its header says"):
        load_mnist(tmp_path)
    labels.write_bytes(b"\x12\x34" + good[2:])
    with pytest.raises(DatasetFileError, match="wrong magic number 0x12340801"):
        load_mnist(tmp_path)
    labels.write_bytes(gzip.compress(good)[:-10])
    with pytest.raises(DatasetFileError, match="damaged or truncated gzip"):
        load_mnist(tmp_path)
    images = tmp_path / "train-images-idx3-ubyte"
    labels.write_bytes(good)
    os.replace(images, tmp_path / "x")
    labels_as_images = tmp_path / "train-images-idx3-ubyte"
    labels_as_images.write_bytes(good)
    with pytest.raises(DatasetFileError, match="holds a 1-d array .* expected 3-d"):
        load_mnist(tmp_path)
    os.remove(labels_as_images)
    with pytest.raises(FileNotFoundError, match="no images file: tried .*train-images-idx3-ubyte"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, split="val")
    (tmp_path / "short").write_bytes(b"\x00\x00")
    with pytest.raises(DatasetFileError, match="truncated"):
        read_idx(tmp_path / "short")


# ------------------------------------------------------------------------ text
def test_text(tmp_path):
    p = _write(tmp_path / "t.txt", "ROMEO:\r\nBut soft!\r\n")
    assert load_text(p) == "ROMEO:\nBut soft!\n"
    g = _write(tmp_path / "t.txt.gz", "héllo\n", gz=True)
    assert load_text(g) == "héllo\n"
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(DatasetFileError, match="not valid utf-8 text: byte 3"):
        load_text(tmp_path / "latin.txt")
    assert load_text(tmp_path / "latin.txt", encoding="latin-1") == "café"
    with pytest.raises(FileNotFoundError):
        load_text(tmp_path / "nope.txt")


@pytest.mark.filterwarnings("ignore:overflow encountered in cast")
def test_csv_finite_refuses_nan_and_inf_features_by_row_and_column(tmp_path):
    p = _write(tmp_path / "n.csv", "a,b,label\n1,2,0\n3,nan,1\n")
    X, _, _ = load_csv(p)  # accepted unless asked for
    assert np.isnan(X[1, 1])
    with pytest.raises(DatasetFileError, match=r"nan feature value at row 3, column 2 \('b'\)"):
        load_csv(p, finite=True)
    p = _write(tmp_path / "i.csv", "1,-inf,x\n2,3,y\n")  # text labels: the slow path
    with pytest.raises(DatasetFileError, match="-inf feature value at row 1, column 2"):
        load_csv(p, finite=True)
    p = _write(tmp_path / "big.csv", "1e39,0\n2,1\n")  # overflows float32
    with pytest.raises(DatasetFileError, match="row 1, column 1"):
        load_csv(p, finite=True)
    X, y, _ = load_csv(_write(tmp_path / "ok.csv", "1,0\n2,1\n"), finite=True)
    assert X.ravel().tolist() == [1, 2] and y.tolist() == [0, 1]


@pytest.mark.parametrize("text, found", [
    ("a,b,c\n1,2,3\n", ","), ("a;b;c\n1;2;3\n", ";"), ("a\tb\n1\t2\n", "\t"),
    ("1|2|3\n4|5|6\n", "|"), ("1;2\n3;4\n", ";"), ("12\n34\n", ","),
    ('"x,y";2;3\n"u,v";5;6\n', ";"),  # quoted commas do not count
])
def test_detect_delimiter(text, found):
    assert detect_delimiter(text) == found


def test_load_csv_detects_the_delimiter_unless_given(tmp_path):
    p = _write(tmp_path / "s.csv", "a;b;label\n1,5;2;0\n3;4;1\n")
    with pytest.raises(DatasetFileError, match="non-numeric cell '1,5'"):
        load_csv(p)  # detected ';', and a decimal comma is named, not misread
    p = _write(tmp_path / "t.tsv", "1\t2\t0\n3\t4\t1\n")
    X, y, _ = load_csv(p)
    assert X.shape == (2, 2) and y.tolist() == [0, 1]
    with pytest.raises(DatasetFileError, match="non-numeric cell"):
        load_csv(p, delimiter=",", label_column=None)  # given: used as it is


@pytest.mark.parametrize("content, kind", [
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "a PNG image"), (b"\xff\xd8\xff\xe0" + bytes(8), "JPEG"),
    (b"PK\x03\x04" + bytes(8), "zip archive"), (b"\x80\x04\x95" + bytes(8), "Python pickle"),
    (b"a,b\n\x00\x01\n", "NUL bytes"),
])
def test_binary_files_read_as_text_are_named(tmp_path, content, kind):
    (tmp_path / "x.csv").write_bytes(content)
    with pytest.raises(NotTextError, match=kind) as e:
        load_csv(tmp_path / "x.csv")
    assert e.value.binary and "encoding" not in str(e.value)
