"""Small Python values between ranks, as JSON (never pickle): numbers, strings, None, bools,
lists and dicts with string keys (a tuple arrives as a list).

    all_gather_object(out, obj)          out[i] becomes rank i's obj
    broadcast_object_list(objs, src=0)   every rank's objs becomes rank src's
"""

import json

import numpy as np

from .process_group import world

__all__ = ["all_gather_object", "broadcast_object_list"]


def _encode(obj, fname):
    try:
        return json.dumps(obj, allow_nan=True).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise TypeError(f"{fname}: the object must be JSON-serialisable (numbers, strings, "
                        f"None, bools, lists, dicts with string keys); {e}") from None


def _decode(data):
    return json.loads(bytes(data).decode("utf-8"))


def all_gather_object(object_list, obj, group=None):
    """object_list (a list of world_size items) gets every rank's `obj`, in rank order."""
    w = world(group, "all_gather_object")
    if not isinstance(object_list, list) or len(object_list) != w.size():
        raise ValueError(f"all_gather_object: object_list must be a list of world_size="
                         f"{w.size()} items")
    data = np.frombuffer(_encode(obj, "all_gather_object"), np.uint8)
    if w.comm is None:
        object_list[0] = _decode(data)
        return
    sizes = np.zeros(w.size(), np.int64)
    w.comm.Allgather(np.array([data.size], np.int64), sizes)
    gathered = np.empty(int(sizes.sum()), np.uint8)
    w.comm.Allgatherv(data, (gathered, sizes.tolist()))
    ends = np.cumsum(sizes)
    for i, (lo, hi) in enumerate(zip(ends - sizes, ends)):
        object_list[i] = _decode(gathered[lo:hi])


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Replace the items of `object_list` (in place, on every rank) with rank src's."""
    w = world(group, "broadcast_object_list")
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got "
                        f"{type(object_list).__name__}")
    if not 0 <= int(src) < w.size():
        raise ValueError(f"broadcast_object_list: src must be a rank in 0..{w.size() - 1}, "
                         f"got {src}")
    mine = w.rank() == src
    data = _encode(object_list, "broadcast_object_list") if mine else b""
    if w.comm is None:
        return
    size = np.array([len(data)], np.int64)
    w.comm.Bcast(size, root=src)
    buf = np.frombuffer(data, np.uint8).copy() if mine else np.empty(int(size[0]), np.uint8)
    w.comm.Bcast(buf, root=src)
    if not mine:
        values = _decode(buf)
        if len(values) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {src} sent {len(values)} objects, "
                             f"this rank's list holds {len(object_list)}")
        object_list[:] = values
