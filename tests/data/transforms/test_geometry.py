"""Resize, crops, padding, flips and affine warps against PyTorch ops and hand-computed results."""

import math

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.data import transforms as T
from groundup.data.transforms import pixels

RNG = np.random.default_rng(1)


def images(n=3, c=3, h=9, w=12):
    return RNG.random((n, c, h, w)).astype(np.float32)


# ------------------------------------------------------------------ Resize
@pytest.mark.parametrize("mode,antialias", [("bilinear", False), ("bilinear", True),
                                            ("nearest", False), ("nearest-exact", False)])
@pytest.mark.parametrize("size", [(4, 5), (9, 12), (13, 7), (20, 31)])
def test_resize_matches_interpolate(mode, antialias, size):
    torch = require_torch()
    x = images(h=11, w=10)
    kwargs = {"align_corners": False, "antialias": antialias} if mode == "bilinear" else {}
    want = torch.nn.functional.interpolate(torch.from_numpy(x), size=size, mode=mode,
                                           **kwargs).numpy()
    tf = T.Resize(size, interpolation=mode, antialias=antialias)
    np.testing.assert_allclose(tf.batch(x), want, atol=1e-5)
    np.testing.assert_allclose(tf(x[0]), want[0], atol=1e-5)


def test_resize_int_matches_the_shorter_edge():
    assert T.Resize(5)(np.zeros((1, 10, 20), np.float32)).shape == (1, 5, 10)
    assert T.Resize(5)(np.zeros((1, 20, 10), np.float32)).shape == (1, 10, 5)
    assert T.Resize(5)(np.zeros((1, 7, 22), np.float32)).shape == (1, 5, 15)  # int(5 * 22 / 7)
    assert T.Resize(5, max_size=8)(np.zeros((1, 10, 20), np.float32)).shape == (1, 4, 8)
    assert T.Resize([6])(np.zeros((2, 6, 9), np.float32)).shape == (2, 6, 9)
    with pytest.raises(ValueError, match="max_size"):
        T.Resize((4, 4), max_size=10)


def test_resize_uint8_rounds_and_keeps_dtype():
    x = np.array([[[0, 255]]], np.uint8)  # (1, 1, 2)
    out = T.Resize((1, 4), antialias=False)(x)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[[0, 64, 191, 255]]])  # 255 * (0, .25, .75, 1), rounded


def test_resize_keeps_tensors_and_rejects_unknown_modes():
    out = T.Resize((4, 4))(gu.tensor(images()[0]))
    assert isinstance(out, gu.Tensor) and out.shape == (3, 4, 4)
    with pytest.raises(ValueError, match="bilinear"):
        T.Resize(4, interpolation="bicubic")


# ------------------------------------------------------------------ CenterCrop and Pad
def test_center_crop_offsets_follow_python_round():
    x = np.arange(5 * 6, dtype=np.float32).reshape(1, 5, 6)
    # top = round((5 - 2) / 2) = round(1.5) = 2; left = round((6 - 3) / 2) = round(1.5) = 2
    np.testing.assert_array_equal(T.CenterCrop((2, 3))(x), x[:, 2:4, 2:5])
    np.testing.assert_array_equal(T.CenterCrop(4).batch(x[None]), x[None, :, 0:4, 1:5])


def test_center_crop_larger_than_the_image_pads_with_zeros():
    x = np.ones((1, 2, 3), np.float32)
    out = T.CenterCrop((5, 4))(x)  # pad left 0, top 1, right 1, bottom 2
    want = np.zeros((1, 5, 4), np.float32)
    want[:, 1:3, 0:3] = 1
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("mode,torch_mode", [("constant", "constant"), ("edge", "replicate"),
                                             ("reflect", "reflect")])
def test_pad_matches_torch(mode, torch_mode):
    torch = require_torch()
    x = images()
    want = torch.nn.functional.pad(torch.from_numpy(x), (1, 2, 3, 1), mode=torch_mode).numpy()
    np.testing.assert_array_equal(T.Pad((1, 3, 2, 1), padding_mode=mode).batch(x), want)
    sym = T.Pad(2, padding_mode="symmetric")(x[0])
    np.testing.assert_array_equal(sym, np.pad(x[0], ((0, 0), (2, 2), (2, 2)), mode="symmetric"))


