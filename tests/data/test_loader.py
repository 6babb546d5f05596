"""Tests for groundup/data/loader.py: batching, shuffling, collation, resumable state, options."""

import collections
import json

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)


def _xy(n=10):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3)), np.arange(n)


def _labels(loader):
    return [yb.numpy().tolist() for _, yb in loader]


class ItemDataset(Dataset):
    """The same data as TensorDataset(X, y) but read item by item (the generic path)."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __getitem__(self, i):
        return self.X[i], self.y[i]

    def __len__(self):
        return len(self.y)


# --------------------------------------------------------------------- batching
@pytest.mark.parametrize("n,bs,drop,expected", [
    (10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, False, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]), (2, 5, False, [2]), (2, 5, True, []), (0, 4, False, []),
])
def test_batch_counts_and_sizes(n, bs, drop, expected):
    X, y = _xy(n)
    for ds in (TensorDataset(X, y), ItemDataset(X, y)):
        loader = DataLoader(ds, batch_size=bs, drop_last=drop)
        assert len(loader) == len(expected)
        assert [len(yb) for _, yb in loader] == expected


def test_sequential_order_and_dtypes():
    X, y = _xy()
    loader = DataLoader(TensorDataset(X, y), batch_size=4)
    batches = list(loader)
    xb, yb = batches[0]
    assert isinstance(xb, gu.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert xb.shape == (4, 3) and yb.shape == (4,)
    stacked = np.concatenate([b[0].numpy() for b in batches])
    np.testing.assert_allclose(stacked, X.astype(np.float32))
    assert sum(_labels(loader), []) == list(range(10))


def test_bare_array_and_tensor_datasets_give_single_tensors():
    X, _ = _xy()
    for data in (X, gu.tensor(X)):
        batches = list(DataLoader(data, batch_size=4))
        assert all(isinstance(b, gu.Tensor) for b in batches)
        assert [b.shape[0] for b in batches] == [4, 4, 2]
    one = list(DataLoader(TensorDataset(X), batch_size=4))[0]
    assert isinstance(one, tuple) and len(one) == 1  # a TensorDataset of one array: 1-tuples
    x64 = list(DataLoader(gu.tensor(X, dtype=gu.float64), batch_size=5))[0]
    assert x64.dtype == np.float64


def test_batches_are_fresh_arrays():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    for shuffle in (False, True):
        for xb in DataLoader(X, batch_size=3, shuffle=shuffle, seed=0):
            xb.array[...] = -1
        assert X.min() >= 0


# -------------------------------------------------------------------- shuffling
def test_seeded_shuffle_is_deterministic_and_changes_per_epoch():
    X, y = _xy(50)
    a = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=7)
    b = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=7)
    epochs_a = [sum(_labels(a), []) for _ in range(3)]
    epochs_b = [sum(_labels(b), []) for _ in range(3)]
    assert epochs_a == epochs_b
    for order in epochs_a:
        assert sorted(order) == list(range(50))
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert epochs_a[0] != list(range(50))
    c = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=8)
    assert sum(_labels(c), []) != epochs_a[0]
    # the seeded loader does not touch the shared generator
    gu.manual_seed(0)
    list(a)
    state = gu.get_rng_state()
    gu.manual_seed(0)
    assert gu.get_rng_state() == state


def test_unseeded_shuffle_follows_manual_seed():
    X, y = _xy(30)
    loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True)
    gu.manual_seed(3)
    first = [sum(_labels(loader), []) for _ in range(2)]
    gu.manual_seed(3)
    second = [sum(_labels(loader), []) for _ in range(2)]
    assert first == second and first[0] != first[1]
    gu.manual_seed(3)
    expected = np.random.default_rng(3).permutation(30).tolist()
    assert sum(_labels(loader), []) == expected


def test_fast_path_matches_item_path():
    X, y = _xy(23)
    fast = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=True, seed=1)
    slow = DataLoader(ItemDataset(X, y), batch_size=5, shuffle=True, seed=1)
    assert fast._source is not None and slow._source is None
    for _ in range(2):
        for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
            assert xf.dtype == xs.dtype and yf.dtype == ys.dtype
            np.testing.assert_array_equal(xf.numpy(), xs.numpy())
            np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_subset_and_random_split_use_the_fast_path():
    X, y = _xy(20)
    train, val = random_split(TensorDataset(X, y), [15, 5], seed=0)
    loader = DataLoader(train, batch_size=4, shuffle=True, seed=0)
    assert loader._source is not None
    seen = sum(_labels(loader), [])
    assert sorted(seen) == sorted(train.indices.tolist())
    nested = Subset(Subset(TensorDataset(X, y), np.arange(10, 20)), [0, -1])
    assert _labels(DataLoader(nested, batch_size=2)) == [[10, 19]]

    class Custom(TensorDataset):  # an overridden __getitem__ must be honoured
        def __getitem__(self, i):
            x, t = super().__getitem__(i)
            return x, t * 0
    assert DataLoader(Custom(X, y), batch_size=20)._source is None
    assert _labels(DataLoader(Custom(X, y), batch_size=20)) == [[0] * 20]


# -------------------------------------------------------------------- collation
def test_default_collate_structures_and_dtypes():
    Pair = collections.namedtuple("Pair", "a b")
    samples = [
        {"x": np.ones(3), "n": i, "f": 0.5 * i, "flag": bool(i % 2), "name": f"s{i}",
         "pair": Pair(np.float32(i), gu.tensor([i], dtype=gu.float64)), "seq": [i, (i, 2 * i)]}
        for i in range(4)
    ]
    batch = default_collate(samples)
    assert set(batch) == set(samples[0])
    assert batch["x"].shape == (4, 3) and batch["x"].dtype == np.float32  # float64 -> float32
    assert batch["n"].dtype == np.int64 and batch["n"].tolist() == [0, 1, 2, 3]
    assert batch["f"].dtype == np.float32
    assert batch["flag"].dtype == np.bool_ and batch["flag"].tolist() == [False, True] * 2
    assert batch["name"] == ["s0", "s1", "s2", "s3"]
    assert isinstance(batch["pair"], Pair)
    assert batch["pair"].a.dtype == np.float32 and batch["pair"].b.dtype == np.float64
    assert batch["pair"].b.shape == (4, 1)
    assert isinstance(batch["seq"], list) and isinstance(batch["seq"][1], tuple)
    assert batch["seq"][1][1].tolist() == [0, 2, 4, 6]
    ints = default_collate([np.arange(2, dtype=np.int32)] * 3)
    assert ints.dtype == np.int32 and ints.shape == (3, 2)
    images = default_collate([np.zeros((1, 2, 2), np.uint8)] * 2)
    assert images.dtype == np.uint8 and images.shape == (2, 1, 2, 2)


def test_collate_in_a_loader_and_custom_collate_fn():
    class Dicts(Dataset):
        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "y": i}

        def __len__(self):
            return 5

    batches = list(DataLoader(Dicts(), batch_size=2))
    assert [b["y"].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert batches[0]["x"].shape == (2, 2)
    lists = list(DataLoader(Dicts(), batch_size=2, collate_fn=list))
    assert isinstance(lists[0], list) and [s["y"] for s in lists[0]] == [0, 1]
    assert len(list(DataLoader([(1, 2.0), (3, 4.0), (5, 6.0)], batch_size=2))) == 2


def test_collate_errors_are_clear():
    shapes = r"batch\['x'\].*\(3,\) \(sample 0\) and \(4,\) \(sample 1\)"
    with pytest.raises(ValueError, match=shapes):
        default_collate([{"x": np.zeros(3)}, {"x": np.zeros(4)}])
    with pytest.raises(ValueError, match="keys"):
        default_collate([{"x": 1}, {"y": 1}])
    with pytest.raises(ValueError, match="2 fields but sample 1 has length 3"):
        default_collate([(1, 2), (1, 2, 3)])
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="mixes types"):
        default_collate([gu.tensor([1.0]), np.array([1.0])])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])


def test_constructor_errors():
    X, y = _xy()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(X, batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(X, batch_size=2.5)
    with pytest.raises(TypeError, match="seed"):
        DataLoader(X, seed="a")
    with pytest.raises(TypeError, match="len"):
        DataLoader(5)
    assert "batch_size=3" in repr(DataLoader(X, batch_size=3))


# -------------------------------------------------------------- resumable state
def _epochs(loader, k):
    return [sum(_labels(loader), []) for _ in range(k)]


def test_state_dict_resumes_at_an_epoch_boundary():
    X, y = _xy(40)
    ds = TensorDataset(X, y)
    full = _epochs(DataLoader(ds, batch_size=6, shuffle=True, seed=11), 4)
    first = DataLoader(ds, batch_size=6, shuffle=True, seed=11)
    assert _epochs(first, 2) == full[:2]
    state = json.loads(json.dumps(first.state_dict()))  # JSON-serialisable
    assert state["epochs_completed"] == 2 and not state["in_epoch"]
    resumed = DataLoader(ds, batch_size=6, shuffle=True, seed=999)  # the state decides
    resumed.load_state_dict(state)
    assert _epochs(resumed, 2) == full[2:]
    assert resumed.epochs_completed == 4


@pytest.mark.parametrize("seed", [5, None])
def test_state_dict_resumes_inside_an_epoch(seed):
    X, y = _xy(40)
    ds = TensorDataset(X, y)
    gu.manual_seed(1)
    full = _epochs(DataLoader(ds, batch_size=6, shuffle=True, seed=seed), 3)
    gu.manual_seed(1)
    first = DataLoader(ds, batch_size=6, shuffle=True, seed=seed)
    _epochs(first, 1)
    it = iter(first)
    head = [next(it)[1].numpy().tolist() for _ in range(3)]
    state = json.loads(json.dumps(first.state_dict()))
    rng = gu.get_rng_state()  # a checkpoint stores this next to the loader state
    assert state["in_epoch"] and state["position"] == 3
    gu.manual_seed(12345)  # a new process...
    resumed = DataLoader(ds, batch_size=6, shuffle=True, seed=seed)
    resumed.load_state_dict(state)
    gu.set_rng_state(rng)
    tail = _labels(resumed)
    assert sum(head + tail, []) == full[1]
    assert _epochs(resumed, 1) == full[2:]


def test_state_dict_without_shuffle_and_errors():
    X, y = _xy(10)
    loader = DataLoader(TensorDataset(X, y), batch_size=3)
    it = iter(loader)
    next(it)
    other = DataLoader(TensorDataset(X, y), batch_size=3)
    other.load_state_dict(loader.state_dict())
    assert _labels(other) == [[3, 4, 5], [6, 7, 8], [9]]
    with pytest.raises(ValueError, match="batch_size=3 over 10 samples"):
        DataLoader(TensorDataset(X, y), batch_size=4).load_state_dict(loader.state_dict())
    with pytest.raises(ValueError, match="shuffle=False"):
        DataLoader(TensorDataset(X, y), batch_size=3, shuffle=True).load_state_dict(
            loader.state_dict())
    bad = dict(loader.state_dict(), generator={"bit_generator": "Evil"})
    with pytest.raises(ValueError, match="not a generator state"):
        other.load_state_dict(bad)
    with pytest.raises(ValueError, match="lacks"):
        other.load_state_dict({"batch_size": 3})
    with pytest.raises(TypeError):
        other.load_state_dict([1])


# ------------------------------------------------------- PyTorch's arguments
def test_constructor_option_clashes_match_pytorch():
    torch = require_torch()
    tud = torch.utils.data
    X = np.arange(12.0).reshape(6, 2)
    it = _Stream(6)
    cases = [  # (kwargs, words of our message); PyTorch refuses each with a ValueError too
        (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0, 1]], batch_size=2), "batch_sampler option is mutually exclusive"),
        (dict(batch_sampler=[[0, 1]], drop_last=True), "batch_sampler option is mutually"),
        (dict(batch_sampler=[[0, 1]], sampler=[0]), "batch_sampler option is mutually"),
        (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
        (dict(num_workers=-1), "num_workers"),
        (dict(timeout=-1), "timeout"),
        (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
        (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    ]
    for kwargs, words in cases:
        with pytest.raises(ValueError):
            tud.DataLoader(torch.tensor(X), **kwargs)
        with pytest.raises(ValueError, match=words):
            DataLoader(X, **kwargs)
    for name, value in (("shuffle", True), ("sampler", [0]), ("batch_sampler", [[0]])):
        with pytest.raises(ValueError):
            tud.DataLoader(_TorchStream(6), **{name: value})
        with pytest.raises(ValueError, match=f"IterableDataset: expected unspecified {name}"):
            DataLoader(it, **{name: value})
    with pytest.raises(ValueError, match="multiprocessing_context"):
        DataLoader(X, num_workers=1, multiprocessing_context="spawn")
    with pytest.raises(ValueError, match="generator= or seed="):
        DataLoader(X, seed=1, generator=gu.Generator())
    with pytest.raises(TypeError, match="Generator"):
        DataLoader(X, generator=3)


def test_sampler_and_batch_sampler_arguments_match_pytorch():
    torch = require_torch()
    tud = torch.utils.data
    X, y = _xy(10)
    sampler = [9, 0, 4, 4, 1]
    batches = [[3, 1], [0], [8, 9, 2]]
    for kwargs in (dict(sampler=sampler, batch_size=2), dict(batch_sampler=batches),
                   dict(sampler=sampler, batch_size=2, drop_last=True),
                   dict(sampler=tud.SequentialSampler(range(10)), batch_size=4)):
        theirs = [b[1].tolist() for b in tud.DataLoader(
            tud.TensorDataset(torch.tensor(X), torch.tensor(y)), **kwargs)]
        for ds in (TensorDataset(X, y), ItemDataset(X, y)):
            loader = DataLoader(ds, **kwargs)
            assert _labels(loader) == theirs, kwargs
            assert len(loader) == len(theirs)
    loader = DataLoader(TensorDataset(X, y), batch_sampler=batches)
    assert loader.batch_size is None and loader.drop_last is False
    # PyTorch's attributes
    loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True)
    assert isinstance(loader.sampler, RandomSampler)
    assert isinstance(loader.batch_sampler, BatchSampler) and loader.batch_sampler.batch_size == 4
    assert isinstance(DataLoader(X).sampler, SequentialSampler)
    assert DataLoader(X, pin_memory=True).pin_memory  # accepted, a no-op


def test_batch_size_none_yields_converted_samples():
    torch = require_torch()
    data = [(np.float64(i), i, np.arange(2) + i) for i in range(3)]
    ours = list(DataLoader(data, batch_size=None))
    theirs = list(torch.utils.data.DataLoader(data, batch_size=None))
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs, strict=True):
        assert isinstance(a, tuple) and isinstance(a[0], gu.Tensor) and a[1] == b[1]
        assert isinstance(a[2], gu.Tensor) and a[2].tolist() == b[2].tolist()
    assert default_convert({"a": [np.zeros(2)], "s": "x"})["a"][0].shape == (2,)
    assert [t.item() for t in DataLoader(np.arange(4.0), batch_size=None)] == [0, 1, 2, 3]


def test_generator_argument_and_seed_are_the_same_stream():
    X, y = _xy(30)
    ds = TensorDataset(X, y)
    g = gu.Generator().manual_seed(4)
    by_generator = [_labels(DataLoader(ds, batch_size=7, shuffle=True, generator=g))
                    for _ in range(2)]
    again = DataLoader(ds, batch_size=7, shuffle=True, generator=gu.Generator().manual_seed(4))
    assert [_labels(again) for _ in range(2)] == by_generator
    by_seed = DataLoader(ds, batch_size=7, shuffle=True, seed=4)
    assert [_labels(by_seed) for _ in range(2)] == by_generator
    assert isinstance(by_seed.generator, gu.Generator) and by_seed.generator.initial_seed() == 4
    # the sampler alone gives the same order
    order = list(RandomSampler(ds, generator=gu.Generator().manual_seed(4)))
    assert sum(by_generator[0], []) == order


def test_resume_inside_an_epoch_with_a_generator_and_a_custom_sampler():
    X, y = _xy(40)
    ds = TensorDataset(X, y)
    full = _epochs(DataLoader(ds, batch_size=6, shuffle=True,
                              generator=gu.Generator().manual_seed(2)), 2)
    g = gu.Generator().manual_seed(2)
    first = DataLoader(ds, batch_size=6, shuffle=True, generator=g)
    it = iter(first)
    head = [next(it)[1].tolist() for _ in range(2)]
    state = json.loads(json.dumps(first.state_dict()))
    other = gu.Generator().manual_seed(99)
    resumed = DataLoader(ds, batch_size=6, shuffle=True, generator=other)
    resumed.load_state_dict(state)
    assert resumed.generator is other  # restored in place
    assert sum(head + _labels(resumed), []) == full[0]
    assert _epochs(resumed, 1) == full[1:]
    custom = DataLoader(ds, batch_size=6, sampler=list(range(40))[::-1])
    it = iter(custom)
    next(it)
    with pytest.raises(ValueError, match="cannot resume mid-epoch"):
        DataLoader(ds, batch_size=6, sampler=list(range(40))).load_state_dict(custom.state_dict())


# ------------------------------------------------------------ iterable datasets
class _Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter([(np.full(2, i, np.float32), i) for i in range(self.n)])


def _TorchStream(n):  # noqa: N802 - the same stream as a torch IterableDataset
    torch = require_torch()

    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter([(np.full(2, i, np.float32), i) for i in range(n)])
    return Stream()


def test_iterable_dataset_batches_match_pytorch():
    torch = require_torch()
    for bs, drop in ((2, False), (2, True), (4, False), (None, False)):
        ours = list(DataLoader(_Stream(7), batch_size=bs, drop_last=drop))
        theirs = list(torch.utils.data.DataLoader(_TorchStream(7), batch_size=bs, drop_last=drop))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            if bs is None:
                assert a[1] == b[1] and a[0].tolist() == b[0].tolist()
            else:
                assert a[1].tolist() == b[1].tolist() and a[0].shape == tuple(b[0].shape)
    with pytest.raises(TypeError, match="no __len__"):
        len(DataLoader(_Stream(3)))
    state = DataLoader(_Stream(3)).state_dict()
    assert state["length"] is None and not state["in_epoch"]


def test_default_collate_structure_matches_pytorch():
    torch = require_torch()
    samples = [{"a": (np.ones(2) * i, i), "b": [np.float32(i), {"c": np.int64(i)}]}
               for i in range(3)]

    def shape(batch):
        if isinstance(batch, dict):
            return {k: shape(v) for k, v in batch.items()}
        if isinstance(batch, (list, tuple)):  # PyTorch turns tuples into lists; we keep them
            return [shape(v) for v in batch]
        return tuple(batch.shape), batch.tolist()

    ours = default_collate(samples)
    assert shape(ours) == shape(torch.utils.data.default_collate(samples))
    assert isinstance(ours["a"], tuple) and isinstance(ours["b"], list)
