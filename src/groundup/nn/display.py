"""How a Module shows itself: its nested repr and the Keras-style `summary()` table.

`Module.__repr__` and `Module.summary` delegate here. The repr follows PyTorch's
layout line for line (`Name(extra_repr)`, then each child as `(name): repr`,
indented by two), so a model prints the same in both libraries; the summary runs
one forward with hooks and tabulates each sub-module's output shape and
parameter count.
"""

import numpy as np

from ..autograd import no_grad
from ..backend import device_of, move, to_dtype
from ..tensor import Tensor

__all__ = ["module_repr", "summary"]

# ids of the modules whose repr is being built right now: a child among them is a
# cycle (an attribute that points back up the tree), shown as `<Name: cycle>`.
_IN_REPR = set()


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def _shape_str(out):
    if isinstance(out, Tensor):
        return str(tuple(out.shape))
    if isinstance(out, (tuple, list)):
        return "[" + ", ".join(_shape_str(o) for o in out) + "]"
    return "--" if out is None else type(out).__name__


def module_repr(module, children):
    """`module`'s repr, given its direct children as (name, module) pairs in attribute order.

    `Name(extra)` when the extra_repr is one line and there are no children;
    otherwise the extra_repr lines and one `(name): <child repr>` per child,
    each on its own line indented by two.
    """
    extra = module.extra_repr()
    extra_lines = extra.split("\n") if extra else []
    _IN_REPR.add(id(module))
    try:
        child_lines = [
            f"({name}): " + (f"<{type(m).__name__}: cycle>" if id(m) in _IN_REPR
                             else _addindent(repr(m), 2))
            for name, m in children
        ]
    finally:
        _IN_REPR.discard(id(module))
    lines = extra_lines + child_lines
    text = type(module).__name__ + "("
    if lines:
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        else:
            text += "\n  " + "\n  ".join(lines) + "\n"
    return text + ")"


def summary(module, input_shape, dtype=None, print_fn=print):
    """The table of `module.summary(input_shape, dtype, print_fn)`: print it (unless
    `print_fn` is None) and return it.

    One row per sub-module (parents first, nested rows indented; the module itself
    when it has none) with its output shape, recorded by a forward hook, and its
    parameter count; then the totals and the input and output shapes.
    """
    shapes = input_shape
    if not (isinstance(shapes, (list, tuple)) and shapes
            and isinstance(shapes[0], (list, tuple))):
        shapes = [shapes]
    params = list(module.parameters())
    float_params = [p for p in params if p.array.dtype.kind == "f"]
    ref = float_params[0].array if float_params else np.zeros(0, np.float32)
    dt = to_dtype(dtype) if dtype is not None else ref.dtype
    inputs = [Tensor._wrap(move(np.zeros(tuple(s), dt), device_of(ref))) for s in shapes]

    walk = list(module._walk_modules(None, "", True, 0))
    outputs = {}
    handles = []
    for _, m, _ in walk:
        def hook(mod, args, out):
            outputs[id(mod)] = _shape_str(out)
        handles.append(m.register_forward_hook(hook))
    modes = [(m, m.training) for _, m, _ in walk]
    try:
        for m, _ in modes:
            m.training = False
        with no_grad():
            out = module(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode
    rows = [(f"{'  ' * (d - 1)}{name} ({type(m).__name__})", outputs.get(id(m), "--"),
             f"{m.num_parameters():,}") for name, m, d in walk[1:]]
    if not rows:
        rows = [(type(module).__name__, _shape_str(out), f"{module.num_parameters():,}")]
    head = ("Layer (type)", "Output Shape", "Param #")
    w0 = max(len(head[0]), *(len(r[0]) for r in rows)) + 2
    w1 = max(len(head[1]), *(len(r[1]) for r in rows)) + 2
    w2 = max(len(head[2]), *(len(r[2]) for r in rows))
    width = w0 + w1 + w2
    total = module.num_parameters()
    trainable = module.num_parameters(trainable_only=True)
    lines = [f"{type(module).__name__} summary", "=" * width,
             f"{head[0]:<{w0}}{head[1]:<{w1}}{head[2]:>{w2}}", "=" * width]
    lines += [f"{a:<{w0}}{b:<{w1}}{c:>{w2}}" for a, b, c in rows]
    lines += ["=" * width, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}",
              f"Input shape: {', '.join(str(tuple(s)) for s in shapes)}",
              f"Output shape: {_shape_str(out)}", "=" * width]
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text
