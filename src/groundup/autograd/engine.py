"""The backward pass: backward(), grad(), and the walk from the outputs to the leaves.

`backward()` walks the graph that `Function.apply` recorded from the output to
the leaves, iteratively (no recursion, so chains of any length work), calls each
node's `backward` with the gradient of its output once all of that output's
uses have contributed to it, and sums broadcast gradients back to each input's
shape in one place: the adjoint of broadcasting is summation (`sum_to_shape`, in
gradients.py).

A leaf's first gradient of a pass is summed out of place and stored into
`leaf.grad` at the end of the pass (after the leaf's hooks see the sum), so
no two leaves, and no leaf and a pending gradient, ever share one array; a
leaf that already has a .grad (and no hooks) accumulates into it in place.
`grad()` runs the same pass but hands the gradients back instead.

A leaf with post-accumulate-grad hooks (Tensor.register_post_accumulate_grad_hook)
has its .grad stored as soon as the last of its uses in the graph has delivered,
and its hooks called then, while the rest of the pass runs (data-parallel
training starts communicating a gradient there). `queue_callback(fn)`, called
during a pass (from a hook), runs `fn()` once the pass has stored every gradient.

Passes in several threads at once are independent, each on its own graph: a pass keeps
its state in locals and its callback queue per thread, and grad mode (`no_grad`) is per
thread too (see grad_mode.py).
"""

import itertools
import threading

import numpy as np

from ..backend import array_module
from . import gradients as _gradients
from . import versions as _versions
from .function import _as_array, _fn_name, _OutputGrads
from .gradients import (
    _fit_grad,
    _owned,
    _post_hooks_of,
    _run_hooks,
    _store_grad,
    _store_leaf,
    _store_retained,
)

_Tensor = None  # the Tensor class; tensor.py registers it (it imports this package)
_ndarray = np.ndarray
_NONES = itertools.repeat(None)  # the input gradients of a node that no gradient reached
# while a pass runs in a thread: the callbacks to run at its end (queue_callback), per thread
# so that passes in two threads at once keep to their own
_pass = threading.local()


