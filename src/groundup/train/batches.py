"""Batches: turning what a loader yields into model inputs, and model outputs into arrays.

A batch is (inputs, targets) or (input1, input2, ..., targets); NumPy arrays in it
become Tensors on the model's device. evaluate and predict also take arrays or
(X, y) tuples and cut them into batches here. Outputs and targets come back to
the host as NumPy copies for the metrics, losses as Python floats.
"""

import numpy as np

from ..creation import as_tensor
from ..tensor import Tensor


def split_batch(batch, who, device=None):
    """(inputs tuple, target or None) from a batch; arrays become Tensors on `device`."""
    if isinstance(batch, (tuple, list)):
        if not batch:
            raise ValueError(f"{who}: got an empty batch")
        items = [_tensor(b, device) for b in batch]
        if len(items) == 1:
            return (items[0],), None
        return tuple(items[:-1]), items[-1]
    if isinstance(batch, dict):
        raise TypeError(
            f"{who}: batches must be (inputs, targets) tuples, got a dict with keys "
            f"{list(batch)}; use a collate_fn that returns a tuple"
        )
    if who == "fit" or who == "evaluate":
        raise TypeError(
            f"{who}: each batch must be (inputs, targets); the loader yields single "
            f"{type(batch).__name__} batches"
        )
    return (_tensor(batch, device),), None


def _tensor(value, device):
    if isinstance(value, np.ndarray):
        value = as_tensor(value)
    if device is not None and isinstance(value, Tensor) and value.device != device:
        value = value.to(device)
    return value


def _device_of(model):
    parameters = getattr(model, "parameters", None)
    if parameters is None:
        return None
    for p in parameters():
        return p.device
    return None


def _batches(data, batch_size, who):
    """Iterate `data`: a loader as it is, arrays / (X, y) tuples of arrays in slices."""
    arrays = (np.ndarray, Tensor)
    if isinstance(data, arrays):
        data = (data,)
        single = True
    else:
        single = False
    if isinstance(data, tuple) and data and all(isinstance(a, arrays) for a in data):
        n = len(data[0])
        for a in data:
            if len(a) != n:
                raise ValueError(
                    f"{who}: arrays of different lengths {[len(a) for a in data]}")
        for i in range(0, n, int(batch_size)):
            part = tuple(a[i:i + int(batch_size)] for a in data)
            yield part[0] if single else part
        return
    yield from data


def _host(value, who):
    """A NumPy copy of a Tensor/array (outputs may live in buffers the next batch reuses)."""
    if isinstance(value, Tensor):
        array = value.numpy()
        return array.copy() if array is value.array else array
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (tuple, list)):
        need = "predict needs" if who == "predict" else "metrics need"
        raise TypeError(
            f"{who}: {need} the model output to be one Tensor, got a {type(value).__name__}; "
            f"wrap the model to return one output" + ("" if who == "predict" else
                                                      " or pass metrics=()")
        )
    return np.asarray(value)


def _scalar(loss):
    data = loss.array if isinstance(loss, Tensor) else np.asarray(loss)
    if data.size != 1:
        raise ValueError(
            f"the loss must be a single number (reduction='mean' or 'sum'), got a tensor of "
            f"shape {tuple(data.shape)}"
        )
    return float(loss.item() if isinstance(loss, Tensor) else data)


def _batch_size(target, inputs):
    for value in (target,) + tuple(inputs):
        shape = getattr(value, "shape", None)
        if shape:
            return int(shape[0])
    return 1


def _length(loader):
    try:
        return len(loader)
    except TypeError:
        return None