def test_pad_fill_per_channel():
    out = T.Pad((1, 0), fill=(1, 2, 3))(np.zeros((3, 2, 2), np.float32))
    np.testing.assert_array_equal(out[:, :, 0], [[1, 1], [2, 2], [3, 3]])
    np.testing.assert_array_equal(out[:, :, 1:3], 0)


# ------------------------------------------------------------------ RandomCrop
def _find_window(big, small):
    h, w = small.shape[-2:]
    for i in range(big.shape[-2] - h + 1):
        for j in range(big.shape[-1] - w + 1):
            if np.array_equal(big[..., i:i + h, j:j + w], small):
                return i, j
    return None


def test_random_crop_is_a_window_of_the_padded_image():
    x = images(n=1)[0]
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2)))
    gu.manual_seed(0)
    corners = {_find_window(padded, T.RandomCrop(9, padding=2)(x)) for _ in range(200)}
    assert None not in corners
    assert {i for i, _ in corners} == set(range(5)) and {j for _, j in corners} == set(range(8))


def test_random_crop_pad_if_needed_and_errors():
    x = np.ones((1, 3, 4), np.float32)
    out = T.RandomCrop((5, 6), pad_if_needed=True, fill=-1)(x)
    assert out.shape == (1, 5, 6) and (out == 1).sum() <= 12
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(5)(x)
    with pytest.raises(TypeError, match="padding"):
        T.RandomCrop(2, padding=1.5)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")


# ------------------------------------------------------------------ RandomResizedCrop
def test_random_resized_crop_of_the_whole_image_is_a_resize():
    torch = require_torch()
    x = images(h=10, w=15)
    tf = T.RandomResizedCrop((6, 8), scale=(1.0, 1.0), ratio=(1.5, 1.5))  # the box is the image
    want = torch.nn.functional.interpolate(torch.from_numpy(x), size=(6, 8), mode="bilinear",
                                           align_corners=False, antialias=True).numpy()
    np.testing.assert_allclose(tf.batch(x), want, atol=1e-5)


def test_random_resized_crop_boxes_follow_torchvision_rules():
    tf = T.RandomResizedCrop(4, scale=(0.25, 0.5), ratio=(0.5, 2.0))
    gu.manual_seed(0)
    p = tf._params(gu.random.get_generator().random((500, tf.draws)), 20, 30)
    area = p["height"] * p["width"] / 600
    assert (area > 0.2).all() and (area < 0.56).all()
    assert (p["top"] >= 0).all() and (p["top"] + p["height"] <= 20).all()
    assert (p["left"] >= 0).all() and (p["left"] + p["width"] <= 30).all()
    # no box can fit: the centre crop cut to the nearest allowed aspect ratio (w / h = 1)
    tf = T.RandomResizedCrop(4, scale=(2.0, 3.0), ratio=(1.0, 1.0))
    p = tf._params(np.zeros((1, tf.draws)), 20, 30)
    assert (p["top"][0], p["left"][0], p["height"][0], p["width"][0]) == (0, 5, 20, 20)


# ------------------------------------------------------------------ flips
def test_flips_match_torch_flip_and_mix_per_image():
    torch = require_torch()
    x = images(n=8)
    t = torch.from_numpy(x)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0).batch(x), torch.flip(t, [3]).numpy())
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(x[0]), torch.flip(t[0], [1]).numpy())
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0).batch(x), x)
    gu.manual_seed(5)
    out = T.RandomHorizontalFlip().batch(x)
    flipped = [np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)]
    kept = [np.array_equal(o, i) for o, i in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)