def _register_tensor_type(cls):
    """Called by tensor.py once Tensor exists: each module here that builds Tensors keeps
    the class as a global (engine -> gradients -> function, down the import order)."""
    global _Tensor
    _Tensor = cls
    _gradients._register_tensor_type(cls)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate the gradient of `tensors` into `.grad` of every leaf that requires grad.

    tensors: a Tensor or a sequence of them (their gradients are summed, as PyTorch does).
    grad_tensors: d(loss)/d(tensor) for each, required unless the tensor has one element.
    retain_graph: keep the saved values so that backward can run through the graph again.
    inputs: accumulate only into these tensors' .grad (leaves or not); the default is
        every leaf that requires grad.
    """
    _refuse_create_graph("backward", create_graph)
    if grad_variables is not None:  # PyTorch's old name
        grad_tensors = grad_variables
    roots, owners = _roots("backward", tensors, grad_tensors)
    targets = None if inputs is None else _as_inputs("backward", inputs)
    _backprop(roots, bool(retain_graph), owners, targets, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, as a tuple; no `.grad` changes.

    outputs: a Tensor or a sequence of them (their gradients are summed).
    inputs: a Tensor or a sequence of them, leaves or not, all requiring grad.
    grad_outputs: d(loss)/d(output) for each output (None: ones, for one-element outputs).
    retain_graph: keep the saved values so that the graph can be walked again.
    allow_unused: an input the outputs do not depend on gets None (or zeros with
        materialize_grads=True) instead of an error.
    Hooks run as in backward(); a non-leaf that called retain_grad() keeps its gradient.
    """
    _refuse_create_graph("grad", create_graph)
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported; call grad() "
                                  "once per grad_outputs row")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad(): materialize_grads=True needs allow_unused=True (or left out), "
                         "got allow_unused=False")
    targets = _as_inputs("grad", inputs)
    roots, owners = _roots("grad", outputs, grad_outputs)
    found = _backprop(roots, bool(retain_graph), owners, targets, accumulate=False)
    result = []
    for i, t in enumerate(targets):
        g = found.get(id(t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad(): input {i} (shape {tuple(t.shape)}) was not used to compute the "
                    f"outputs; pass allow_unused=True to get None for it (or "
                    f"materialize_grads=True to get zeros)")
            result.append(_Tensor._wrap(array_module(t.array).zeros_like(t.array))
                          if materialize_grads else None)
        else:
            result.append(_Tensor._wrap(_owned(g.astype(t.array.dtype, copy=False), owners)))
    return tuple(result)


def queue_callback(callback):
    """Run `callback()` (no arguments) when the backward pass running now has stored every
    gradient; callable only during a pass (from a gradient hook), as PyTorch's engine's."""
    queued = getattr(_pass, "queued", None)
    if queued is None:
        raise RuntimeError("queue_callback: no backward pass is running; call it from a "
                           "gradient hook during backward()")
    if not callable(callback):
        raise TypeError(f"queue_callback: expected a function, got {type(callback).__name__}")
    queued.append(callback)


def _backprop(roots, retain_graph, owners, inputs=None, accumulate=True):
    """`_walk`, then the callbacks queued during it (queue_callback), in order."""
    outer = getattr(_pass, "queued", None)
    _pass.queued = queued = []
    try:
        found = _walk(roots, retain_graph, owners, inputs, accumulate)
        _pass.queued = outer
        for callback in queued:
            callback()
        return found
    finally:
        _pass.queued = outer


def _walk(roots, retain_graph, owners, inputs=None, accumulate=True):
    """The backward pass, from `roots` (pairs (tensor, gradient array)) to the leaves.

    1. count, for every node reachable from the roots, the edges leading into it (its uses);
    2. take a ready node: one whose uses have all delivered their gradient (summed in
       `pending`);
    3. call its backward with that gradient;
    4. send each input's gradient on: summed into the pending gradient of the input's
       node, or into the running sum of a leaf; a node whose last use has delivered
       becomes ready;
    5. store each leaf's sum into its .grad (`accumulate`), or hand the sums back.

    inputs: None (every leaf that requires grad), or the tensors whose gradients are
    wanted, leaves or not: then only the part of the graph leading to them runs.
    Returns {id(input): gradient} for the inputs (when accumulate is False).
    """
    pending = {}  # node -> the summed gradient of its output, so far
    leaf_grads = {}  # id(leaf) -> [leaf, summed gradient]
    for tensor, dy in roots:
        if tensor._ctx is None:  # a leaf: its gradient is the root's own
            if inputs is None or any(tensor is t for t in inputs):
                _add_leaf_grad(leaf_grads, tensor, dy, accumulate=False)
        else:
            _add_pending(pending, tensor._ctx, dy)
    uses = _count_uses(pending)
    masks, captured = (None, None) if inputs is None else _restrict(uses, inputs)
    hooked = _count_hooked_leaves(uses) if accumulate and _gradients._post_accumulate else None
    ready = [node for node in pending if uses[node] == 0]
    while ready:
        node = ready.pop()
        needs = node.needs_input_grad if masks is None else masks[node]
        dy = pending.pop(node, None)
        if dy is None:  # no gradient reached this node: its inputs get none from it
            dxs = _NONES
        else:
            dxs = _call_backward(node, dy, needs, retain_graph, owners, captured)
        for parent, need, dx in zip(node.parents, needs, dxs):
            source = parent._ctx
            if need and dx is not None:
                if type(dx) is not _ndarray or dx.shape != parent.array.shape:
                    dx = _fit_grad(dx, parent, node)
                if source is None:
                    _add_leaf_grad(leaf_grads, parent, dx, accumulate)
                elif source in pending:
                    pending[source] = pending[source] + dx
                else:
                    pending[source] = dx
            if source is not None:  # one more use of `source` has delivered
                left = uses[source] - 1
                uses[source] = left
                if left == 0:
                    ready.append(source)
            elif hooked is not None and id(parent) in hooked:
                _leaf_use_done(hooked[id(parent)], parent, need and dx is not None,
                               leaf_grads, owners)
    return _finish(leaf_grads, captured, inputs, owners, accumulate)


def _call_backward(node, dy, needs, retain_graph, owners, captured):
    """Step 3 for one node: checks, hooks, then `node.backward(dy)`; one gradient per input."""
    if type(dy) is not _ndarray and type(dy) is not _OutputGrads:
        dy = _as_array(dy, node.xp)  # NumPy arithmetic on 0-d arrays gives scalars
    if node.saved is None:
        raise RuntimeError(
            f"backward(): trying to backward through the graph a second time (through "
            f"{_fn_name(node)}); its saved values were freed after the first "
            f"backward. Pass retain_graph=True to the first backward() to keep them."
        )
    if node.stamp != _versions._changes and node.saved:  # something changed in place since
        _check_unchanged(node)
    if node.hooks is not None:  # gradient hooks, then retain_grad
        dy = _run_hooks(node.hooks, dy)
        if node.retained is not None:
            _store_retained(node, dy, owners)
    if captured and node in captured:  # a non-leaf input of grad() / backward(inputs=)
        captured[node] = dy
        if True not in needs:  # nothing wanted beyond it
            return _NONES
    dxs = node.backward(dy)
    if type(dxs) is not tuple:
        dxs = (dxs,)
    if len(dxs) != len(node.parents):
        raise RuntimeError(
            f"{_fn_name(node)}.backward returned {len(dxs)} gradient(s) for "
            f"{len(node.parents)} input(s)"
        )
    if not retain_graph:
        node.saved = None
        node.__dict__.clear()
    return dxs


def _check_unchanged(node):
    """Raise when memory that `node` saved for backward was changed in place after forward."""
    s = _versions.changed_since(node.stamp, node.saved)
    if s is not None:
        name = _fn_name(node)
        raise RuntimeError(
            f"backward(): a value that {name} saved for its backward pass (shape "
            f"{tuple(s.shape)}) was changed in place after the forward pass, and {name}'s "
            f"backward needs the old value. An optimizer.step() or an in-place op (add_, "
            f"mul_, x[...] = v, also through a view or a detach()ed alias) between the "
            f"forward pass and backward() does this: run the forward pass again after the "
            f"change, or change a .clone() instead."
        )

def _count_uses(roots):
    """For every node reachable from `roots`: how many edges lead into it (its output's uses)."""
    uses = dict.fromkeys(roots, 0)
    stack = list(uses)
    while stack:
        node = stack.pop()
        for p in node.parents:
            c = p._ctx
            if c is not None:
                if c in uses:
                    uses[c] += 1
                else:
                    uses[c] = 1
                    stack.append(c)
    return uses


def _count_hooked_leaves(uses):
    """{id(leaf): [uses left, got a gradient]} for the leaves with post-accumulate hooks."""
    hooked = {}
    for node in uses:
        for p in node.parents:
            if p._ctx is None and _post_hooks_of(p):
                entry = hooked.get(id(p))
                if entry is None:
                    hooked[id(p)] = [1, False]
                else:
                    entry[0] += 1
    return hooked


def _leaf_use_done(entry, leaf, delivered, leaf_grads, owners):
    """One use of a hooked leaf has run: after the last one, store its .grad, call its hooks."""
    entry[0] -= 1
    entry[1] = entry[1] or delivered
    if entry[0] == 0 and entry[1]:
        pair = leaf_grads.pop(id(leaf), None)
        if pair is not None:  # else it was added into the leaf's .grad in place
            _store_leaf(leaf, pair[1], owners)
        for hook in list(_post_hooks_of(leaf)):
            hook(leaf)


def _restrict(uses, inputs):
    """Which edges a pass towards `inputs` only needs: {node: needs mask}, and the nodes to
    capture the gradient of ({node of a non-leaf input: None until it arrives})."""
    leaf_ids = {id(t) for t in inputs if t._ctx is None}
    captured = {t._ctx: None for t in inputs if t._ctx is not None}
    left = dict(uses)  # roots-first (topological) order, as the pass will run
    order = [node for node in left if left[node] == 0]
    for node in order:
        for p in node.parents:
            c = p._ctx
            if c is not None:
                left[c] -= 1
                if left[c] == 0:
                    order.append(c)
    masks = {}  # inputs before the nodes that use them: whether a node leads to an input
    for node in reversed(order):
        masks[node] = tuple([
            need and (id(p) in leaf_ids if p._ctx is None
                      else p._ctx in captured or True in masks[p._ctx])
            for p, need in zip(node.parents, node.needs_input_grad)
        ])
    return masks, captured


def _add_pending(pending, node, dy):
    pending[node] = pending[node] + dy if node in pending else dy


def _add_leaf_grad(leaf_grads, leaf, dx, accumulate):
    """Add `dx` to the leaf's sum for this pass (or in place into its .grad when it can)."""
    g = leaf.grad
    if accumulate and g is not None and not leaf._hooks:
        g.array += dx  # its own array from an earlier pass: add in place
        return
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, dx]
    else:
        entry[1] = entry[1] + dx


