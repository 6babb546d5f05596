"""The reconstruction task (autoencoder, convae, vae): images in, the same images out.

The data is a classifier's Split (the bundled digits, MNIST-format files, image
folders) with its inputs scaled to [0, 1]: each image is both the input and the
target; the labels are used only to colour the latent scatter. The loss is the
binary cross-entropy of the reconstruction logits summed over each image's pixels
(nats per image), plus beta times the KL term for the VAE: its negative ELBO. The
training step logs both terms per epoch ("recon", "kl") and so does the validation
split after each epoch ("val_recon", "val_kl": HeldOutTerms). With --noise STD the
inputs of each training batch get Gaussian noise (a denoising autoencoder); the
target stays the clean image; with --mask P a fraction P of the input pixels is set to
0 instead (masking noise; both may be given). With --conditional a VAE sees each
image's label as well (a conditional VAE: `groundup sample DIR --digit D` draws class
D). Validation and test figures use the clean inputs and, for the VAE, the mean code
(z = mu), so val_loss is the negative ELBO evaluated at the mean code; the report
compares the test MSE with that of predicting the training mean image. The pictures:
reconstructions.png, latent.png, interpolation.png (decoded points on the line between
the codes of two test images of different classes) and, for the VAE,
prior_samples.png; the VAE's report also gives the judge's figures (models/judge.py) of
1,000 images decoded from prior codes. `groundup eval DIR` prints the test figures again
(--data: another data set's test split). Measured figures: see the recipes (models/recipes.py).
"""

import os

import numpy as np

import groundup as gu

from ..cli_common import CLIError
from ..train.callback_base import Callback
from . import tasks

__all__ = ["TASK", "ReconstructTask", "HeldOutTerms", "loss_terms"]

SCALE = 4  # pixels per image pixel in the sample grid
JUDGE_SAMPLES = 1000  # prior samples of a VAE the judge scores in the report and eval


class ReconstructTask(tasks.Task):
    name = "reconstruct"
    options = {
        "beta": tasks.Option(float, 1.0, "weight of the KL term of the VAE loss (a beta-VAE "
                             "above 1)", low=0),
        "noise": tasks.Option(float, 0.0, "denoising: std of Gaussian noise added to the "
                              "inputs", low=0),
        "mask": tasks.Option(float, 0.0, "denoising: the fraction of input pixels set to 0 "
                             "(masking noise)", low=0, high=1),
        "conditional": tasks.Option(bool, False, "a conditional VAE: encoder and decoder see "
                                    "the one-hot label (sample --digit D draws class D)",
                                    models=("vae",)),
    }

    def model_config(self, spec, data, s):
        config = super().model_config(spec, data, s)
        if s.get("conditional"):
            if s["model"] != "vae":
                raise CLIError(f"--conditional applies to the vae (a conditional VAE); "
                               f"{s['model']} has no labelled decoder")
            config["num_classes"] = int(data.classes)
        return config

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
        labelled = bool(s.get("conditional"))

        def pairs(X, y):  # (image, image) or, conditional, (image, label, image)
            X = np.clip(split.scale(X), 0.0, 1.0).astype(np.float32, copy=False)
            return TensorDataset(X, np.asarray(y, dtype=np.int64), X) if labelled \
                else TensorDataset(X, X)

        train = DataLoader(pairs(split.X_train, split.y_train), batch_size=s["batch_size"],
                           shuffle=True, seed=s["seed"])
        val = None
        if split.y_val is not None:
            val = DataLoader(pairs(split.X_val, split.y_val), batch_size=512)
        return train, val, DataLoader(pairs(split.X_test, split.y_test), batch_size=512)

    # ------------------------------------------------------------ training
    def loss(self, s):
        from ..models.autoencoder import VAELoss

        return VAELoss(beta=s.get("beta", 1.0))

    def step(self, s, model):
        noise = float(s.get("noise") or 0.0)
        mask = float(s.get("mask") or 0.0)

        def step(state, inputs, target):
            x = corrupt(inputs[0], noise, mask)
            output = state.model(x, *inputs[1:])
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

    def callbacks(self, out, s, data, model):
        return [HeldOutTerms(s.get("beta", 1.0))]

    # -------------------------------------------------------------- report
    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        split = data
        figures = reconstruction_figures(best_model, split, test_loader, s.get("beta", 1.0))
        which = (f"the best model (epoch {ckpt.best_epoch})" if best_model is not model
                 else "the last model")
        print(f"test reconstruction with {which}, {len(split.y_test)} test images:")
        print_figures(figures)
        print_judged(best_model, s["seed"] + 1, which)
        print(f"checkpoint: {ckpt.path}")
        tasks.print_plots(lambda: [tasks.plot_curves(out, ckpt.best_epoch)]
                          + pictures(out, best_model, split))

    # --------------------------------------------------------------- eval
    def evaluate(self, args, loaded):
        """`groundup eval DIR [--data D]`: the reconstruction figures on the test split of the
        run's data (or of D, images of the same shape)."""
        path, kind, meta, model, run = loaded
        s, split = self.eval_data(args, run)
        if tuple(split.input_shape) != tuple(model.input_shape):
            raise CLIError(f"--data {s['data']}: images of shape "
                           f"{'x'.join(map(str, split.input_shape))}; the model in {path} "
                           f"reconstructs {'x'.join(map(str, model.input_shape))}")
        classes = int(getattr(model, "num_classes", 0) or 0)
        if classes and int(np.max(split.y_test)) >= classes:
            raise CLIError(f"--data {s['data']}: labels up to {int(np.max(split.y_test))}; the "
                           f"conditional model in {path} knows {classes} classes")
        s["conditional"] = bool(classes)
        test = self.loaders(split, s)[2]
        figures = reconstruction_figures(model, split, test, s.get("beta", 1.0))
        print(f"{s['data']} (test split, {len(split.y_test)} images), {kind} model:")
        print_figures(figures)
        print_judged(model, run["settings"]["seed"] + 1)
        return 0

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
        classes = int(getattr(model, "num_classes", 0) or 0)
        digit = getattr(args, "digit", None)
        nrow, labels = 8, None
        if digit is not None:
            if not classes:
                raise CLIError(f"--digit applies to a conditional model (train it with "
                               f"--conditional); {meta['config']['model']} in {args.dir} is "
                               f"unconditional")
            if not 0 <= digit < classes:
                raise CLIError(f"--digit must lie in 0..{classes - 1}; got {digit}")
            labels = np.full(num, digit, dtype=np.int64)
        elif classes:  # every class in turn: one column per class
            nrow, labels = classes, np.arange(num, dtype=np.int64) % classes
        images = model.sample(num, gu.Generator().manual_seed(args.seed), labels=labels) \
            if classes else model.sample(num, gu.Generator().manual_seed(args.seed))
        target = args.out or os.path.join(os.path.dirname(path), "samples.png")
        tasks.write_sample(target, lambda: save_grid(images, target, nrow=nrow))
        what = f" of class {digit}" if digit is not None else ""
        print(f"{num} samples{what} -> {target}")
        return 0


