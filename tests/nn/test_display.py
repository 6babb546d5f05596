"""A Module's repr (PyTorch's layout) and its summary() table."""

from collections import OrderedDict

from helpers import MembersNet, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()


# ----------------------------------------------------------------------- repr
def test_repr_matches_torch_layout():
    g = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 2, bias=False)))
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(),
                            torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False)))
    assert repr(g) == repr(t)
    assert repr(nn.Module()) == "Module()"


def test_repr_of_custom_module():
    text = repr(MembersNet())
    assert text.startswith("MembersNet(\n  (embed): Embedding(10, 4)\n"
                           "  (blocks.0): MembersBlock(\n")
    assert "    (fc): Linear(in_features=4, out_features=4, bias=True)" in text
    assert text.endswith(")\n)")


# -------------------------------------------------------------------- summary
def test_summary_table():
    m = nn.Sequential(OrderedDict(fc1=nn.Linear(4, 8), act=nn.ReLU(),
                                  block=nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5)),
                                  fc2=nn.Linear(8, 3)))
    m.fc1.weight.requires_grad_(False)
    printed = []
    text = m.summary((2, 4), print_fn=printed.append)
    assert printed == [text]
    assert "fc1 (Linear)" in text and "(2, 8)" in text and "(2, 3)" in text
    assert "\n  block.0 (Linear)" in text  # nested rows are indented
    assert f"Total params: {m.num_parameters():,}" in text
    assert "Trainable params: 107" in text and "Non-trainable params: 32" in text
    assert m.training and m.block[1].training  # modes restored
    assert not m.__dict__.get("_forward_hooks")  # hooks removed


def test_summary_several_inputs_and_tuple_outputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 2)
            self.b = nn.Linear(5, 2)

        def forward(self, x, y):
            return self.a(x), self.b(y)

    text = Two().summary([(4, 3), (4, 5)], print_fn=None)
    assert "Input shape: (4, 3), (4, 5)" in text and "Output shape: [(4, 2), (4, 2)]" in text


def test_summary_integer_input_and_single_layer():
    text = nn.Embedding(10, 3).summary((2, 5), dtype=gu.int64, print_fn=None)
    assert "(2, 5, 3)" in text and "Total params: 30" in text
