"""ToTensor, Normalize, Compose, Lambda, RandomApply, PIL conversions, seeding, no-Pillow errors."""

import subprocess
import sys

import numpy as np
import pytest

import groundup as gu
from groundup.data import DataLoader, TensorDataset
from groundup.data import transforms as T

RNG = np.random.default_rng(0)


def images(n=4, c=3, h=10, w=12, dtype=np.float32):
    return RNG.random((n, c, h, w)).astype(dtype)


# ------------------------------------------------------------------ ToTensor
def test_to_tensor_uint8_hwc_to_chw_float():
    pic = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    t = T.ToTensor()(pic)
    assert isinstance(t, gu.Tensor) and t.shape == (3, 5, 7) and t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), pic.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.ToTensor()(pic[:, :, 0]).shape == (1, 5, 7)  # a 2-D array gets a channel


def test_to_tensor_keeps_float_values_and_makes_float32():
    pic = RNG.random((4, 6, 2))
    t = T.ToTensor()(pic)
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), pic.transpose(2, 0, 1), rtol=1e-6)


def test_to_tensor_batch_matches_per_image():
    pics = RNG.integers(0, 256, (3, 5, 7, 3), dtype=np.uint8)
    batch = T.ToTensor().batch(pics)
    assert batch.shape == (3, 3, 5, 7)
    np.testing.assert_array_equal(batch.numpy(), np.stack([T.ToTensor()(p).numpy() for p in pics]))
    assert T.ToTensor().batch(pics[..., 0]).shape == (3, 1, 5, 7)


def test_to_tensor_errors():
    with pytest.raises(TypeError, match="already"):
        T.ToTensor()(gu.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="shape"):
        T.ToTensor()(np.zeros((1, 2, 3, 4)))


def test_pil_conversions():
    Image = pytest.importorskip("PIL.Image")
    pic = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    img = Image.fromarray(pic)
    np.testing.assert_array_equal(T.ToTensor()(img).numpy(), T.ToTensor()(pic).numpy())
    as_uint8 = T.PILToTensor()(img)
    assert as_uint8.dtype == np.uint8 and as_uint8.shape == (3, 5, 7)
    np.testing.assert_array_equal(as_uint8.numpy(), pic.transpose(2, 0, 1))
    gray = Image.fromarray(pic[:, :, 0])
    assert T.ToTensor()(gray).shape == (1, 5, 7)
    back = T.ToPILImage()(T.ToTensor()(img))
    assert back.mode == "RGB" and back.size == (7, 5)
    np.testing.assert_array_equal(np.asarray(back), pic)
    assert T.ToPILImage()(np.zeros((1, 3, 4), np.float32)).mode == "L"


def test_geometric_transforms_keep_pil_images_pil():
    Image = pytest.importorskip("PIL.Image")
    img = Image.fromarray(RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8))
    out = T.Compose([T.RandomCrop(16, padding=2), T.RandomHorizontalFlip(), T.Resize(8)])(img)
    assert isinstance(out, Image.Image) and out.mode == "RGB" and out.size == (8, 8)
    assert T.Grayscale()(img).mode == "L"


# ------------------------------------------------------------------ Normalize
def test_normalize_is_per_channel_arithmetic():
    x = images()
    mean, std = (0.1, 0.5, 0.9), (0.2, 0.3, 0.4)
    m, s = (np.array(v, np.float32)[:, None, None] for v in (mean, std))
    want = (x - m) / s
    out = T.Normalize(mean, std)(x[0])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, want[0], rtol=1e-6)
    np.testing.assert_allclose(T.Normalize(mean, std).batch(x), want, rtol=1e-6)
    t = T.Normalize(mean, std)(gu.tensor(x[0]))
    assert isinstance(t, gu.Tensor)
    np.testing.assert_allclose(t.numpy(), want[0], rtol=1e-6)
    y = x.copy()
    T.Normalize(mean, std, inplace=True).batch(y)
    np.testing.assert_allclose(y, want, rtol=1e-6)
    np.testing.assert_allclose(T.Normalize((0.5,), (0.5,))(x[0]), (x[0] - 0.5) / 0.5, rtol=1e-6)


