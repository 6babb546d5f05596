"""Tests for groundup/utils/data.py: torch.utils.data's names, as an attribute and by import."""

import subprocess
import sys

import groundup as gu


def test_utils_data_is_gu_data_under_pytorchs_name():
    from groundup.utils.data import (  # the import a ported program writes
        BatchSampler,
        ConcatDataset,
        DataLoader,
        Dataset,
        IterableDataset,
        RandomSampler,
        Sampler,
        SequentialSampler,
        Subset,
        TensorDataset,
        WeightedRandomSampler,
        default_collate,
        get_worker_info,
        random_split,
    )

    names = (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
             Sampler, SequentialSampler, Subset, TensorDataset, WeightedRandomSampler,
             default_collate, get_worker_info, random_split)
    for obj in names:
        assert getattr(gu.data, obj.__name__) is obj
        assert getattr(gu.utils.data, obj.__name__) is obj
    for name in gu.utils.data.__all__:
        assert getattr(gu.utils.data, name) is getattr(gu.data, name)


def test_reachable_as_an_attribute_after_import_groundup():
    code = ("import groundup as gu\n"
            "loader = gu.utils.data.DataLoader(gu.utils.data.TensorDataset(gu.ones(4, 2)), "
            "batch_size=2)\n"
            "print(len(loader))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
