"""The GAN task (gan, dcgan): a generator and a discriminator trained against each other.

The data is a classifier's Split of images in [0, 1] (the bundled digits by default;
MNIST-format files with --data mnist:DIR), all of it training data (a GAN has nothing
to validate: --val-split is set to 0 and the run keeps its last model), shown to the
discriminator as 2x - 1 in [-1, 1], the generator's tanh range. Each batch of n real
images x is one round of the game (Goodfellow et al. 2014), two optimizers in turn
(gu.optim.NamedOptimizers holds them, so the checkpoint keeps both states):

    z ~ N(0, I) (n, latent); fake = G(z)
    D step: L_D = BCE(D(x), s) + BCE(D(fake), 0)     (fake detached; s = 1, or --smooth
            0.9: one-sided label smoothing, real targets only)
    G step: L_G = BCE(D(fake), 1) = -mean log sigmoid(D(G(z)))   (the non-saturating loss,
            with D just updated)

logged per epoch as d_loss, g_loss ("loss" is their sum), d_real and d_fake (the share
of real images D calls real, of fakes it calls fake). After each epoch a fixed batch of
1,000 noise vectors is drawn through G (eval mode) and the judge (models/judge.py)
scores the images: confidence, classes, inception_score and fid join the epoch's logs
(history.csv, curves.png); the first 64 of them are drawn to samples_latest.png after
every epoch and kept as samples_epoch_NNN.png at about ten epochs of the run.
--conditional gives G and D the label (sample --digit D draws digit D; the judge then
also reports label_accuracy, how often it reads the asked-for digit).
--spectral-norm normalises D's weights. `groundup sample DIR [--num N] [--seed S]
[--digit D]` writes a new grid; `groundup eval DIR` prints the judge's figures.
"""

import os

import numpy as np

import groundup as gu

from ..cli_common import CLIError
from ..train.callback_base import Callback
from . import tasks

__all__ = ["TASK", "GANTask", "gan_step", "JudgeCallback"]

JUDGE_SAMPLES = 1000  # generated images scored by the judge after each epoch
SHOWN = 64            # of them, the ones drawn in samples_epoch_NNN.png
PICTURES = 10         # about this many epoch grids per run
LATEST = "samples_latest.png"  # the fixed noise's grid, redrawn after every epoch


def gan_step(smooth=1.0):
    """The fit() step of one round of the game (see the module docstring); the model has
    .generator, .discriminator and .latent, the optimizer is a NamedOptimizers with
    "generator" and "discriminator"."""
    bce = gu.nn.functional.binary_cross_entropy_with_logits

    def step(state, inputs, target):
        model, opt = state.model, state.optimizer
        x = inputs[0] * 2.0 - 1.0
        n = x.shape[0]
        labels = fake_labels = None
        if model.num_classes:
            labels = target
            fake_labels = gu.randint(0, model.num_classes, (n,))
        z = gu.randn(n, model.latent)
        fake = model.generator(z, fake_labels)
        real_logits = model.discriminator(x, labels)
        fake_logits = model.discriminator(fake.detach(), fake_labels)
        d_loss = bce(real_logits, gu.full((n,), float(smooth))) + \
            bce(fake_logits, gu.zeros(n))
        opt["discriminator"].zero_grad()
        d_loss.backward()
        opt["discriminator"].step()
        g_loss = bce(model.discriminator(fake, fake_labels), gu.ones(n))
        opt["generator"].zero_grad()
        g_loss.backward()
        opt["generator"].step()
        d, g = float(d_loss.item()), float(g_loss.item())
        return {"loss": d + g, "d_loss": d, "g_loss": g,
                "d_real": float((real_logits.array > 0).mean()),
                "d_fake": float((fake_logits.array < 0).mean())}

    return step


def judge_batch(model, seed, num=JUDGE_SAMPLES):
    """num images of `model` from the noise of `seed` (labels 0, 1, 2, ... in turn for a
    conditional one) and the labels asked for (or None)."""
    labels = np.arange(num, dtype=np.int64) % model.num_classes if model.num_classes else None
    return model.sample(num, gu.Generator().manual_seed(seed), labels=labels).array, labels


