"""The reconstruction task (autoencoder, vae): images in, the same images out.

The data is a classifier's Split (the bundled digits, MNIST-format files, image
folders) with its inputs scaled to [0, 1]: each image is both the input and the
target; the labels are used only to colour the latent scatter. The loss is the
binary cross-entropy of the reconstruction logits summed over each image's pixels
(nats per image), plus beta times the KL term for the VAE: its negative ELBO. The
training step logs both terms per epoch ("recon", "kl"). With --noise STD the
inputs of each training batch get Gaussian noise (a denoising autoencoder); the
target stays the clean image. Validation and test figures use the clean inputs and,
for the VAE, the mean code (z = mu); the report compares the test MSE with that of
predicting the training mean image. Measured figures: see the recipes (models/recipes.py).
"""

import os

import numpy as np

import groundup as gu

from ..cli_common import CLIError
from . import tasks

__all__ = ["TASK", "ReconstructTask"]

SCALE = 4  # pixels per image pixel in the sample grid


class ReconstructTask(tasks.Task):
    name = "reconstruct"
    options = {
        "beta": tasks.Option(float, 1.0, "weight of the KL term of the VAE loss (a beta-VAE "
                             "above 1)", low=0),
        "noise": tasks.Option(float, 0.0, "denoising: std of Gaussian noise added to the "
                              "inputs", low=0),
    }

    # ---------------------------------------------------------------- data
    def load_data(self, s):
        split = super().load_data(s)
        for part, X in (("train", split.X_train), ("test", split.X_test)):
            scaled = split.scale(X)
            low, high = float(scaled.min()), float(scaled.max())
            if low < -1e-6 or high > 1 + 1e-6:
                raise CLIError(f"--data {s['data']}: a {s['model']} reconstructs inputs scaled "
                               f"to [0, 1] (images); the {part} inputs span "
                               f"[{low:.3g}, {high:.3g}]")
        return split

    def loaders(self, data, s):
        from ..data import DataLoader, TensorDataset

        split = data

        def pairs(X):
            X = np.clip(split.scale(X), 0.0, 1.0).astype(np.float32, copy=False)
            return TensorDataset(X, X)

        train = DataLoader(pairs(split.X_train), batch_size=s["batch_size"], shuffle=True,
                           seed=s["seed"])
        val = None
        if split.y_val is not None:
            val = DataLoader(pairs(split.X_val), batch_size=512)
        return train, val, DataLoader(pairs(split.X_test), batch_size=512)

    # ------------------------------------------------------------ training
    def loss(self, s):
        from ..models.autoencoder import VAELoss

        return VAELoss(beta=s.get("beta", 1.0))

    def step(self, s, model):
        noise = float(s.get("noise") or 0.0)

        def step(state, inputs, target):
            x = inputs[0]
            if noise > 0:
                x = x + gu.randn(*x.shape, dtype=x.dtype) * noise
            output = state.model(x)
            loss, recon, kl = state.loss_fn.terms(output, target)
            state.optimizer.zero_grad()
            loss.backward()
            state.optimizer.step()
            logs = {"loss": loss, "recon": recon}
            if kl is not None:
                logs["kl"] = kl
            return logs

        return step

    def metrics(self, s):
        return ()

    # -------------------------------------------------------------- report
    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        split = data
        figures = reconstruction_figures(best_model, split, test_loader, s.get("beta", 1.0))
        which = (f"the best model (epoch {ckpt.best_epoch})" if best_model is not model
                 else "the last model")
        print(f"test reconstruction with {which}, {len(split.y_test)} test images:")
        print(f"  BCE {figures['bce']:.2f} nats per image, MSE {figures['mse']:.5f} per pixel "
              f"(predicting the training mean image: MSE {figures['mean_mse']:.5f}, ratio "
              f"{figures['mse'] / figures['mean_mse']:.3f})")
        if "kl" in figures:
            print(f"  KL {figures['kl']:.2f} nats, negative ELBO (beta 1) "
                  f"{figures['bce'] + figures['kl']:.2f} nats per image")
        print(f"checkpoint: {ckpt.path}")
        try:
            paths = [tasks.plot_curves(out, ckpt.best_epoch)] + pictures(out, best_model, split)
            print(f"plots: {', '.join(paths)}")
        except ImportError:
            print("plots skipped: matplotlib is not installed (pip install 'groundup[plot]')")

    # ------------------------------------------------------------- sample
    def sample(self, args, loaded):
        path, kind, meta, model, run = loaded
        if not hasattr(model, "sample"):
            name = meta["config"]["model"]
            raise CLIError(f"{name} cannot sample: a plain autoencoder has no prior over its "
                           f"codes (train a vae to generate images)")
        num = 64 if args.num is None else args.num
        if num < 1:
            raise CLIError(f"--num must be >= 1; got {num}")
        images = model.sample(num, gu.Generator().manual_seed(args.seed))
        target = args.out or os.path.join(os.path.dirname(path), "samples.png")
        try:
            save_grid(images, target)
        except ImportError as e:
            raise CLIError(f"groundup sample needs Pillow to write images ({e})") from None
        except OSError as e:
            raise CLIError(f"--out {target}: {e.strerror or e}") from None
        print(f"{num} samples -> {target}")
        return 0


