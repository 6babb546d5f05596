"""Tests for groundup/data/dataset.py: TensorDataset, Subset, Concat/Chain, random_split."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)


def _data(n=10):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3)), np.arange(n)


# ---------------------------------------------------------------- TensorDataset
def test_tensor_dataset_items_and_dtype_rules():
    X, y = _data()
    ds = TensorDataset(X, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert isinstance(xi, gu.Tensor) and isinstance(yi, gu.Tensor)
    assert xi.shape == (3,) and yi.shape == ()
    assert xi.dtype == np.float32 and yi.dtype == np.int64  # float64 -> float32, ints stay
    np.testing.assert_allclose(xi.numpy(), X[3].astype(np.float32))
    assert yi.item() == 3
    assert ds[-1][1].item() == 9
    # Tensors keep the dtype they were made with, and share memory
    t = gu.tensor(X, dtype=gu.float64)
    ds64 = TensorDataset(t, y)
    assert ds64[0][0].dtype == np.float64
    assert ds64.arrays[0] is t.array
    assert isinstance(ds.tensors[0], gu.Tensor) and ds.tensors[0].shape == (10, 3)


def test_tensor_dataset_batch_indexing_is_a_copy():
    X, y = _data()
    ds = TensorDataset(X.astype(np.float32), y)
    xb, yb = ds[2:5]
    assert xb.shape == (3, 3) and list(yb.numpy()) == [2, 3, 4]
    xb.array[...] = 0
    assert ds.arrays[0][2, 0] != 0
    _, yb = ds[np.array([7, 1])]
    assert list(yb.numpy()) == [7, 1]
    _, yb = ds[y % 2 == 0]
    assert list(yb.numpy()) == [0, 2, 4, 6, 8]


def test_tensor_dataset_errors():
    X, y = _data()
    with pytest.raises(ValueError, match=r"same first dimension.*\(10, 3\).*\(9,\)"):
        TensorDataset(X, y[:9])
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.array(1.0))
    with pytest.raises(TypeError, match="argument 1"):
        TensorDataset(X, np.array(["a"] * 10))
    with pytest.raises(IndexError, match="out of range"):
        TensorDataset(X)[10]
    assert "TensorDataset((10, 3) float32, (10,) int64)" == repr(TensorDataset(X, y))


def test_dataset_base_class():
    class Squares(Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 4

    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Dataset())
    both = Squares() + Squares()
    assert isinstance(both, ConcatDataset) and len(both) == 8 and both[5] == 1


# ------------------------------------------------------------- Subset / Concat
def test_subset():
    X, y = _data()
    ds = TensorDataset(X, y)
    sub = Subset(ds, [4, 2, -1])
    assert len(sub) == 3
    assert [sub[i][1].item() for i in range(3)] == [4, 2, 9]
    mask = Subset(ds, y > 6)
    assert [mask[i][1].item() for i in range(len(mask))] == [7, 8, 9]
    with pytest.raises(IndexError, match=r"\[-10, 10\)"):
        Subset(ds, [0, 10])
    with pytest.raises(TypeError, match="integers"):
        Subset(ds, [0.5])
    assert len(Subset(ds, [])) == 0


def test_concat_dataset():
    a = TensorDataset(np.arange(3))
    b = TensorDataset(np.arange(10, 15))
    c = ConcatDataset([a, b])
    assert len(c) == 8 and c.cumulative_sizes == [3, 8]
    assert [c[i][0].item() for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert c[-1][0].item() == 14 and c[-8][0].item() == 0
    with pytest.raises(IndexError):
        c[8]
    with pytest.raises(IndexError):
        c[-9]
    with pytest.raises(TypeError, match="integers"):
        c[1:3]
    assert list(iter(c))[3][0].item() == 10  # iteration stops at IndexError
    with pytest.raises(ValueError):
        ConcatDataset([])


# ----------------------------------------------------------------- random_split
def test_random_split_lengths_disjoint_and_seeded():
    ds = TensorDataset(np.arange(100))
    parts = random_split(ds, [70, 20, 10], seed=0)
    assert [len(p) for p in parts] == [70, 20, 10]
    idx = np.concatenate([p.indices for p in parts])
    assert sorted(idx.tolist()) == list(range(100))  # disjoint and covering
    again = random_split(ds, [70, 20, 10], seed=0)
    for p, q in zip(parts, again, strict=True):
        np.testing.assert_array_equal(p.indices, q.indices)
    other = random_split(ds, [70, 20, 10], seed=1)
    assert not np.array_equal(parts[0].indices, other[0].indices)
    assert [parts[1][i][0].item() for i in range(3)] == parts[1].indices[:3].tolist()


def test_random_split_fractions_match_pytorch_sizes():
    torch = require_torch()
    for n, fractions in [(10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]), (7, [0.1, 0.2, 0.7]),
                         (1797, [0.8, 0.2])]:
        ours = [len(p) for p in random_split(TensorDataset(np.arange(n)), fractions, seed=0)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
        assert ours == theirs, (n, fractions)


def test_random_split_shared_generator_and_errors():
    ds = TensorDataset(np.arange(20))
    gu.manual_seed(5)
    a = random_split(ds, [0.5, 0.5])
    gu.manual_seed(5)
    b = random_split(ds, [0.5, 0.5])
    np.testing.assert_array_equal(a[0].indices, b[0].indices)
    gen = np.random.default_rng(3)
    c = random_split(ds, [10, 10], seed=gen)
    np.testing.assert_array_equal(c[0].indices, np.random.default_rng(3).permutation(20)[:10])
    with pytest.raises(ValueError, match="sum to the dataset's length 20"):
        random_split(ds, [10, 5])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ds, [0.5, 0.6])
    with pytest.raises(ValueError, match="empty"):
        random_split(ds, [])
    with pytest.raises(TypeError, match="seed"):
        random_split(ds, [10, 10], seed="x")


def test_random_split_with_a_generator():
    ds = TensorDataset(np.arange(20))
    a = random_split(ds, [0.75, 0.25], generator=gu.Generator().manual_seed(2))
    b = random_split(ds, [15, 5], generator=gu.Generator().manual_seed(2))
    for p, q in zip(a, b, strict=True):
        np.testing.assert_array_equal(p.indices, q.indices)
    c = random_split(ds, [15, 5], seed=2)  # seed=s and Generator().manual_seed(s) agree
    np.testing.assert_array_equal(a[0].indices, c[0].indices)
    with pytest.raises(ValueError, match="not both"):
        random_split(ds, [10, 10], generator=gu.Generator(), seed=1)
    with pytest.raises(TypeError, match="seed=3"):
        random_split(ds, [10, 10], 3)


def test_subset_and_concat_match_pytorch():
    torch = require_torch()
    tud = torch.utils.data
    data, other = list(range(10, 20)), list(range(100, 103))
    for indices in ([3, 1, 1, 9], [], [-1, 0]):
        sub = Subset(data, indices)
        ref = tud.Subset(data, indices)
        assert len(sub) == len(ref) and [sub[i] for i in range(len(sub))] == list(ref)
    cat, ref = ConcatDataset([data, other, data]), tud.ConcatDataset([data, other, data])
    assert len(cat) == len(ref) and cat.cumulative_sizes == ref.cumulative_sizes
    assert [cat[i] for i in range(-len(cat), len(cat))] == \
        [ref[i] for i in range(-len(ref), len(ref))]


class _Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_iterable_and_chain_datasets():
    chained = _Count(3) + _Count(2)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 2, 0, 1]
    assert len(chained) == 5
    with pytest.raises(TypeError, match="cannot be indexed"):
        _Count(3)[0]
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())
    with pytest.raises(TypeError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([TensorDataset(np.arange(3)), _Count(2)])
    with pytest.raises(TypeError, match="dataset 1 is a list"):
        ChainDataset([_Count(1), [1, 2]])
