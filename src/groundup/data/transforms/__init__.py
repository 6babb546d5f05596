"""gu.data.transforms: image transforms with torchvision's names, arguments and rules.

Per image, as in torchvision: pass a transform as `transform=` to a dataset
(ImageFolder, or your own), and it is called on each sample:

    from groundup.data import transforms as T
    train_tf = T.Compose([T.RandomResizedCrop(28, scale=(0.8, 1.0)), T.RandomHorizontalFlip(),
                          T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    data = gu.data.datasets.ImageFolder("photos/train", transform=train_tf)

A transform takes a PIL image, or an ndarray or Tensor of shape (..., C, H, W)
(channels first, as torchvision's tensor transforms), and gives back the same
kind of value. ToTensor turns a PIL image or an (H, W, C) array into a (C, H, W)
float32 Tensor (uint8 scaled to [0, 1]). Pillow is needed only for PIL images
(pip install "groundup[images]").

Per batch (the fast path): `t.batch(x)` transforms a whole (N, C, H, W) batch
(ndarray or Tensor) in one vectorised NumPy pass, each image with its own
random parameters: flips through index arrays, crops through one strided view,
resizing and RandomResizedCrop as batched matrix products, RandomAffine as one
batched gather. Use it on the batches of an array-backed loader, which are cut
by fancy indexing with no per-sample Python at all:

    augment = T.Compose([T.RandomCrop(28, padding=2), T.RandomAffine(10, translate=(0.1, 0.1))])
    for xb, yb in DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True):
        xb = augment.batch(xb)                  # (64, 1, 28, 28) -> (64, 1, 28, 28)

Batched paths: Compose, Normalize, Resize, CenterCrop, Pad, RandomCrop,
RandomResizedCrop, RandomHorizontalFlip, RandomVerticalFlip, RandomAffine,
RandomRotation, ColorJitter, Grayscale, RandomGrayscale, RandomApply; ToTensor.batch
takes an (N, H, W, C) array. Lambda (and any plain function inside a Compose) is
called once per image and the results are stacked.

Randomness comes from groundup's shared generator, so `gu.manual_seed(s)` fixes
every draw. For a single random transform, `t.batch(x)` after a seed gives what
`[t(x[n]) for n in range(N)]` gives after the same seed (each image uses the
same numbers on both paths).
"""

from .base import (
    Compose,
    Lambda,
    Normalize,
    PILToTensor,
    RandomApply,
    RandomTransform,
    ToPILImage,
    ToTensor,
    Transform,
)
from .color import ColorJitter, Grayscale, RandomGrayscale
from .geometry import (
    CenterCrop,
    Pad,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
)
from .image import InterpolationMode

__all__ = ["InterpolationMode", "Transform", "RandomTransform", "Compose", "Lambda",
           "RandomApply", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize",
           "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "RandomAffine", "RandomRotation", "ColorJitter", "Grayscale",
           "RandomGrayscale"]