# ------------------------------------------------------------------ figures
def reconstruction_figures(model, split, loader, beta=1.0):
    """{"bce": nats per image, "mse": per pixel, "mean_mse": of the training mean image,
    "kl": nats per image (VAE)} of `model` on `loader`'s (clean) images."""
    from ..models.autoencoder import VAELoss

    loss_fn = VAELoss(beta)
    sums, seen, mse = {"bce": 0.0, "kl": 0.0}, 0, 0.0
    mean = np.clip(split.scale(split.X_train), 0, 1).mean(axis=0)
    mean_mse = 0.0
    model.eval()
    with gu.no_grad():
        for x, target in loader:
            output = model(x)
            _, recon, kl = loss_fn.terms(output, target)
            n = x.shape[0]
            sums["bce"] += float(recon.item()) * n
            if kl is not None:
                sums["kl"] += float(kl.item()) * n
            logits = output[0] if isinstance(output, tuple) else output
            pixels = 1.0 / (1.0 + np.exp(-logits.array.astype(np.float64)))
            t = target.array.astype(np.float64)
            mse += float(((pixels - t) ** 2).mean(axis=tuple(range(1, t.ndim))).sum())
            mean_mse += float(((mean - t) ** 2).mean(axis=tuple(range(1, t.ndim))).sum())
            seen += n
    figures = {"bce": sums["bce"] / seen, "mse": mse / seen, "mean_mse": mean_mse / seen}
    if isinstance(output, tuple):
        figures["kl"] = sums["kl"] / seen
    return figures


def save_grid(images, path, nrow=8):
    """A grid of images (N, C, H, W) in [0, 1], each pixel SCALE x SCALE, as a PNG."""
    from .. import viz

    grid = viz.make_grid(images, nrow=nrow, padding=1, pad_value=1.0)
    grid = grid.array if isinstance(grid, gu.Tensor) else grid
    grid = np.repeat(np.repeat(grid, SCALE, axis=1), SCALE, axis=2)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    viz.save_image(grid, path)
    return path


def pictures(out, model, split, n=32):
    """reconstructions.png (inputs above their reconstructions), latent.png (the codes of
    the test images, coloured by label) and, for the VAE, prior_samples.png; returns the paths."""
    from .. import viz

    X = np.clip(split.scale(split.X_test), 0, 1).astype(np.float32)
    model.eval()
    with gu.no_grad():
        shown = gu.tensor(X[:n])
        recon = model.reconstruct(shown).array
    rows = []
    for i in range(0, len(recon), 8):  # alternate rows: 8 inputs, their 8 reconstructions
        rows += [X[i:i + 8], recon[i:i + 8]]
    paths = [viz.plot_image_grid(np.concatenate(rows), os.path.join(out, "reconstructions.png"),
                                 nrow=8, title="inputs (odd rows) and reconstructions")]
    if hasattr(model, "sample"):
        samples = model.sample(64, gu.Generator().manual_seed(0)).array
        paths.append(viz.plot_image_grid(samples, os.path.join(out, "prior_samples.png"), nrow=8,
                                         title="samples from the prior"))
    paths.append(plot_latent(model, X, split.y_test, os.path.join(out, "latent.png"),
                             split.class_names))
    return paths


def plot_latent(model, X, labels, path, class_names=None):
    """The codes of X (the VAE's means) in 2-D, coloured by label: the first two
    principal components (the code itself when it has 2 dimensions or fewer)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with gu.no_grad():
        z = model.encode(gu.tensor(X))
    z = (z[0] if isinstance(z, tuple) else z).array.astype(np.float64)
    if z.shape[1] > 2:
        centred = z - z.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        z, axes = centred @ vt[:2].T, ("PC 1", "PC 2")
    else:
        z, axes = np.pad(z, ((0, 0), (0, 2 - z.shape[1]))), ("z 1", "z 2")
    fig = Figure(figsize=(6, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    labels = np.asarray(labels)
    for k, c in enumerate(np.unique(labels)):
        sel = labels == c
        name = class_names[int(c)] if class_names is not None and int(c) < len(class_names) \
            else str(c)
        ax.scatter(z[sel, 0], z[sel, 1], s=6, color=f"C{k % 10}", label=str(name))
    ax.set_xlabel(axes[0])
    ax.set_ylabel(axes[1])
    ax.set_title("latent codes of the test images")
    ax.legend(markerscale=2, fontsize=7, loc="best")
    fig.savefig(path, format="png", dpi=100)
    return path


TASK = ReconstructTask()
