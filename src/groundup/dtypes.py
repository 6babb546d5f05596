"""PyTorch's legacy typed constructors (`gu.FloatTensor`, `gu.LongTensor`, ...) and the
default float dtype.

dtypes in groundup are NumPy's types: `gu.float32 is np.float32`, and PyTorch's short
names are the same objects (`gu.float`, `gu.double`, `gu.half`, `gu.long`, `gu.int`,
`gu.bool`; see groundup/__init__.py). A typed constructor makes a tensor of its dtype,
as PyTorch's do:

    gu.FloatTensor(2, 3)         uninitialised, shape (2, 3)
    gu.FloatTensor([1, 2])       from data (cast to float32)
    gu.LongTensor()              empty, shape (0,)

and `isinstance(x, gu.FloatTensor)` is True for a float32 tensor on the CPU. The
constructors are not subclasses of `gu.Tensor` (nor are PyTorch's of torch.Tensor):
every tensor is a `gu.Tensor`.
"""

import numpy as np

from .backend import DEFAULT_FLOAT, normalize_device
from .creation import tensor
from .tensor import Tensor

__all__ = [
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
    "CharTensor", "ByteTensor", "BoolTensor", "get_default_dtype",
]


def get_default_dtype():
    """The dtype of new floating tensors: float32 (groundup.float32, NumPy's type)."""
    return DEFAULT_FLOAT.type


def _is_size(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


class _TensorType(type):
    """Metaclass of the typed constructors: calling one builds a Tensor, and isinstance
    checks a tensor's dtype (and that it is on the CPU, as PyTorch's CPU types do)."""

    def __instancecheck__(cls, obj):
        return (isinstance(obj, Tensor) and obj.array.dtype == cls.dtype
                and obj.device.type == "cpu")

    def __call__(cls, *args, device=None):
        name = cls.__name__
        if device is not None and normalize_device(device).type != "cpu":
            raise RuntimeError(f"gu.{name}: a legacy constructor makes CPU tensors; got "
                               f"device {str(normalize_device(device))!r} (use "
                               f"gu.tensor(data, dtype=..., device=...))")
        if not args:
            return Tensor._wrap(np.empty((0,), cls.dtype))
        if all(_is_size(a) for a in args):
            if any(a < 0 for a in args):
                raise ValueError(f"gu.{name}{tuple(int(a) for a in args)}: sizes must be "
                                 f"non-negative")
            return Tensor._wrap(np.empty(tuple(int(a) for a in args), cls.dtype))
        if len(args) > 1:
            raise TypeError(f"gu.{name}(*args): expected sizes (ints), e.g. {name}(2, 3), or "
                            f"one sequence of data, got "
                            f"({', '.join(type(a).__name__ for a in args)})")
        (data,) = args
        if isinstance(data, Tensor):
            if data.array.dtype != cls.dtype:
                raise TypeError(
                    f"gu.{name}(tensor): expected a tensor of dtype {np.dtype(cls.dtype)}, got "
                    f"{data.array.dtype}; convert it with .to(gu.{np.dtype(cls.dtype)})"
                )
            return Tensor._wrap(data.array)  # shares the data, as PyTorch's does
        if np.ndim(data) == 0:
            raise TypeError(f"gu.{name}(data): data must be a sequence or an array, got "
                            f"{type(data).__name__} (for a shape, pass ints: {name}(2, 3))")
        return tensor(data, dtype=cls.dtype)

    def __repr__(cls):
        return f"<class 'groundup.{cls.__name__}'>"


def _typed(name, dtype):
    doc = (f"{name}(*sizes) or {name}(data): a {np.dtype(dtype)} tensor on the CPU, "
           f"uninitialised of the given sizes or from data (PyTorch's legacy constructor).")
    return _TensorType(name, (), {"dtype": dtype, "__doc__": doc, "__module__": "groundup"})


FloatTensor = _typed("FloatTensor", np.float32)
DoubleTensor = _typed("DoubleTensor", np.float64)
HalfTensor = _typed("HalfTensor", np.float16)
LongTensor = _typed("LongTensor", np.int64)
IntTensor = _typed("IntTensor", np.int32)
ShortTensor = _typed("ShortTensor", np.int16)
CharTensor = _typed("CharTensor", np.int8)
ByteTensor = _typed("ByteTensor", np.uint8)
BoolTensor = _typed("BoolTensor", np.bool_)
