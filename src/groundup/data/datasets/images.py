"""Image files in class folders: ImageFolder and DatasetFolder (torchvision's), load_image_folder.

    root/cat/001.png
    root/cat/002.jpg
    root/dog/abc.png

Each subfolder of root is a class (sorted by name, numbered from 0); the images
under it (any depth) are its samples. Images are read through Pillow, an
optional extra (pip install "groundup[images]"). A file that cannot be read
raises DatasetFileError naming it.
"""

import os

import numpy as np

from ..dataset import Dataset
from ..transforms.image import require_pil
from ..transforms.pixels import resize
from .files import DatasetFileError

__all__ = ["IMG_EXTENSIONS", "DatasetFolder", "ImageFolder", "pil_loader", "default_loader",
           "find_classes", "make_dataset", "has_file_allowed_extension", "load_image_folder"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")

# what a failing Pillow decoder raises: OSError (UnidentifiedImageError, truncated data),
# ValueError and SyntaxError (broken headers), DecompressionBombError (an Exception)
_READ_ERRORS = (OSError, ValueError, SyntaxError, EOFError)


def has_file_allowed_extension(filename, extensions):
    """Whether filename ends with one of the extensions (case-insensitive)."""
    return filename.lower().endswith(tuple(e.lower() for e in extensions))


def _check_root(root, where):
    root = os.path.expanduser(os.fspath(root))
    if not os.path.exists(root):
        raise FileNotFoundError(f"{where}: no such directory: {root}")
    if not os.path.isdir(root):
        raise NotADirectoryError(f"{where}: {root} is a file; expected a directory with one "
                                 f"subfolder per class")
    return root


def find_classes(directory):
    """(classes, class_to_idx): the subfolder names of directory, sorted, numbered from 0."""
    directory = _check_root(directory, "find_classes")
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        loose = [name for name in os.listdir(directory)
                 if has_file_allowed_extension(name, IMG_EXTENSIONS)]
        hint = (f" (it holds {len(loose)} image files directly: move each class's images into "
                f"a subfolder named after the class)" if loose else "")
        raise FileNotFoundError(f"no class folders in {directory}{hint}; expected "
                                f"{directory}/<class name>/<image files>")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty=False):
    """[(path, class_index), ...] of the valid files under each class folder, sorted."""
    directory = _check_root(directory, "make_dataset")
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("make_dataset: pass exactly one of extensions and is_valid_file")
    if is_valid_file is None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)
    samples, empty = [], []
    for name in sorted(class_to_idx, key=class_to_idx.get):
        folder = os.path.join(directory, name)
        found = 0
        for base, _, names in sorted(os.walk(folder, followlinks=True)):
            for filename in sorted(names):
                path = os.path.join(base, filename)
                if is_valid_file(path):
                    samples.append((path, class_to_idx[name]))
                    found += 1
        if found == 0:
            empty.append(name)
    if empty and not allow_empty:
        kinds = f"; supported extensions: {', '.join(extensions)}" if extensions else ""
        raise FileNotFoundError(f"no valid files in the class folder(s) "
                                f"{', '.join(repr(e) for e in empty)} of {directory}{kinds}")
    return samples


def pil_loader(path):
    """The image at path as an RGB PIL image (DatasetFileError naming the file if unreadable)."""
    return _open(path, "RGB", "pil_loader")


def default_loader(path):
    return pil_loader(path)


def _open(path, mode, where):
    Image = require_pil(where)
    try:
        with open(path, "rb") as f:
            img = Image.open(f)
            return img.convert(mode)  # convert() decodes, so a damaged file fails here
    except FileNotFoundError:
        raise FileNotFoundError(f"{where}: the image {path} no longer exists") from None
    except (*_READ_ERRORS, Image.DecompressionBombError) as e:
        raise DatasetFileError(f"{where}: cannot read the image {path}: {e}") from None


