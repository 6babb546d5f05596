"""Tests for groundup/io/safetensors.py: save/load, metadata, atomic writes, refusing pickle."""

import json
import os
import pickle  # only to write hostile test files; groundup never unpickles

import numpy as np
import pytest
from helpers import require_torch, tmp_leftovers

import groundup as gu
from groundup import io as gio
from groundup.io import safetensors as gst

STATE = {
    "f32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "f64": np.linspace(-1, 1, 5),
    "i64": np.array([-(2 ** 62), 0, 2 ** 62], dtype=np.int64),
    "i32": np.array([[1, -2]], dtype=np.int32),
    "u8": np.arange(7, dtype=np.uint8),
    "bool": np.array([True, False, True]),
    "f16": np.array([0.5, -2.0], dtype=np.float16),
    "scalar": np.array(3.25, dtype=np.float32),
    "int_scalar": np.array(7),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "empty_int": np.zeros((2, 0), dtype=np.int64),
}


def _check_equal(got, want):
    assert list(got) == list(want)
    for k, v in want.items():
        v = np.asarray(v.numpy() if isinstance(v, gu.Tensor) else v)
        assert got[k].dtype == v.dtype.newbyteorder("="), k
        assert got[k].shape == v.shape, k
        np.testing.assert_array_equal(got[k], v, err_msg=k)


# ----------------------------------------------------------------- round trips
def test_round_trip_dtypes_shapes_and_order(tmp_path):
    p = tmp_path / "w.safetensors"
    gio.save(STATE, p)
    out = gu.load(p)
    _check_equal(out, STATE)
    assert all(a.flags.writeable and a.flags.aligned for a in out.values())
    out["f32"][0, 0] = 100.0  # writable, and independent of the saved dict
    assert STATE["f32"][0, 0] == 0


def test_round_trip_of_views_tensors_numbers_and_big_endian(tmp_path):
    p = tmp_path / "w.safetensors"
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    state = {"transposed": base.T, "strided": base[:, ::2], "tensor": gu.tensor(base),
             "big_endian": np.arange(4, dtype=">i4"), "py_float": 1.5, "py_int": 3,
             "py_bool": True, "np_scalar": np.float32(2.5)}
    gu.save(state, p)
    out = gu.load(p)
    np.testing.assert_array_equal(out["transposed"], base.T)
    np.testing.assert_array_equal(out["strided"], base[:, ::2])
    assert out["tensor"].dtype == np.float32  # gu.tensor made it float32
    assert out["big_endian"].dtype == np.int32 and out["big_endian"].tolist() == [0, 1, 2, 3]
    assert out["py_float"].shape == () and out["py_float"].dtype == np.float64
    assert out["py_int"].dtype == np.int64 and out["py_bool"].dtype == np.bool_
    assert out["np_scalar"].dtype == np.float32


def test_module_like_objects_are_saved_by_state_dict(tmp_path):
    class Tiny:
        def state_dict(self):
            return {"weight": gu.tensor(np.eye(2)), "bias": np.zeros(2, np.float32)}

    gu.save(Tiny(), tmp_path / "m.safetensors")
    out = gu.load(tmp_path / "m.safetensors")
    assert list(out) == ["weight", "bias"] and out["weight"].dtype == np.float32


def test_interoperates_with_the_safetensors_package(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    p = tmp_path / "ours.safetensors"
    gu.save(STATE, p, metadata={"epoch": 3})
    theirs = load_file(str(p))
    _check_equal({k: theirs[k] for k in STATE}, STATE)
    with safe_open(str(p), framework="np") as f:
        assert json.loads(f.metadata()["groundup"]) == {"epoch": 3}
    q = tmp_path / "theirs.safetensors"
    save_file(STATE, str(q), metadata={"format": "np"})
    _check_equal({k: v for k, v in gu.load(q).items()}, {k: STATE[k] for k in gu.load(q)})
    assert set(gu.load(q)) == set(STATE)
    assert gio.load_metadata(q) == {"format": "np"}  # a foreign file's own metadata


def test_interoperates_with_pytorch_safetensors(tmp_path):
    torch = require_torch()
    from safetensors.torch import load_file, save_file

    p = tmp_path / "t.safetensors"
    save_file({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3),
               "n": torch.tensor(5, dtype=torch.int64)}, str(p))
    out = gu.load(p)
    assert out["w"].shape == (2, 3) and out["n"].shape == () and out["n"] == 5
    gu.save({"w": np.ones((2, 2), np.float32)}, p)
    assert load_file(str(p))["w"].sum().item() == 4