def _finish(leaf_grads, captured, inputs, owners, accumulate):
    """Step 5: store the gradients into .grad (backward), or return them by id (grad)."""
    if accumulate:
        for leaf, g in leaf_grads.values():
            _store_leaf(leaf, g, owners)
            if _gradients._post_accumulate:  # a root that is a hooked leaf
                for hook in list(_post_hooks_of(leaf)):
                    hook(leaf)
        for t in inputs or ():
            if t._ctx is not None and captured.get(t._ctx) is not None:
                _store_grad(t, captured.pop(t._ctx), owners)
        return None
    found = {}
    for key, (leaf, g) in leaf_grads.items():
        found[key] = _run_hooks(leaf._hooks, g) if leaf._hooks else g
    for t in inputs:
        if t._ctx is not None and captured[t._ctx] is not None:
            found[id(t)] = captured[t._ctx]
    return found


def _roots(fname, tensors, grads):
    """[(tensor, gradient array)] for the roots of a pass, checked; and the ids of the
    caller's gradient arrays (which no .grad may keep without a copy)."""
    single = isinstance(tensors, _Tensor)
    tensors = [tensors] if single else list(tensors)
    if single or isinstance(grads, (_Tensor, _ndarray)):
        grads = [grads]
    elif grads is None:
        grads = [None] * len(tensors)
    else:
        grads = list(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"{fname}(): got {len(grads)} gradient(s) for {len(tensors)} "
                           f"tensor(s); pass one per tensor (None for one-element tensors)")
    roots, owners = [], set()
    for i, (t, g) in enumerate(zip(tensors, grads)):
        what = "this tensor" if single else f"tensor {i}"
        if not isinstance(t, _Tensor):
            raise TypeError(f"{fname}(): expected Tensors, got {type(t).__name__} at {i}")
        if not t.requires_grad:
            raise RuntimeError(
                f"{fname}(): {what} does not require grad and has no grad_fn (no input of "
                f"the computation had requires_grad=True, or it ran under no_grad)")
        data = t.array
        if g is None:
            if data.size != 1:
                raise RuntimeError(
                    f"{fname}() without a gradient works only for a single-element tensor; "
                    f"{what} has shape {tuple(data.shape)}: pass a gradient of that shape, "
                    f"or reduce it first (e.g. .sum())")
            g = array_module(data).ones_like(data)
        else:
            g = g.array if isinstance(g, _Tensor) else array_module(data).asarray(g)
            if g.shape != data.shape:
                raise RuntimeError(f"{fname}(): gradient has shape {tuple(g.shape)} but "
                                   f"{what} has shape {tuple(data.shape)}")
            g = g.astype(data.dtype, copy=False)
            owners.add(id(g if g.base is None else g.base))  # the caller's: copy it
        roots.append((t, g))
    return roots, owners


def _as_inputs(fname, inputs):
    single = isinstance(inputs, _Tensor)
    inputs = [inputs] if single else list(inputs)
    if not inputs:
        raise RuntimeError(f"{fname}(): inputs is empty; pass the tensors to differentiate "
                           f"against")
    for i, t in enumerate(inputs):
        if not isinstance(t, _Tensor):
            raise TypeError(f"{fname}(): inputs must be Tensors, got {type(t).__name__} at {i}")
        if not t.requires_grad:
            raise RuntimeError(f"{fname}(): input {i} does not require grad; only tensors "
                               f"with requires_grad=True (or computed from one) have gradients")
    return inputs


def _refuse_create_graph(fname, create_graph):
    if create_graph:
        raise NotImplementedError(
            f"{fname}(create_graph=True): higher-order gradients are not supported in "
            f"groundup (backward passes do not record a graph); use create_graph=False")