class HeldOutTerms(Callback):
    """After each epoch with a validation loader: the two terms of the validation loss,
    val_recon (BCE nats per image) and, for the VAE, val_kl, join the epoch's logs (so
    history.csv, the epoch lines and curves.png show them beside the training ones); the
    model in eval mode (the VAE's mean code), as for val_loss = val_recon + beta val_kl."""

    def __init__(self, beta=1.0):
        self.beta = float(beta)

    def on_epoch_end(self, state):
        if state.val_loader is not None:
            terms = loss_terms(state.model, state.val_loader, self.beta)
            state.logs.update({"val_" + k: v for k, v in terms.items()})


def loss_terms(model, loader, beta=1.0):
    """{"recon": nats per image, "kl": nats per image (VAE only)} of `model` (eval mode,
    no_grad) on `loader`'s batches (x, target) or, conditional, (x, label, target)."""
    from ..models.autoencoder import VAELoss

    loss_fn = VAELoss(beta)
    sums, seen, has_kl = {"recon": 0.0, "kl": 0.0}, 0, False
    was_training = model.training
    model.eval()
    try:
        with gu.no_grad():
            for batch in loader:
                _, recon, kl = loss_fn.terms(model(*batch[:-1]), batch[-1])
                n = batch[-1].shape[0]
                sums["recon"] += float(recon.item()) * n
                if kl is not None:
                    sums["kl"] += float(kl.item()) * n
                    has_kl = True
                seen += n
    finally:
        model.train(was_training)
    if not seen:
        raise ValueError("loss_terms: the loader produced no batches")
    out = {"recon": sums["recon"] / seen}
    if has_kl:
        out["kl"] = sums["kl"] / seen
    return out


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
        for batch in loader:  # (x, target) or, conditional, (x, label, target)
            inputs, target = batch[:-1], batch[-1]
            output = model(*inputs)
            _, recon, kl = loss_fn.terms(output, target)
            n = target.shape[0]
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


def print_figures(figures):
    """The lines of the report and of `groundup eval` for reconstruction_figures' dict."""
    print(f"  BCE {figures['bce']:.2f} nats per image, MSE {figures['mse']:.5f} per pixel "
          f"(predicting the training mean image: MSE {figures['mean_mse']:.5f}, ratio "
          f"{figures['mse'] / figures['mean_mse']:.3f})")
    if "kl" in figures:
        print(f"  KL {figures['kl']:.2f} nats, negative ELBO (beta 1) "
              f"{figures['bce'] + figures['kl']:.2f} nats per image")