def test_metadata_round_trip(tmp_path):
    p = tmp_path / "m.safetensors"
    meta = {"config": {"layers": [64, 32], "act": "relu", "dropout": 0.1}, "ok": True,
            "note": "é ✓", "none": None, "big": 2 ** 100}
    gu.save({"x": np.zeros(1)}, p, metadata=meta)
    assert gio.load_metadata(p) == meta
    gu.save({"x": np.zeros(1)}, p)
    assert gio.load_metadata(p) == {}
    gu.save({}, p)
    assert gu.load(p) == {} and gio.load_metadata(p) == {}


# ---------------------------------------------------------------- atomic saves
def test_failed_saves_leave_the_old_file_and_no_temp(tmp_path, monkeypatch):
    p = tmp_path / "w.safetensors"
    gu.save({"a": np.ones(3)}, p)
    before = p.read_bytes()
    with pytest.raises(TypeError, match="metadata is not JSON-serialisable"):
        gu.save({"a": np.zeros(3)}, p, metadata={"bad": object()})
    with pytest.raises(TypeError, match="'obj' has dtype object"):
        gu.save({"a": np.zeros(3), "obj": np.array([None, 1], dtype=object)}, p)
    with pytest.raises(TypeError, match="'c' has dtype complex128"):
        gu.save({"c": np.zeros(2, complex)}, p)
    # the format-level writer takes flat {name: array} only (gu.save also saves structures)
    with pytest.raises(TypeError, match="'nested' is a dict"):
        gst.save({"nested": {"x": np.zeros(1)}}, p)
    with pytest.raises(TypeError, match="names must be non-empty strings"):
        gst.save({1: np.zeros(1)}, p)
    with pytest.raises(TypeError, match="'s' is a str"):
        gst.save({"s": "text"}, p)
    with pytest.raises(TypeError, match="state dict"):
        gst.save([np.zeros(1)], p)
    with pytest.raises(TypeError, match="cannot save attribute/entry 'f'.*builtins.object"):
        gu.save({"a": np.zeros(3), "f": object()}, p)
    assert p.read_bytes() == before and tmp_leftovers(tmp_path) == []

    calls = []
    real_write = gst._write_array

    def fail_on_second(f, array):  # an exception after part of the data is on disk
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(f, array)

    monkeypatch.setattr(gst, "_write_array", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        gu.save({"a": np.zeros(1000), "b": np.zeros(1000)}, p)
    assert len(calls) == 2
    assert p.read_bytes() == before and tmp_leftovers(tmp_path) == []
    monkeypatch.undo()

    def no_fsync(fd):
        raise OSError("fsync failed")

    monkeypatch.setattr(gst.os, "fsync", no_fsync)
    with pytest.raises(OSError, match="fsync failed"):
        gu.save({"a": np.zeros(5)}, p)
    monkeypatch.undo()
    assert p.read_bytes() == before and tmp_leftovers(tmp_path) == []
    np.testing.assert_array_equal(gu.load(p)["a"], np.ones(3))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gu.save({"a": np.zeros(1)}, tmp_path / "no" / "such" / "dir.safetensors")
    with pytest.raises(IsADirectoryError):
        gu.save({"a": np.zeros(1)}, tmp_path)


def test_atomic_open_for_other_writers(tmp_path):
    p = tmp_path / "log.csv"
    with gio.atomic_open(p, "w") as f:
        f.write("epoch,loss\r\n1,0.5\n")
    assert p.read_bytes() == b"epoch,loss\r\n1,0.5\n"  # text as written, UTF-8
    with pytest.raises(RuntimeError, match="crash"):
        with gio.atomic_open(p, "w") as f:
            f.write("partial")
            raise RuntimeError("crash")
    assert p.read_text() == "epoch,loss\n1,0.5\n" and tmp_leftovers(tmp_path) == []
    with pytest.raises(ValueError, match="mode"):
        with gio.atomic_open(p, "a"):
            pass


def test_save_replaces_and_keeps_permissions(tmp_path):
    p = tmp_path / "w.safetensors"
    gu.save({"a": np.ones(3)}, p)
    os.chmod(p, 0o600)
    gu.save({"a": np.zeros(3)}, p)
    assert (os.stat(p).st_mode & 0o777) == 0o600
    np.testing.assert_array_equal(gu.load(p)["a"], np.zeros(3))


def test_header_lengths_that_look_like_other_formats_still_load(tmp_path):
    # the length's low byte may be 0x80 (pickle's first byte) or 0x50 0x4B ("PK", a zip)
    for n in (0x80, 0x4B50, 0x8B1F):
        raw = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
        raw += b" " * (n - len(raw))
        p = tmp_path / f"h{n}.safetensors"
        p.write_bytes(n.to_bytes(8, "little") + raw + np.array([1.5, 2.5], "<f4").tobytes())
        np.testing.assert_array_equal(gu.load(p)["a"], [1.5, 2.5])
    names = {f"layer{i}.weight": np.zeros(1, np.float32) for i in range(40)}
    for k in range(40):  # real saves of many header sizes
        gu.save(dict(list(names.items())[:k]), tmp_path / "many.safetensors")
        assert len(gu.load(tmp_path / "many.safetensors")) == k


# ---------------------------------------------------------- refusing bad files
class _Marker:
    """Unpickling this would create a file; the tests check it never appears."""

    path = None

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_refuses_pickles_and_torch_files_without_running_them(tmp_path):
    torch = require_torch()
    marker = tmp_path / "executed"
    payload = _Marker()
    payload.path = str(marker)
    pkl = tmp_path / "model.safetensors"
    pkl.write_bytes(pickle.dumps({"w": payload}))
    for fn in (gu.load, gio.load_metadata, gio.load_checkpoint):
        with pytest.raises(gio.SafetensorsError,
                           match="not a safetensors file \\(it looks like a Python pickle; "
                                 "groundup never loads pickle\\)"):
            fn(pkl)
    pt = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2), "evil": payload}, str(pt))
    assert not marker.exists()  # torch.save pickled it without running it
    with pytest.raises(gio.SafetensorsError, match="zip archive.*PyTorch .pt"):
        gu.load(pt)
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.zeros(2)}, str(legacy), _use_new_zipfile_serialization=False)
    with pytest.raises(gio.SafetensorsError, match="pickle"):
        gu.load(legacy)
    assert not marker.exists()


