"""The bundled 8x8 digits as 28x28 MNIST-format IDX files: a stand-in for MNIST.

MNIST cannot be had on machines without a network, so the default training schedule
of the CNNs for `--data mnist:DIR` is tuned on this proxy. Each 8x8 digit (pixel
counts 0-16) is upscaled bilinearly (groundup's interpolate, align_corners=False) to a
`box` x `box` square, scaled to 0-255 and centred on a 28x28 black canvas, as MNIST
centres its digits in a 20x20 box (box=28 fills the canvas). The train split (1,438
images) can be enlarged with `copies`: every copy after the first is shifted by up
to `shift` pixels at random (seeded), so a few epochs see as many images as a few
epochs of MNIST would. The test split (359 images) is written once, unshifted.

Writes train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
t10k-labels-idx1-ubyte (the files `load_mnist` and `--data mnist:DIR` read):

    python benchmarks/make_digits28.py /tmp/digits28
    python benchmarks/make_digits28.py /tmp/digits28x40 --copies 40
    groundup train lenet --data mnist:/tmp/digits28 --epochs 3
"""

import argparse
import os
import sys

import numpy as np

import groundup as gu
from groundup.data import datasets

SIZE = 28


def write_idx(path, array):
    """Write a uint8 array as an IDX file (magic 00 00 08 ndim, big-endian dimensions)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header + array.tobytes())
    os.replace(tmp, path)
    return path


def upscale(X, box=20):
    """(N, 1, 8, 8) pixel counts 0-16 -> uint8 (N, 28, 28) images 0-255, the digit in the
    centred box x box square."""
    if not 8 <= box <= SIZE:
        raise ValueError(f"make_digits28: box must lie in 8..{SIZE}; got {box}")
    with gu.no_grad():
        big = gu.nn.functional.interpolate(gu.tensor(np.asarray(X, np.float32)),
                                           size=(box, box), mode="bilinear",
                                           align_corners=False).numpy()[:, 0]
    out = np.zeros((len(X), SIZE, SIZE), dtype=np.uint8)
    top = (SIZE - box) // 2
    pixels = np.clip(np.rint(big * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    out[:, top:top + box, top:top + box] = pixels
    return out


def _shifted(images, rng, shift):
    """Each image moved by a random whole number of pixels in [-shift, shift] (zeros fill)."""
    n = len(images)
    padded = np.pad(images, ((0, 0), (shift, shift), (shift, shift)))
    dy, dx = rng.integers(0, 2 * shift + 1, size=(2, n))
    rows = dy[:, None] + np.arange(SIZE)  # (n, 28)
    cols = dx[:, None] + np.arange(SIZE)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def make_digits28(directory, box=20, copies=1, shift=2, seed=0, train_limit=None,
                  test_limit=None):
    """Write the MNIST-format files into directory; returns {name: path}.

    train_limit / test_limit keep only the first images of each split (small files for
    tests)."""
    if copies < 1:
        raise ValueError(f"make_digits28: copies must be at least 1; got {copies}")
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for split, stem in (("train", "train"), ("test", "t10k")):
        X, y = datasets.load_digits(split=split, normalize=False, as_images=True)
        limit = train_limit if split == "train" else test_limit
        X, y = X[:limit], y[:limit]
        images = upscale(X, box)
        if split == "train" and copies > 1:
            images = np.concatenate([images] + [_shifted(images, rng, shift)
                                                for _ in range(copies - 1)])
            y = np.tile(y, copies)
        for kind, array in (("images", images), ("labels", y.astype(np.uint8))):
            name = f"{stem}-{kind}-idx{array.ndim}-ubyte"
            written[name] = write_idx(os.path.join(directory, name), array)
    return written


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("directory", help="where to write the IDX files (created if missing)")
    p.add_argument("--box", type=int, default=20,
                   help="side of the square the digit is scaled to (default 20, as MNIST)")
    p.add_argument("--copies", type=int, default=1,
                   help="copies of the train split, each after the first randomly shifted")
    p.add_argument("--shift", type=int, default=2, help="largest shift of a copy, in pixels")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    written = make_digits28(args.directory, args.box, args.copies, args.shift, args.seed)
    for path in written.values():
        print(f"{path}  ({os.path.getsize(path):,} bytes)")
    print(f"try: groundup train lenet --data mnist:{args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
