"""models/vit.py: the vision Transformer."""

import numpy as np
import pytest

import groundup as gu
from groundup.data import datasets
from groundup.models.vit import ViT, ViTConfig, default_patch_size


def test_default_patch_sizes():
    assert default_patch_size(8, 8) == 2      # 16 patches of 2x2
    assert default_patch_size(28, 28) == 7    # 16 patches of 7x7
    assert default_patch_size(32, 32) == 8
    assert default_patch_size(7, 5) == 1      # no common divisor: one pixel per patch


@pytest.mark.parametrize("shape, patch, tokens", [([1, 8, 8], None, 16), ([1, 8, 8], 4, 4),
                                                  ([1, 28, 28], None, 16),
                                                  ([1, 28, 28], 4, 49), ([3, 8, 4], 2, 8)])
def test_shapes(shape, patch, tokens):
    gu.manual_seed(0)
    model = ViT(ViTConfig(input_shape=shape, num_classes=7, patch_size=patch, width=16,
                          layers=1, heads=2, mlp=32))
    assert model.num_patches == tokens
    x = gu.randn(3, *shape)
    assert model.tokens(x).shape == (3, tokens + 1, 16)
    assert model(x).shape == (3, 7)


def test_state_dict_names_and_round_trip(tmp_path):
    gu.manual_seed(0)
    model = gu.models.build("vit", input_shape=[1, 8, 8], num_classes=10, width=16, layers=2,
                            heads=2, mlp=32)
    state = model.state_dict()
    for name, shape in (("cls_token", (1, 1, 16)), ("patch_embed.weight", (16, 1, 4, 4)),
                        ("pos_embed.weight", (17, 16)), ("norm.weight", (16,)),
                        ("head.weight", (10, 16)),
                        ("encoder.layers.1.self_attn.in_proj_weight", (48, 16)),
                        ("encoder.layers.0.linear1.weight", (32, 16))):
        assert state[name].shape == shape, name
    gu.models.save(model, tmp_path / "vit.safetensors")
    again = gu.models.load(tmp_path / "vit.safetensors")
    assert again.config.patch_size == 2
    x = gu.randn(2, 1, 8, 8)
    model.eval()
    np.testing.assert_allclose(again(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_shift_moves_training_images_only():
    model = ViT(ViTConfig(width=16, layers=1, heads=2, mlp=32, dropout=0.0, shift=1))
    x = gu.tensor(np.arange(2 * 64, dtype=np.float32).reshape(2, 1, 8, 8))
    gu.manual_seed(0)
    moved = model.shifted(x).numpy()
    assert moved.shape == (2, 1, 8, 8) and moved.dtype == np.float32
    for image, original in zip(moved[:, 0], x.numpy()[:, 0]):
        # a window of the zero-padded image: some (dy, dx) in [-1, 1]^2 reproduces it
        padded = np.pad(original, 1)
        assert any(np.array_equal(image, padded[1 + dy:9 + dy, 1 + dx:9 + dx])
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    gu.manual_seed(0)
    np.testing.assert_array_equal(model.shifted(x).numpy(), moved)   # seeded
    model.eval()
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())   # no shift in eval
    with pytest.raises(ValueError, match=r"shift must be an int in \[0, 8\)"):
        ViT(ViTConfig(shift=8))


def test_overlap_lets_a_patch_token_see_its_neighbours_pixels():
    """overlap 1: the 2x2 patch at the top left is embedded from a 4x4 window (zero padded),
    so a pixel of the next patch moves its token; overlap 0 (kernel = stride) does not."""
    x = gu.tensor(np.zeros((1, 1, 8, 8), np.float32))
    nudged = x.numpy().copy()
    nudged[0, 0, 0, 2] = 1.0                   # a pixel of patch (0, 1), next to patch (0, 0)
    for overlap, kernel, moves in ((0, 2, False), (1, 4, True), (2, 6, True)):
        gu.manual_seed(0)
        model = ViT(ViTConfig(width=16, layers=1, heads=2, mlp=32, overlap=overlap))
        assert model.patch_embed.weight.shape == (16, 1, kernel, kernel)
        a = model.patch_embed(x).numpy()[0, :, 0, 0]
        b = model.patch_embed(gu.tensor(nudged)).numpy()[0, :, 0, 0]
        assert (not np.allclose(a, b)) == moves, overlap
        assert model.tokens(x).shape == (1, 17, 16)
    assert ViTConfig().overlap == 1
    with pytest.raises(ValueError, match=r"overlap must be an int in \[0, patch_size 2\]"):
        ViT(ViTConfig(overlap=3))


def test_pool_picks_what_the_head_reads():
    """pool "mean": the head reads the mean of the patch tokens; "cls": the class token."""
    gu.manual_seed(0)
    x = gu.randn(3, 1, 8, 8)
    for pool in ("mean", "cls"):
        model = ViT(ViTConfig(width=16, layers=1, heads=2, mlp=32, pool=pool)).eval()
        with gu.no_grad():
            z = model.norm(model.encoder(model.tokens(x))).numpy()     # (3, 17, 16)
            read = z[:, 1:].mean(axis=1) if pool == "mean" else z[:, 0]
            want = read @ model.head.weight.numpy().T + model.head.bias.numpy()
            np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-5, atol=1e-6)
    assert ViTConfig().pool == "mean"
    with pytest.raises(ValueError, match="pool must be one of cls, mean, got 'max'"):
        ViT(ViTConfig(pool="max"))


def test_bad_config_and_input_are_named():
    with pytest.raises(ValueError, match="patch_size 3 must divide the image size 8x8"):
        ViT(ViTConfig(patch_size=3))
    with pytest.raises(ValueError, match="divisible by heads"):
        ViT(ViTConfig(width=30, heads=4))
    with pytest.raises(ValueError, match=r"ViT: expected images \(N, 1, 8, 8\)"):
        ViT(ViTConfig())(gu.randn(2, 1, 28, 28))


def test_learns_digits():
    """A small ViT on 600 digits, a few epochs (about 5-10 s): far above chance (10%)."""
    X, y = datasets.load_digits(as_images=True)
    gu.manual_seed(0)
    model = ViT(ViTConfig(width=32, layers=2, heads=4, mlp=64, dropout=0.0, shift=0))
    opt = gu.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
    order = np.random.default_rng(0)
    train, test = slice(0, 600), slice(1400, 1797)
    Xtr, ytr = X[train], y[train]
    for _ in range(16):
        perm = order.permutation(len(ytr))
        for i in range(0, len(ytr), 50):
            b = perm[i:i + 50]
            loss = gu.nn.functional.cross_entropy(model(gu.tensor(Xtr[b])), gu.tensor(ytr[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with gu.no_grad():
        accuracy = (model(gu.tensor(X[test])).numpy().argmax(1) == y[test]).mean()
    assert accuracy > 0.75, accuracy


def test_a_checkpoint_saved_before_overlap_and_pool_loads_as_it_was_built(tmp_path):
    """Its config has neither field: the model is rebuilt with the paper's patches and the
    class token's head, as it was trained."""
    from groundup.models import registry

    old = registry.build("vit", input_shape=[1, 8, 8], num_classes=10, overlap=0, pool="cls")
    path = str(tmp_path / "old.safetensors")
    registry.save(old, path)
    meta = gu.io.load_metadata(path)
    del meta["config"]["overlap"], meta["config"]["pool"]
    gu.io.save(old.state_dict(), path, metadata=meta)
    model = registry.load(path)
    assert (model.config.overlap, model.config.pool) == (0, "cls")
    x = gu.randn(2, 1, 8, 8)
    old.eval()
    np.testing.assert_allclose(model(x).numpy(), old(x).numpy(), rtol=1e-6)
    new = registry.build("vit", input_shape=[1, 8, 8], num_classes=10)
    assert (new.config.overlap, new.config.pool) == (1, "mean")  # new models: the defaults
