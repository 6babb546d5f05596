"""Helpers shared by the command's tests."""

import csv

import numpy as np

PNG = b"\x89PNG\r\n\x1a\n"  # the first bytes of every PNG file


def assert_user_error(out, fragment):
    """Exit status 2, one line on stderr naming the problem, no traceback."""
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert fragment in lines[0], lines[0]


def write_csv(path, labels, header="a,b,label", features=None, delimiter=","):
    """A small table: two feature columns (seeded normal, or `features`), the label last."""
    rng = np.random.default_rng(0)
    lines = [header.replace(",", delimiter)] if header else []
    for i, label in enumerate(labels):
        x = features[i] if features is not None else rng.normal(size=2).round(4)
        lines.append(delimiter.join(str(v) for v in x) + f"{delimiter}{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


def history_epochs(run_dir):
    """The epoch column of a run's history.csv."""
    rows = (run_dir / "history.csv").read_text().strip().splitlines()[1:]
    return [int(r.split(",")[0]) for r in rows]


def weights(path):
    import groundup as gu

    return gu.io.load_checkpoint(path, restore_rng=False)["model"]


def assert_same_weights(a, b):
    wa, wb = weights(a), weights(b)
    assert sorted(wa) == sorted(wb)
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)


def history_rows(run_dir):
    """A run's history.csv as a list of {column: value} rows."""
    with open(run_dir / "history.csv", newline="") as f:
        return list(csv.DictReader(f))


def trained(tmp_path_factory, model, *args):
    """`groundup train MODEL args... --out run --no-progress` in a fresh folder, for a
    module-scoped fixture; the run's folder."""
    from .conftest import run_quietly

    root = tmp_path_factory.mktemp(model)
    assert run_quietly("train", model, *args, "--out", "run", "--no-progress", cwd=root) == 0
    return root / "run"


def mnist_like(directory, n_train, n_test):
    """MNIST-format IDX files of 28x28 images in `directory`: the bundled 8x8 digits, each
    pixel 3x3, padded by 2; returns the directory."""
    from groundup.data.datasets import load_digits

    X, y = load_digits(split="train", as_images=True)
    images = np.pad(np.kron(X[:n_train + n_test, 0], np.ones((3, 3))), ((0, 0), (2, 2), (2, 2)))
    images = np.round(images * 255).astype(np.uint8)
    y = y[:n_train + n_test]
    for stem, part in (("train", slice(0, n_train)), ("t10k", slice(n_train, None))):
        for kind, arr in (("images", images[part]), ("labels", y[part].astype(np.uint8))):
            header = bytes([0, 0, 8, arr.ndim]) + b"".join(
                int(d).to_bytes(4, "big") for d in arr.shape)
            (directory / f"{stem}-{kind}-idx{arr.ndim}-ubyte").write_bytes(header + arr.tobytes())
    return directory
