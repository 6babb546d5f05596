"""The capsule task (capsnet): classification, trained with the margin loss plus a
reconstruction loss.

Everything is the classifier's (data, loaders, accuracy, the test report, the confusion
matrix and the convolution pictures) except the loss (models/capsnet.py's CapsNetLoss)
and the training step. Each training step decodes the capsule of the true class
(`model.forward_with_reconstruction`) and minimises margin + recon_weight * the squared
reconstruction error summed over each image's pixels (--recon-weight, 0.0005 as in the
paper, for 784 pixels: scaled by 784 / pixels on other image sizes). With --shift P each
training image is first moved by up to P pixels (the paper's only augmentation).

The logged "loss" and val_loss are the margin loss alone (what validation picks the best
model by; the model's output is its capsule lengths) and "recon" the reconstruction
error per image; `groundup eval` reports the same margin loss, with the accuracy.
errors.png gives each mistake's capsule length: the probability that the digit is
present, not a softmax over the classes. Two more pictures: reconstructions.png (test
images above their reconstructions from the predicted class's capsule) and
perturbation.png (a test image reconstructed with each dimension of its capsule moved
from -0.25 to 0.25: rows are dimensions).
"""

import os

import numpy as np

import groundup as gu

from . import tasks

__all__ = ["TASK", "CapsuleTask"]


class CapsuleTask(tasks.Task):
    name = "capsule"
    options = {
        "recon_weight": tasks.Option(float, 0.0005, "weight of the reconstruction "
                                     "loss (squared error summed over an image's pixels), "
                                     "given for 28x28 images (x 784 / pixels on others)",
                                     low=0),
        "shift": tasks.Option(int, 0, "training images shifted at random by up to "
                              "this many pixels (zero padding), as in the paper", low=0),
    }

    # errors.png: the capsule lengths are the scores, each the probability its digit is
    # present (not a softmax over the classes)
    confidence = "capsule length = probability the digit is present"

    def loss(self, s):
        from ..models import capsnet

        return capsnet.CapsNetLoss(recon_weight=float(s.get("recon_weight", 0.0005)))

    def eval_loss(self, s):
        """`groundup eval` reports the margin loss of the lengths (what training and
        validation report as the loss), not a cross-entropy."""
        return "margin loss", self.loss(s)

    def step(self, s, model):
        from ..nn.utils import clip_grad_norm_

        clip = s.get("grad_clip")
        shift = int(s.get("shift") or 0)

        def step(state, inputs, target):
            x = shift_images(inputs[0], shift) if shift else inputs[0]
            scores, recon = state.model.forward_with_reconstruction(x, target)
            loss, margin, error = state.loss_fn.terms(scores, recon, x, target)
            state.optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                clip_grad_norm_(state.model.parameters(), clip)
            state.optimizer.step()
            return {"loss": margin, "recon": error, "output": scores}

        return step

    def classifies(self, run):
        """A capsnet is a classifier (its outputs are class scores): `groundup eval` and
        `predict` treat it as one."""
        return True

    def pictures(self, out, model, split, best_epoch):
        return super().pictures(out, model, split, best_epoch) + capsule_pictures(out, model,
                                                                                  split)


def shift_images(x, shift):
    """Each image of x (N, C, H, W) moved by its own random offset of -shift..shift pixels
    along each axis, the pixels moved in being 0 (offsets from the shared generator, so
    gu.manual_seed fixes them and a resumed run draws the same)."""
    a = x.array
    N, C, H, W = a.shape
    padded = np.pad(a, ((0, 0), (0, 0), (shift, shift), (shift, shift)))
    offsets = gu.randint(0, 2 * shift + 1, (2, N)).array                 # (2, N)
    rows = offsets[0][:, None] + np.arange(H)                              # (N, H)
    cols = offsets[1][:, None] + np.arange(W)                              # (N, W)
    moved = padded[np.arange(N)[:, None, None, None], np.arange(C)[None, :, None, None],
                   rows[:, None, :, None], cols[:, None, None, :]]         # (N, C, H, W)
    return gu.tensor(moved, dtype=x.dtype)


def capsule_pictures(out, model, split, n=32, steps=11, span=0.25):
    """reconstructions.png (rows of 8 test images, each above its reconstructions from the
    predicted class's capsule) and perturbation.png (rows: the capsule's dimensions; columns:
    the value added to it, -span..span) in `out`; returns the paths."""
    from .. import viz
    from ..models.capsnet import perturb_capsule

    X = split.scale(split.X_test).astype(np.float32)
    model.eval()
    with gu.no_grad():
        scores, recon = model.forward_with_reconstruction(gu.tensor(X[:n]))
    recon = recon.array
    rows = []
    for i in range(0, len(recon), 8):
        rows += [X[i:i + 8], recon[i:i + 8]]
    paths = [viz.plot_image_grid(np.concatenate(rows), os.path.join(out, "reconstructions.png"),
                                 nrow=8, title="test images (odd rows) and reconstructions")]
    sweep = perturb_capsule(model, gu.tensor(X[0]), steps=steps, span=span).array
    paths.append(viz.plot_image_grid(
        sweep, os.path.join(out, "perturbation.png"), nrow=steps,
        title=f"capsule dimensions (rows) moved by -{span:g}..{span:g} (columns)"))
    return paths


TASK = CapsuleTask()
