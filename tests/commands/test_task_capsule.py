"""`groundup train capsnet`: the capsule task's loss, logs and pictures."""

from PIL import Image

from .support import assert_same_weights, assert_user_error


def test_train_capsnet_logs_and_draws(gu_main, tmp_path):
    out = gu_main("train", "capsnet", "--epochs", "1", "--out", tmp_path / "c", "--no-progress",
                  "--recon-weight", "0.001").stdout
    assert "recon_weight 0.001" in out and "test accuracy" in out
    header = (tmp_path / "c" / "history.csv").read_text().splitlines()[0]
    assert "recon" in header and "val_accuracy" in header
    for name in ("reconstructions", "perturbation", "curves", "confusion", "filters",
                 "feature_maps", "errors"):
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


def test_eval_reports_the_margin_loss_and_errors_use_the_lengths(gu_main, tmp_path,
                                                                  monkeypatch):
    import numpy as np

    import groundup as gu
    from groundup.commands.runs import load_run
    from groundup.data import spec as data_spec

    seen = {}
    draw = gu.viz.plot_worst_errors

    def spy(images, labels, probs, path, **kwargs):
        seen.update(probs=np.asarray(probs), confidence=kwargs.get("confidence"))
        return draw(images, labels, probs, path, **kwargs)

    monkeypatch.setattr(gu.viz, "plot_worst_errors", spy)
    run = tmp_path / "c"
    gu_main("train", "capsnet", "--epochs", "1", "--out", run, "--no-progress")
    # errors.png: the capsule lengths as they are (each in [0, 1), not a softmax), so named
    assert "probability the digit is present" in seen["confidence"]
    probs = seen["probs"]
    assert probs.min() >= 0 and probs.max() < 1
    assert not np.allclose(probs.sum(1), 1.0, atol=1e-2)
    with Image.open(run / "errors.png") as image:
        image.verify()
        assert image.format == "PNG"

    out = gu_main("eval", run).stdout
    line = next(x for x in out.splitlines() if x.startswith("digits (test split)"))
    assert "accuracy" in line and "margin loss" in line, line
    reported = float(line.split("margin loss ")[1].split()[0])
    # the margin loss of the best model's lengths on the test split, in raw NumPy
    path, kind, meta, model, info = load_run(str(run), None)
    split = data_spec.load("digits", seed=0, val_split=0.1)
    with gu.no_grad():
        model.eval()
        L = model(gu.tensor(data_spec.apply_scaling(split.X_test, info["scaling"]))).numpy()
    T = np.eye(10)[split.y_test]
    margin = (T * np.maximum(0, 0.9 - L) ** 2
              + 0.5 * (1 - T) * np.maximum(0, L - 0.1) ** 2).sum(1).mean()
    assert abs(reported - margin) < 1e-3, (reported, margin)
    accuracy = float(line.split("accuracy ")[1].split()[0])
    assert abs(accuracy - (L.argmax(1) == split.y_test).mean()) < 1e-3
    # predict gives the predicted digit's capsule length as its probability
    np.save(tmp_path / "x.npy", split.X_test[:4])
    gu_main("predict", run, tmp_path / "x.npy", "--output", tmp_path / "p.csv")
    rows = [r.split(",") for r in (tmp_path / "p.csv").read_text().splitlines()[1:]]
    assert [int(r[1]) for r in rows] == list(L[:4].argmax(1))
    np.testing.assert_allclose([float(r[2]) for r in rows], L[:4].max(1), atol=1e-5)