def test_refuses_truncated_and_garbage_files(tmp_path):
    good = tmp_path / "good.safetensors"
    gu.save({"a": np.arange(100, dtype=np.float32), "b": np.ones(3)}, good, metadata={"k": 1})
    data = good.read_bytes()
    cases = {
        "empty": (b"", "it is empty"),
        "tiny": (b"\x01\x02", "only 2 bytes"),
        "garbage": (b"garbage!" * 8, "header length field"),
        "cut_header": (data[:20], "header length field"),
        "cut_data": (data[:-7], "is truncated: its header describes 424 bytes of data, the "
                                "file holds 417"),
        "trailing": (data + b"\x00" * 8, "8 bytes follow the last tensor"),
        "not_json": (len(b"{not json}").to_bytes(8, "little") + b"{not json}", "not valid JSON"),
        "list": ((4).to_bytes(8, "little") + b"[1] ", "does not start with a JSON object"),
        "gzip": (b"\x1f\x8b" + data, "gzip"),
        "npy": (b"\x93NUMPY\x01\x00" + data, "NumPy .npy"),
    }
    for name, (blob, message) in cases.items():
        p = tmp_path / f"{name}.safetensors"
        p.write_bytes(blob)
        with pytest.raises(gio.SafetensorsError, match=message):
            gu.load(p)

    def forged(header, payload=b""):
        raw = json.dumps(header).encode()
        return len(raw).to_bytes(8, "little") + raw + payload

    bad_headers = {
        "dtype": ({"a": {"dtype": "X9", "shape": [1], "data_offsets": [0, 1]}}, b"\0",
                  "dtype 'X9'"),
        "bf16": ({"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0\0",
                 "no bfloat16"),
        "size": ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4,
                 "need"),
        "gap": ({"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}, b"\0\0",
                 "starts at byte 1"),
        "shape": ({"a": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}}, b"\0",
                  "bad shape"),
        "entry": ({"a": [1, 2]}, b"", "lacks dtype"),
        "meta": ({"__metadata__": {"k": 1}}, b"", "map of strings"),
        "bool": ({"a": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x07",
                 "bytes other than 0 and 1"),
    }
    for name, (header, payload, message) in bad_headers.items():
        p = tmp_path / f"forged_{name}.safetensors"
        p.write_bytes(forged(header, payload))
        with pytest.raises(gio.SafetensorsError, match=message):
            gu.load(p)
    with pytest.raises(FileNotFoundError, match="no such file"):
        gu.load(tmp_path / "missing.safetensors")
    with pytest.raises(IsADirectoryError):
        gu.load(tmp_path)
    np.testing.assert_array_equal(gu.load(good)["a"], np.arange(100, dtype=np.float32))
