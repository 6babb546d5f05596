"""`--data images:DIR`, `cifar:DIR` and `mnist:DIR` load image files as (N, C, H, W) pixels."""

import importlib.util
import os

import numpy as np
import pytest

from groundup.data import datasets, spec

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_image(path, array):
    """array uint8 (H, W) gray or (H, W, 3) RGB, written as PNG (or JPEG by the extension)."""
    Image = pytest.importorskip("PIL.Image")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, np.uint8)).save(path)
    return path


def image_folder(root, classes=("cat", "dog", "owl"), per_class=5, shape=(6, 5), seed=0):
    """root/<class>/<i>.png, pixel values seeded; returns {path: array}."""
    rng = np.random.default_rng(seed)
    written = {}
    for name in classes:
        for i in range(per_class):
            array = rng.integers(0, 256, size=shape, dtype=np.uint8)
            written[write_image(root / name / f"{i}.png", array)] = array
    return written


def test_a_folder_of_class_folders_is_cut_into_train_val_and_test(tmp_path):
    written = image_folder(tmp_path, per_class=10)
    s = spec.load(f"images:{tmp_path}", seed=0)
    assert s.class_names == ["cat", "dog", "owl"] and s.classes == 3
    assert s.input_shape == [1, 6, 5] and s.X_train.dtype == np.float32
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == 30
    assert np.bincount(s.y_test).tolist() == [2, 2, 2]  # stratified
    assert s.scaling["kind"] == "scale" and s.scaling["factor"] == pytest.approx(1 / 255)
    assert "30 images, 1 channel, 6x5 pixels, 3 classes" in s.about
    # raw pixels kept exactly, scaled by 1/255 for the model
    pixels = {a.tobytes() for a in written.values()}
    assert all(x[0].astype(np.uint8).tobytes() in pixels for x in s.X_test)
    np.testing.assert_allclose(s.scale(s.X_test), s.X_test / 255.0, rtol=1e-6)
    assert spec.check_trainable(s) is s


def test_train_and_test_folders_are_the_splits_and_test_classes_map_by_name(tmp_path):
    for part, classes in (("train", ("a", "b", "c")), ("test", ("a", "c"))):
        image_folder(tmp_path / part, classes, per_class=4, shape=(4, 4, 3))
    s = spec.load(f"images:{tmp_path}", val_split=0)
    assert s.class_names == ["a", "b", "c"] and s.input_shape == [3, 4, 4]
    assert len(s.y_train) == 12 and s.y_test.tolist() == [0] * 4 + [2] * 4
    assert "train/ and test/ folders" in s.about
    (tmp_path / "test" / "zebra").mkdir()
    write_image(tmp_path / "test" / "zebra" / "z.png", np.zeros((4, 4, 3)))
    with pytest.raises(spec.DataSpecError, match="test/ holds class folder.*'zebra'.*train/"):
        spec.load(f"images:{tmp_path}")


def test_one_size_and_one_channel_count_for_all_images(tmp_path):
    image_folder(tmp_path, ("x", "y"), per_class=3, shape=(6, 5))
    write_image(tmp_path / "x" / "big.png", np.full((12, 10), 200))  # resized to 6x5
    write_image(tmp_path / "y" / "rgb.png", np.zeros((6, 5, 3)))  # makes every image RGB
    s = spec.load(f"images:{tmp_path}", val_split=0)
    assert s.input_shape == [3, 6, 5]
    assert "3 channels, 6x5 pixels (the most common size; 1 other images resized" in s.about
    X = np.concatenate([s.X_train, s.X_test])
    assert np.any(np.all(X == 200.0, axis=(1, 2, 3)))  # the big flat image, resized
    gray = X[np.all(X[:, 0] == X[:, 1], axis=(1, 2))]
    assert len(gray) == len(X)  # gray images are repeated over R, G, B