class DatasetFolder(Dataset):
    """Samples in class folders read by `loader` (torchvision's DatasetFolder).

    Attributes: root, classes, class_to_idx, samples [(path, index)], targets, imgs.
    `dataset[i]` is (transform(loader(path)), target_transform(class_index)).
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        self.root = _check_root(root, type(self).__name__)
        self.loader, self.extensions = loader, extensions
        self.transform, self.target_transform = transform, target_transform
        try:
            self.classes, self.class_to_idx = self.find_classes(self.root)
            self.samples = self.make_dataset(self.root, self.class_to_idx, extensions,
                                             is_valid_file, allow_empty)
        except FileNotFoundError as e:
            raise FileNotFoundError(f"{type(self).__name__}: {e}") from None
        self.targets = [target for _, target in self.samples]
        self.imgs = self.samples

    @staticmethod
    def find_classes(directory):
        return find_classes(directory)

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def __getitem__(self, index):
        path, target = self.samples[index]
        try:
            sample = self.loader(path)
        except DatasetFileError as e:
            raise DatasetFileError(f"{type(self).__name__}: {e} (sample {index}, class "
                                   f"{self.classes[target]!r})") from None
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self):
        return len(self.samples)

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}", f"    Classes: {len(self.classes)}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)


class ImageFolder(DatasetFolder):
    """Images in class folders (PNG, JPEG, BMP, PPM/PGM, TIFF, WebP), as torchvision.

    Each sample is an RGB PIL image (the default loader) passed through
    `transform`, e.g. `transforms.ToTensor()`; the target is the class index.
    is_valid_file(path) replaces the extension check.

    Example:
        data = ImageFolder("pets/train", transform=T.Compose([T.Resize(32), T.ToTensor()]))
        image, label = data[0]; data.classes  # ['cat', 'dog']
    """

    def __init__(self, root, transform=None, target_transform=None, loader=None,
                 is_valid_file=None, allow_empty=False):
        if loader is None:
            require_pil("ImageFolder")
            loader = default_loader
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform, target_transform, is_valid_file, allow_empty)


_GRAY_MODES = {"1", "L", "I", "I;16", "I;16B", "I;16L", "F"}


def load_image_folder(root, size=None, channels=None):
    """Every image of a class-folder tree as arrays: (X, y, classes).

    X is float32 (N, C, H, W) scaled to [0, 1], y int64 class indices, classes the
    sorted folder names. channels: 1 (gray), 3 (RGB) or None: 1 when every image
    is gray, else 3. size: (h, w) or an int to resize every image to (bilinear,
    antialiased); without it all images must share one size.
    """
    Image = require_pil("load_image_folder")
    data = DatasetFolder(root, loader=None, extensions=IMG_EXTENSIONS)
    if channels not in (None, 1, 3):
        raise ValueError(f"load_image_folder: channels must be 1, 3 or None; got {channels!r}")
    if channels is None:
        gray = True
        for path, _ in data.samples:
            try:
                with Image.open(path) as img:
                    gray = gray and img.mode in _GRAY_MODES
            except (*_READ_ERRORS, Image.DecompressionBombError) as e:
                raise DatasetFileError(f"load_image_folder: cannot read the image {path}: "
                                       f"{e}") from None
            if not gray:
                break
        channels = 1 if gray else 3
    if size is not None:
        size = (int(size), int(size)) if np.ndim(size) == 0 else tuple(int(s) for s in size)
    images, first = [], None
    for path, _ in data.samples:
        array = np.asarray(_open(path, "L" if channels == 1 else "RGB", "load_image_folder"))
        array = array[None] if channels == 1 else array.transpose(2, 0, 1)  # (C, H, W)
        if size is not None:
            array = resize(array, size[0], size[1], "bilinear", antialias=True)
        elif first is None:
            first = (path, array.shape[1:])
        elif array.shape[1:] != first[1]:
            raise DatasetFileError(
                f"load_image_folder: {path} is {array.shape[1]}x{array.shape[2]} pixels but "
                f"{first[0]} is {first[1][0]}x{first[1][1]}; pass size=(h, w) to resize them all")
        images.append(array)
    X = np.stack(images).astype(np.float32) * np.float32(1.0 / 255.0)
    return X, np.asarray(data.targets, dtype=np.int64), list(data.classes)