def print_judged(model, seed, which=None):
    """For a model that samples (the VAE) of one-channel digit images: the judge's figures
    (models/judge.py) of 1,000 images decoded from prior codes of noise seed `seed`, printed
    and returned (None for other models)."""
    from ..models.judge import judge_metrics, judge_outputs

    c, h, w = (tuple(model.input_shape) + (0, 0, 0))[:3]
    if not hasattr(model, "sample") or c != 1 or min(h, w) < 8:
        return None  # the judge reads one-channel digits of 8x8 pixels or more
    classes = int(getattr(model, "num_classes", 0) or 0)
    labels = np.arange(JUDGE_SAMPLES, dtype=np.int64) % classes if classes else None
    images = model.sample(JUDGE_SAMPLES, gu.Generator().manual_seed(seed), labels=labels).array
    m = judge_metrics(images)
    if labels is not None:
        m["label_accuracy"] = float((judge_outputs(images)[0].argmax(axis=1) == labels).mean())
    who = f" with {which}" if which else ""
    print(f"  {JUDGE_SAMPLES} samples from the prior: judge{who}: confidence "
          f"{m['confidence']:.3f}, classes covered {m['classes']} of 10, inception score "
          f"{m['inception_score']:.2f}, FID {m['fid']:.2f}"
          + (f", label accuracy {m['label_accuracy']:.3f}" if labels is not None else ""))
    return m


def save_grid(images, path, nrow=8):
    """A grid of images (N, C, H, W) in [0, 1], each pixel SCALE x SCALE, as a PNG."""
    from .. import viz

    grid = viz.make_grid(images, nrow=nrow, padding=1, pad_value=1.0)
    grid = grid.array if isinstance(grid, gu.Tensor) else grid
    grid = np.repeat(np.repeat(grid, SCALE, axis=1), SCALE, axis=2)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    viz.save_image(grid, path)
    return path


def corrupt(x, noise=0.0, mask=0.0):
    """x with a fraction `mask` of its entries set to 0 (masking noise), then Gaussian noise
    of std `noise` added; noise from the shared generator (gu.manual_seed fixes it)."""
    if mask > 0:
        keep = gu.rand(*x.shape).array >= mask
        x = x * gu.tensor(keep.astype(x.array.dtype))
    if noise > 0:
        x = x + gu.randn(*x.shape, dtype=x.dtype) * noise
    return x


def interpolation_pairs(labels, rows=4):
    """[(i, j)]: up to `rows` pairs of test images of different classes: the first image of
    class c and the first of class c + classes // 2 (0 -> 5, 1 -> 6, ... for 10 classes)."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    half = max(len(classes) // 2, 1)
    pairs = []
    for k in range(min(rows, len(classes) - half)):
        a, b = classes[k], classes[k + half]
        pairs.append((int(np.flatnonzero(labels == a)[0]), int(np.flatnonzero(labels == b)[0])))
    return pairs


def plot_interpolation(model, X, labels, path, steps=10):
    """interpolation.png: per row, the images decoded from `steps` points on the line between
    the codes of two test images of different classes (interpolation_pairs)."""
    from .. import viz
    from ..models.autoencoder import interpolate

    conditional = bool(getattr(model, "num_classes", 0))
    strips = [interpolate(model, X[i], X[j], steps,
                          labels=(labels[i], labels[j]) if conditional else None).array
              for i, j in interpolation_pairs(labels)]
    if not strips:
        raise ValueError("plot_interpolation: the test images hold a single class")
    return viz.plot_image_grid(np.concatenate(strips), path, nrow=steps,
                               title="decoded along the line between two codes")


def pictures(out, model, split, n=32):
    """reconstructions.png (inputs above their reconstructions), latent.png (the codes of
    the test images, coloured by label), interpolation.png and, for the VAE,
    prior_samples.png; returns the paths."""
    from .. import viz

    X = np.clip(split.scale(split.X_test), 0, 1).astype(np.float32)
    y = np.asarray(split.y_test, dtype=np.int64)
    classes = int(getattr(model, "num_classes", 0) or 0)
    extra = (y[:n],) if classes else ()
    model.eval()
    with gu.no_grad():
        shown = gu.tensor(X[:n])
        recon = model.reconstruct(shown, *extra).array
    rows = []
    for i in range(0, len(recon), 8):  # alternate rows: 8 inputs, their 8 reconstructions
        rows += [X[i:i + 8], recon[i:i + 8]]
    paths = [viz.plot_image_grid(np.concatenate(rows), os.path.join(out, "reconstructions.png"),
                                 nrow=8, title="inputs (odd rows) and reconstructions")]
    if hasattr(model, "sample"):
        if classes:  # one column per class
            samples = model.sample(8 * classes, gu.Generator().manual_seed(0),
                                   labels=np.arange(8 * classes) % classes).array
        else:
            samples = model.sample(64, gu.Generator().manual_seed(0)).array
        paths.append(viz.plot_image_grid(samples, os.path.join(out, "prior_samples.png"),
                                         nrow=classes or 8, title="samples from the prior"))
    paths.append(plot_latent(model, X, split.y_test, os.path.join(out, "latent.png"),
                             split.class_names))
    if len(np.unique(y)) > 1:
        paths.append(plot_interpolation(model, X, y, os.path.join(out, "interpolation.png")))
    return paths


def plot_latent(model, X, labels, path, class_names=None):
    """The codes of X (the VAE's means) in 2-D, coloured by label: the first two
    principal components (the code itself when it has 2 dimensions or fewer)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    extra = (np.asarray(labels, dtype=np.int64),) if getattr(model, "num_classes", 0) else ()
    with gu.no_grad():
        z = model.encode(gu.tensor(X), *extra)
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