@pytest.mark.parametrize("case, message", [
    ("missing", "does not exist"),
    ("file", "is a file; expected a directory"),
    ("no classes", "no class folders in"),
    ("loose images", "holds 1 image files directly"),
    ("empty class", "no valid files in the class folder.*'b'"),
    ("damaged", "cannot read the image .*bad.png"),
])
def test_image_folder_mistakes_are_named(tmp_path, case, message):
    pytest.importorskip("PIL")
    root = tmp_path / "data"
    if case == "file":
        root.write_text("x")
    elif case != "missing":
        root.mkdir()
    if case == "loose images":
        write_image(root / "a.png", np.zeros((2, 2)))
    if case in ("empty class", "damaged"):
        image_folder(root, ("a",), per_class=2)
        (root / "b").mkdir()
    if case == "damaged":
        (root / "b" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(spec.USER_ERRORS, match=message):
        spec.load(f"images:{root}")


def test_without_pillow_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    pytest.importorskip("PIL")
    from groundup.data.transforms import image

    image_folder(tmp_path, ("a", "b"), per_class=2)

    def missing(where):
        raise ImportError("no PIL")

    monkeypatch.setattr(image, "require_pil", missing)
    with pytest.raises(spec.DataSpecError, match=r'needs Pillow.*pip install "groundup\[images\]"'):
        spec.load(f"images:{tmp_path}")


# ------------------------------------------------------------------ CIFAR-10
def cifar_dir(root, per_batch=2, seed=0):
    """data_batch_1..5.bin and test_batch.bin of `per_batch` random records each."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for i, name in enumerate(names):
        labels = (np.arange(per_batch) + i) % 10
        pixels = rng.integers(0, 256, size=(per_batch, 3072))
        records = np.concatenate([labels[:, None], pixels], axis=1).astype(np.uint8)
        (root / name).write_bytes(records.tobytes())
    return root


def test_cifar_binary_files(tmp_path):
    cifar_dir(tmp_path / "c", per_batch=4)
    s = spec.load(f"cifar:{tmp_path / 'c'}", val_split=0)
    assert s.input_shape == [3, 32, 32] and len(s.y_train) == 20 and len(s.y_test) == 4
    assert s.class_names[:2] == ["airplane", "automobile"] and s.classes == 10
    record = np.frombuffer((tmp_path / "c" / "test_batch.bin").read_bytes()[:3073], np.uint8)
    assert s.y_test[0] == record[0]
    np.testing.assert_array_equal(s.X_test[0].reshape(-1), record[1:])  # raw 0-255, R, G, B
    assert s.scaling["factor"] == pytest.approx(1 / 255) and s.X_test.dtype == np.float32
    with pytest.raises(spec.DataSpecError, match="does not exist"):
        spec.load(f"cifar:{tmp_path / 'nowhere'}")
    (tmp_path / "c" / "test_batch.bin").unlink()
    with pytest.raises(FileNotFoundError, match="lacks test_batch.bin"):
        spec.load(f"cifar:{tmp_path / 'c'}")


# ------------------------------------------------------- forms and the listing
def test_prefixed_forms_resolve_and_compare_by_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for prefix in ("mnist:", "images:", "cifar:"):
        assert spec.is_file(prefix + "d")
        assert spec.resolve(prefix + "d") == f"{prefix}{tmp_path / 'd'}"
        assert spec.same(prefix + "./d", f"{prefix}{tmp_path}/d")
    assert not spec.same("images:d", "cifar:d") and not spec.same("images:d", "mnist:d")
    assert not spec.is_file("digits") and spec.resolve("digits") == "digits"
    assert {"images:DIR", "cifar:DIR", "mnist:DIR"} <= set(spec.FILE_FORMS)
    with pytest.raises(spec.DataSpecError, match="images:DIR or cifar:DIR"):
        spec.load("imgs:foo")


# ------------------------------------------------- the MNIST-format digits proxy
def _make_digits28():
    path = os.path.join(ROOT, "benchmarks", "make_digits28.py")
    module_spec = importlib.util.spec_from_file_location("make_digits28", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_make_digits28_writes_mnist_files_that_load_through_the_data_option(tmp_path):
    tool = _make_digits28()
    written = tool.make_digits28(tmp_path, copies=2, train_limit=30, test_limit=12)
    assert sorted(written) == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
                               "train-images-idx3-ubyte", "train-labels-idx1-ubyte"]
    s = spec.load(f"mnist:{tmp_path}", val_split=0)
    assert s.input_shape == [1, 28, 28] and len(s.y_train) == 60 and len(s.y_test) == 12
    _, y = datasets.load_digits(split="test")
    np.testing.assert_array_equal(s.y_test, y[:12])
    X = s.X_test[:, 0]
    assert X.max() == 255.0 and X.min() == 0.0
    assert not X[:, :4].any() and not X[:, -4:].any()  # the digit sits in the centred 20x20 box
    whole = tool.make_digits28(tmp_path / "w", box=28, train_limit=3, test_limit=3)
    assert os.path.getsize(whole["t10k-images-idx3-ubyte"]) == 16 + 3 * 28 * 28
    with pytest.raises(ValueError, match="box must lie in 8..28"):
        tool.upscale(np.zeros((1, 1, 8, 8)), box=30)