# ------------------------------------------------------------------ affine
def _torchvision_affine(torch, x, center, angle, translate, scale, shear, mode, fill):
    """torchvision.transforms.functional.affine on a tensor, written out with torch ops."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    (cx, cy), (tx, ty) = center, translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    x = torch.from_numpy(x)
    n, ch, h, w = x.shape
    theta = torch.tensor(m, dtype=x.dtype).reshape(1, 2, 3)
    base = torch.empty(1, h, w, 3, dtype=x.dtype)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h).unsqueeze_(-1))
    base[..., 2].fill_(1)
    scale_xy = torch.tensor([0.5 * w, 0.5 * h], dtype=x.dtype)
    grid = base.view(1, h * w, 3).bmm(theta.transpose(1, 2) / scale_xy).view(1, h, w, 2)
    img = torch.cat([x, torch.ones(n, 1, h, w, dtype=x.dtype)], 1)
    out = torch.nn.functional.grid_sample(img, grid.expand(n, h, w, 2), mode=mode,
                                          padding_mode="zeros", align_corners=False)
    mask, out = out[:, -1:].expand(n, ch, h, w), out[:, :-1].clone()
    fill_img = torch.tensor(fill, dtype=x.dtype).view(1, -1, 1, 1).expand_as(out)
    if mode == "nearest":
        out[mask < 0.5] = fill_img[mask < 0.5]
    else:
        out = out * mask + (1 - mask) * fill_img
    return out.numpy()


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("angle,scale,shear,center", [
    (30.0, 1.1, (5.0, -3.0), None), (-70.0, 0.8, (0.0, 0.0), (2.0, 7.5)),
    (0.0, 1.0, (12.0, 0.0), None)])
def test_random_affine_matches_torchvision_warp(mode, angle, scale, shear, center):
    torch = require_torch()
    x = images(h=9, w=12)
    fill = (0.2, 0.5, 0.7)
    tf = T.RandomAffine((angle, angle), scale=(scale, scale), interpolation=mode, fill=fill,
                        shear=(shear[0], shear[0], shear[1], shear[1]), center=center)
    centre = (0.0, 0.0) if center is None else (center[0] - 6.0, center[1] - 4.5)
    want = _torchvision_affine(torch, x, centre, angle, (0, 0), scale, shear, mode, fill)
    np.testing.assert_allclose(tf.batch(x), want, atol=1e-5)


def test_affine_translation_and_rotation_by_hand():
    x = RNG.random((1, 1, 6, 6)).astype(np.float32)

    def warp(angle, tx, ty):
        theta = pixels.inverse_affine(np.zeros((1, 2)), np.array([angle]), np.array([[tx, ty]]),
                                      np.ones(1), np.zeros((1, 2)))
        return pixels.affine(x, theta, "nearest", np.array([-1.0]))[0, 0]

    shifted = np.full((6, 6), -1.0, np.float32)
    shifted[1:, 2:] = x[0, 0, :5, :4]  # content moves 2 right and 1 down
    np.testing.assert_array_equal(warp(0.0, 2, 1), shifted)
    np.testing.assert_array_equal(warp(90.0, 0, 0), np.rot90(x[0, 0], -1))  # clockwise
    rot = T.RandomRotation((90, 90))(x[0])  # rotate() turns counter-clockwise
    np.testing.assert_array_equal(rot[0], np.rot90(x[0, 0], 1))


def test_random_affine_translations_are_whole_pixels_within_range():
    tf = T.RandomAffine(0, translate=(0.25, 0.5))
    gu.manual_seed(0)
    theta = tf._params(gu.random.get_generator().random((300, tf.draws)), 8, 12)["theta"]
    tx, ty = -theta[:, 0, 2], -theta[:, 1, 2]
    assert np.array_equal(tx, np.round(tx)) and np.abs(tx).max() <= 3 and len(set(tx)) == 7
    assert np.abs(ty).max() <= 4


def test_affine_on_uint8_and_errors():
    x = RNG.integers(0, 256, (2, 3, 8, 8), dtype=np.uint8)
    out = T.RandomAffine(15, interpolation="bilinear").batch(x)
    assert out.dtype == np.uint8 and out.shape == x.shape
    with pytest.raises(ValueError, match="fill has 2 values"):
        T.RandomAffine(10, fill=(1, 2))(x[0])
    with pytest.raises(ValueError, match="degrees"):
        T.RandomAffine(-5)
    with pytest.raises(ValueError, match="expand"):
        T.RandomRotation(10, expand=True)
