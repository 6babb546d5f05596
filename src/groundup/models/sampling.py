"""Drawing the next token from a language model's logits: temperature, top-k, top-p.

    p = softmax(logits / temperature)
    top-k: keep the k likeliest tokens (ties at the k-th value are kept too)
    top-p (nucleus sampling, Holtzman et al. 2020, arXiv:1904.09751): keep the fewest
          likeliest tokens whose probabilities sum to at least top_p
    renormalise what is kept and draw one index from it

Both filters may be given; top-k is applied first. A tiny top_p keeps only the likeliest
token: greedy decoding. One uniform number is drawn per token whatever the filters, from
the generator passed in, so a seed fixes the text.
"""

import numbers

import numpy as np

from ..random import Generator, _numpy_rng

__all__ = ["check_sampling", "sampling_rng", "draw"]


def check_sampling(name, temperature, top_k, top_p):
    """Raise a ValueError naming `name` unless temperature > 0, top_k None or an int >= 1,
    top_p None or a number in (0, 1]."""
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) \
            or not temperature > 0:
        raise ValueError(f"{name}: temperature must be > 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral)
                              or top_k < 1):
        raise ValueError(f"{name}: top_k must be None or an int >= 1, got {top_k!r}")
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, numbers.Real)
                              or not 0 < top_p <= 1):
        raise ValueError(f"{name}: top_p must be None or a number in (0, 1], got {top_p!r}")


def sampling_rng(generator, name):
    """The np.random.Generator behind `generator`: a gu.Generator, an int seed or None (the
    shared generator, so gu.manual_seed fixes the draws)."""
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        generator = Generator().manual_seed(int(generator))
    return _numpy_rng(generator, f"{name}: generator")


def draw(logits, temperature, top_k, top_p, rng):
    """One index drawn from softmax(logits / temperature) of 1-D `logits`, among the top_k
    likeliest and then the top_p nucleus (each when given)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None and top_k < z.size:
        cut = np.partition(z, -top_k)[-top_k]
        z = np.where(z >= cut, z, -np.inf)
    p = np.exp(z - z.max())
    p /= p.sum()
    if top_p is not None and top_p < 1:
        order = np.argsort(-p, kind="stable")           # likeliest first; ties by index
        keep = int(np.searchsorted(np.cumsum(p[order]), top_p)) + 1  # first sum >= top_p
        kept = np.zeros_like(p)
        kept[order[:keep]] = p[order[:keep]]
        p = kept / kept.sum()
    return int(rng.choice(p.size, p=p))
