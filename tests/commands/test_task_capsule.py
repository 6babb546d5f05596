"""`groundup train capsnet`: the capsule task's loss, logs and pictures."""

from PIL import Image

from .support import assert_same_weights, assert_user_error


def test_train_capsnet_logs_and_draws(gu_main, tmp_path):
    out = gu_main("train", "capsnet", "--epochs", "1", "--out", tmp_path / "c", "--no-progress",
                  "--recon-weight", "0.001").stdout
    assert "recon_weight 0.001" in out and "test accuracy" in out
    header = (tmp_path / "c" / "history.csv").read_text().splitlines()[0]
    assert "recon" in header and "val_accuracy" in header
    for name in ("reconstructions", "perturbation", "curves", "confusion", "filters"):
        path = tmp_path / "c" / f"{name}.png"
        with Image.open(path) as image:
            image.verify()
            assert image.format == "PNG", name
    assert_user_error(gu_main("train", "mlp", "--recon-weight", "1", "--out", tmp_path / "m",
                              check=False), "--recon-weight")


def test_shift_images_moves_each_image_within_the_padding():
    import numpy as np

    import groundup as gu
    from groundup.commands.task_capsule import shift_images

    x = gu.tensor(np.arange(1, 2 * 3 * 25 + 1, dtype=np.float32).reshape(2, 3, 5, 5))
    gu.manual_seed(0)
    moved = shift_images(x, 1).array
    assert moved.shape == x.shape and moved.dtype == np.float32
    for n in range(2):  # each image is its original moved by one (dy, dx) in -1..1, zero-filled
        found = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                 if np.array_equal(moved[n], np.roll(np.pad(x.array[n], ((0, 0), (1, 1), (1, 1))),
                                                     (dy, dx), axis=(1, 2))[:, 1:-1, 1:-1])]
        assert len(found) == 1, n
    gu.manual_seed(0)
    np.testing.assert_array_equal(shift_images(x, 1).array, moved)


def test_resume_continues_exactly(gu_main, tmp_path):
    """The shifts come from the shared generator, which the checkpoint restores."""
    common = ("--no-progress", "--val-split", "0")
    gu_main("train", "capsnet", "--epochs", "2", "--out", tmp_path / "whole", *common)
    gu_main("train", "capsnet", "--epochs", "1", "--out", tmp_path / "half", *common)
    gu_main("train", "--resume", tmp_path / "half", "--epochs", "2", "--no-progress")
    assert_same_weights(tmp_path / "whole" / "last.safetensors",
                        tmp_path / "half" / "last.safetensors")