def test_normalize_errors():
    with pytest.raises(ValueError, match="std"):
        T.Normalize((0.0,), (0.0,))
    with pytest.raises(TypeError, match="float"):
        T.Normalize((0.5,), (0.5,))(np.zeros((1, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="2 values but the image has 3 channels"):
        T.Normalize((0.5, 0.5), (1.0, 1.0))(images()[0])
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        T.Normalize((0.5,), (0.5,)).batch(images()[0])


# ------------------------------------------------------------------ Compose, Lambda, RandomApply
def test_compose_and_lambda():
    x = images()
    tf = T.Compose([T.CenterCrop(8), T.Lambda(lambda a: a * 2), lambda a: a + 1])
    np.testing.assert_allclose(tf(x[0]), x[0, :, 1:9, 2:10] * 2 + 1, rtol=1e-6)
    np.testing.assert_allclose(tf.batch(x), x[:, :, 1:9, 2:10] * 2 + 1, rtol=1e-6)
    assert "CenterCrop" in repr(tf)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    with pytest.raises(TypeError, match="callable"):
        T.Compose([3])


def test_random_apply():
    x = images()
    jitter = T.Lambda(lambda a: a * 0)
    np.testing.assert_array_equal(T.RandomApply([jitter], p=0.0).batch(x), x)
    np.testing.assert_array_equal(T.RandomApply([jitter], p=1.0).batch(x), 0 * x)
    np.testing.assert_array_equal(T.RandomApply([jitter], p=1.0)(x[0]), 0 * x[0])
    gu.manual_seed(3)
    out = T.RandomApply([jitter], p=0.5).batch(images(n=64))
    changed = (out == 0).all(axis=(1, 2, 3))
    assert 10 < changed.sum() < 54
    with pytest.raises(ValueError, match="keep one shape"):
        T.RandomApply([T.CenterCrop(4)], p=1.0).batch(x)
    with pytest.raises(ValueError, match="probability"):
        T.RandomApply([jitter], p=1.5)


# ------------------------------------------------------------------ seeding and the loader
AUGMENT = [T.RandomCrop(8, padding=2), T.RandomHorizontalFlip(), T.RandomVerticalFlip(),
           T.RandomResizedCrop(8, scale=(0.3, 1.0)), T.RandomAffine(20, translate=(0.1, 0.1),
                                                                   scale=(0.9, 1.1), shear=5),
           T.RandomRotation(30), T.ColorJitter(0.4, 0.4, 0.4), T.RandomGrayscale(0.5)]


def test_transforms_are_deterministic_under_manual_seed():
    x = images(n=6)
    tf = T.Compose(AUGMENT)
    runs = []
    for _ in range(2):
        gu.manual_seed(7)
        runs.append((tf(x[0]), tf.batch(x)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    gu.manual_seed(8)
    assert not np.array_equal(tf.batch(x), runs[0][1])


@pytest.mark.parametrize("tf", AUGMENT, ids=lambda t: type(t).__name__)
def test_batch_equals_per_image_with_the_same_draws(tf):
    x = images(n=5)
    gu.manual_seed(11)
    batched = tf.batch(x)
    gu.manual_seed(11)
    one_by_one = np.stack([tf(image) for image in x])
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-5, atol=1e-6)
    assert tf.batch(x[:0]).shape[0] == 0  # an empty batch


def test_batch_keeps_tensors_tensors_and_runs_on_loader_batches():
    X = images(n=10, c=1, h=8, w=8)
    y = np.arange(10)
    augment = T.Compose([T.RandomCrop(8, padding=1), T.RandomHorizontalFlip(),
                         T.Normalize((0.5,), (0.5,))])
    gu.manual_seed(0)
    for xb, _ in DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True):
        out = augment.batch(xb)
        assert isinstance(out, gu.Tensor) and out.shape == xb.shape and out.dtype == np.float32


def test_dataset_transform_per_sample_through_the_loader():
    class Pictures(gu.data.Dataset):
        def __init__(self, transform):
            self.pics = RNG.integers(0, 256, (6, 9, 9, 3), dtype=np.uint8)
            self.transform = transform

        def __len__(self):
            return len(self.pics)

        def __getitem__(self, i):
            return self.transform(self.pics[i]), i

    data = Pictures(T.Compose([T.ToTensor(), T.RandomCrop(7), T.Normalize((0.5,) * 3, (0.5,) * 3)]))
    xb, yb = next(iter(DataLoader(data, batch_size=6)))
    assert xb.shape == (6, 3, 7, 7) and xb.dtype == np.float32


# ------------------------------------------------------------------ without Pillow
def _hide_pillow(monkeypatch):
    for name in list(sys.modules):
        if name == "PIL" or name.startswith("PIL."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL -> ImportError


def test_without_pillow_arrays_work_and_pil_needs_get_a_clear_error(monkeypatch):
    _hide_pillow(monkeypatch)
    x = images()
    assert T.Compose(AUGMENT).batch(x).shape == (4, 3, 8, 8)
    with pytest.raises(ImportError, match=r'pip install "groundup\[images\]"'):
        T.ToPILImage()(x[0])


def test_import_groundup_does_not_import_pillow():
    code = ("import sys; sys.modules['PIL'] = None; import groundup as gu; "
            "from groundup.data import transforms as T; import numpy as np; "
            "print(T.RandomCrop(4)(np.zeros((1, 6, 6), np.float32)).shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "(1, 4, 4)" in out.stdout
    code = "import sys, groundup; print('PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
