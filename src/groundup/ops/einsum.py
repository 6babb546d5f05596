"""einsum: sums of products named by subscripts, e.g. 'ij,jk->ik' (matmul), 'bij,bjk->bik'
(batched), 'i,j->ij' (outer), 'bhqd,bhkd->bhqk' (attention scores), '...ij->...ji'.

The equation follows torch.einsum: one term of letters per operand, '...' for any number of
leading/broadcast dims, an optional '->' output (without it the output is the letters that
appear once, in alphabetical order, after the '...' dims). Sizes that share a letter must be
equal or 1 (1 broadcasts). A letter repeated inside one term (a trace or a diagonal, 'ii->')
is not supported.
"""

import string

import numpy as np

from ..autograd import Function
from .common import as_tensor
from .elementwise import cast
from .shape import ExpandFn

__all__ = ["einsum"]


class EinsumFn(Function):
    """y[out] = sum over the letters not in `out` of  prod_i x_i[term_i]
    Each x_i is linear in y, so its gradient is the same kind of sum with dy in x_i's place:
    dx_i[term_i] = sum over the letters not in term_i of  dy[out] * prod_{j != i} x_j[term_j]
    i.e. einsum('out,term_j...->term_i', dy, x_j...). A letter of term_i found nowhere else
    was summed out of x_i alone; its gradient is the result broadcast along that letter.
    saved: the operands (each gradient needs all the others)."""

    def forward(self, *arrays, terms, out):
        self.terms, self.out = terms, out
        if any(self.needs_input_grad):
            self.save_for_backward(*arrays)
        return _contract(self.xp, terms, out, arrays)

    def backward(self, dy):
        xp = self.xp
        arrays = self.saved
        grads = []
        for i, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            others = [k for k in range(len(arrays)) if k != i]
            letters = set(self.out).union(*(self.terms[k] for k in others))
            target = self.terms[i]
            keep = "".join(c for c in target if c in letters)
            g = _contract(xp, (self.out,) + tuple(self.terms[k] for k in others), keep,
                          (dy,) + tuple(arrays[k] for k in others))
            if keep != target:  # letters only x_i had: broadcast along them
                g = g.reshape([arrays[i].shape[p] if c in letters else 1
                               for p, c in enumerate(target)])
                g = xp.broadcast_to(g, arrays[i].shape)
            grads.append(g)
        return tuple(grads) if len(grads) > 1 else grads[0]


def _contract(xp, terms, out, arrays):
    equation = ",".join(terms) + "->" + out
    return xp.einsum(equation, *arrays, optimize=len(arrays) > 1)


def _parse(equation, shapes):
    """The terms and the output with every '...' spelled out in spare letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has {len(terms)} term(s) but "
                         f"{len(shapes)} operand(s) were given")
    allowed = set(string.ascii_letters)
    for part in terms + ([out] if arrow else []):
        rest = part.replace("...", "", 1)
        if not set(rest) <= allowed:
            raise ValueError(f"einsum: invalid subscripts {part!r} in {equation!r}: use letters "
                             f"a-z, A-Z and at most one '...' per term")
    used = set(lhs) | set(out)
    spare = [c for c in string.ascii_letters if c not in used]
    widths = []
    for term, shape in zip(terms, shapes, strict=True):
        named = len(term.replace("...", ""))
        width = len(shape) - named if "..." in term else 0
        if width < 0 or ("..." not in term and named != len(shape)):
            raise ValueError(f"einsum: the term {term!r} names {named} dimension(s) but its "
                             f"operand has shape {tuple(shape)}")
        widths.append(width)
    ell = "".join(spare[:max(widths, default=0)])
    terms = [t.replace("...", ell[len(ell) - w:]) for t, w in zip(terms, widths, strict=True)]
    for t in terms:
        if len(set(t)) != len(t):
            raise ValueError(f"einsum: a letter repeats within the term {t!r} (a trace or "
                             f"diagonal); that is not supported: take the diagonal first")
    if arrow:
        out = out.replace("...", ell)
        if len(set(out)) != len(out) or not set(out) <= set("".join(terms)):
            raise ValueError(f"einsum: the output {out!r} must name distinct letters that "
                             f"appear in the inputs ({equation!r})")
    else:
        counts = "".join(terms)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1
                                   and c not in ell))
    return terms, out


def einsum(equation, *operands):
    """Sum of products over the subscripts of `equation` (torch.einsum's rules, see the module
    docstring). Operands may be given one by one or as one list."""
    if not isinstance(equation, str):
        raise TypeError("einsum: the first argument must be the equation string (the "
                        "sublist form einsum(x, [0, 1], ...) is not supported)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: expected at least one operand")
    ops = [as_tensor(t) for t in operands]
    terms, out = _parse(equation, [t.shape for t in ops])
    sizes = {}
    for term, t in zip(terms, ops, strict=True):
        for c, n in zip(term, t.shape, strict=True):
            have = sizes.get(c, 1)
            if have != 1 and n != 1 and have != n:
                raise ValueError(f"einsum: subscript {c!r} has size {have} in one operand "
                                 f"and {n} in another (shapes {[tuple(o.shape) for o in ops]})")
            sizes[c] = n if n != 1 else have
    ops = [t if all(n == sizes[c] for c, n in zip(term, t.shape, strict=True))
           else ExpandFn.apply(t, shape=tuple(sizes[c] for c in term))
           for term, t in zip(terms, ops, strict=True)]
    dtypes = [t.array.dtype for t in ops]
    floats = [d for d in dtypes if d.kind == "f"]
    target = max(floats, key=lambda d: d.itemsize) if floats else np.result_type(*dtypes)
    ops = [t if t.array.dtype == target else cast(t, target) for t in ops]
    return EinsumFn.apply(*ops, terms=tuple(terms), out=out)