def judged(model, seed, num=JUDGE_SAMPLES):
    """The judge's figures of `model`'s samples; (figures, images)."""
    from ..models.judge import judge_metrics, judge_outputs

    images, labels = judge_batch(model, seed, num)
    figures = judge_metrics(images)
    if labels is not None:
        probs = judge_outputs(images)[0]
        figures["label_accuracy"] = float((probs.argmax(axis=1) == labels).mean())
    return figures, images


class JudgeCallback(Callback):
    """After each epoch: the judge's figures of a fixed noise batch join the epoch's logs,
    and its first SHOWN images are drawn to out/samples_latest.png (and, at about PICTURES
    epochs of the run, kept as out/samples_epoch_NNN.png). judge=False (images that are
    not one-channel digits) only draws."""

    def __init__(self, out, seed, judge=True):
        self.out, self.seed, self.judge = out, int(seed), judge

    def on_epoch_end(self, state):
        model = state.model
        if self.judge:
            figures, images = judged(model, self.seed)
            state.logs.update(figures)
        else:
            images = judge_batch(model, self.seed, SHOWN)[0]
        from .task_reconstruct import save_grid

        every = max(1, state.epochs // PICTURES)
        names = [LATEST]  # every epoch: the latest grid; about PICTURES of them are kept
        if state.epoch % every == 0 or state.epoch == state.epochs or state.epoch == 1:
            names.append(f"samples_epoch_{state.epoch:03d}.png")
        try:
            for name in names:
                save_grid(images[:SHOWN], os.path.join(self.out, name),
                          nrow=model.num_classes or 8)
        except ImportError:
            pass


def judge_applies(split_or_shape):
    shape = tuple(getattr(split_or_shape, "input_shape", split_or_shape))
    return len(shape) == 3 and shape[0] == 1 and min(shape[1:]) >= 8


class GANTask(tasks.Task):
    name = "gan"
    options = {
        "conditional": tasks.Option(bool, False, "a class-conditional model: it sees the "
                                    "labels (sample --digit D draws class D)"),
        "smooth": tasks.Option(float, 1.0, "GAN: the discriminator's target for real images "
                               "(one-sided label smoothing, e.g. 0.9)", low=0.5, high=1.0001),
        "spectral_norm": tasks.Option(bool, False, "GAN: spectral normalisation of the "
                                      "discriminator's weights"),
    }

    def model_config(self, spec, data, s):
        config = super().model_config(spec, data, s)
        config["num_classes"] = int(data.classes) if s.get("conditional") else 0
        config["spectral_norm"] = bool(s.get("spectral_norm"))
        return config

    # ---------------------------------------------------------------- data
    def load_data(self, s):
        s["val_split"] = 0.0  # a GAN has nothing to validate: every non-test image trains it
        split = super().load_data(s)
        for part, X in (("train", split.X_train), ("test", split.X_test)):
            scaled = split.scale(X)
            low, high = float(scaled.min()), float(scaled.max())
            if low < -1e-6 or high > 1 + 1e-6 or len(split.input_shape) != 3:
                raise CLIError(f"--data {s['data']}: a {s['model']} generates images scaled to "
                               f"[0, 1] (C, H, W); the {part} inputs span [{low:.3g}, "
                               f"{high:.3g}] with shape {list(split.input_shape)}")
        return split

    def data_lines(self, data, s):
        lines = super().data_lines(data, s)
        if not judge_applies(data):
            lines.append("  judge      unavailable: it reads one-channel digits of 8x8 "
                         "pixels or more")
        return lines

    def loaders(self, data, s):
        from ..data import DataLoader, TensorDataset

        split = data
        X, y = split.X_train, split.y_train
        if split.y_val is not None:
            X, y = np.concatenate([X, split.X_val]), np.concatenate([y, split.y_val])

        def images(X, y):
            X = np.clip(split.scale(X), 0.0, 1.0).astype(np.float32, copy=False)
            return TensorDataset(X, np.asarray(y, dtype=np.int64))

        train = DataLoader(images(X, y), batch_size=s["batch_size"], shuffle=True,
                           drop_last=len(y) > s["batch_size"], seed=s["seed"])
        return train, None, DataLoader(images(split.X_test, split.y_test), batch_size=512)

    # ------------------------------------------------------------ training
    def optimizer(self, s, model):
        def make(module):
            if s["optimizer"] == "adam":  # DCGAN's betas: a short memory of the moving game
                return gu.optim.Adam(module.parameters(), lr=s["lr"], betas=(0.5, 0.999),
                                     weight_decay=s["weight_decay"])
            from ..models import recipes

            return recipes.optimizer(s["optimizer"], module.parameters(), s["lr"],
                                     s["weight_decay"])

        return gu.optim.NamedOptimizers(generator=make(model.generator),
                                        discriminator=make(model.discriminator))

    def loss(self, s):
        return gu.nn.BCEWithLogitsLoss()

    def step(self, s, model):
        return gan_step(float(s.get("smooth") or 1.0))

    def metrics(self, s):
        return ()

    def callbacks(self, out, s, data, model):
        return [JudgeCallback(out, s["seed"] + 1, judge=judge_applies(data))]

    # -------------------------------------------------------------- report
    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        print(f"checkpoint: {ckpt.path}")
        if judge_applies(model.input_shape):
            print_figures(judged(model, s["seed"] + 1)[0], "the last model")
        tasks.print_plots(lambda: [
            tasks.plot_curves(out, None),
            self._grid(model, os.path.join(out, "samples.png"), 64, 0, None)])

    def _grid(self, model, path, num, seed, digit):
        from .task_reconstruct import save_grid

        classes = model.num_classes
        labels, nrow = None, 8
        if digit is not None:
            labels = np.full(num, digit, dtype=np.int64)
        elif classes:
            labels, nrow = np.arange(num, dtype=np.int64) % classes, classes
        images = model.sample(num, gu.Generator().manual_seed(seed), labels=labels)
        return save_grid(images, path, nrow=nrow)

    # ------------------------------------------------------- eval, sample
    def evaluate(self, args, loaded):
        """`groundup eval DIR`: the judge's figures of 1,000 samples (noise seed --seed)."""
        path, kind, meta, model, run = loaded
        if not judge_applies(model.input_shape):
            raise CLIError(f"the judge reads one-channel digits of 8x8 pixels or more; "
                           f"{meta['config']['model']} in {path} draws "
                           f"{'x'.join(map(str, model.input_shape))} images")
        seed = getattr(args, "seed", None)
        seed = run["settings"]["seed"] + 1 if seed is None else seed
        print(f"{meta['config']['model']} ({kind} model, {path}), {JUDGE_SAMPLES} samples:")
        print_figures(judged(model, seed)[0], None)
        return 0

    def sample(self, args, loaded):
        path, kind, meta, model, run = loaded
        num = 64 if args.num is None else args.num
        if num < 1:
            raise CLIError(f"--num must be >= 1; got {num}")
        digit = getattr(args, "digit", None)
        if digit is not None:
            if not model.num_classes:
                raise CLIError(f"--digit applies to a conditional model (train it with "
                               f"--conditional); {meta['config']['model']} in {args.dir} is "
                               f"unconditional")
            if not 0 <= digit < model.num_classes:
                raise CLIError(f"--digit must lie in 0..{model.num_classes - 1}; got {digit}")
        target = args.out or os.path.join(os.path.dirname(path), "samples.png")
        tasks.write_sample(target, lambda: self._grid(model, target, num, args.seed, digit))
        what = f" of digit {digit}" if digit is not None else ""
        print(f"{num} samples{what} -> {target}")
        return 0


def print_figures(figures, which):
    who = f" with {which}" if which else ""
    print(f"judge{who}: confidence {figures['confidence']:.3f}, classes covered "
          f"{figures['classes']} of 10, inception score {figures['inception_score']:.2f}, "
          f"FID {figures['fid']:.2f}"
          + (f", label accuracy {figures['label_accuracy']:.3f}"
             if "label_accuracy" in figures else ""))


TASK = GANTask()
