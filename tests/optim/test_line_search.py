"""The strong Wolfe line search and its cubic interpolation against PyTorch's."""

import numpy as np
import pytest
from helpers import require_torch

from groundup.optim.line_search import cubic_interpolate, strong_wolfe


@pytest.mark.parametrize("args", [
    (0.0, 1.0, -2.0, 1.0, 0.5, 1.0, None),
    (1.0, 0.5, 1.0, 0.0, 1.0, -2.0, None),          # x1 > x2
    (0.0, 1.0, -1.0, 2.0, 3.0, 4.0, (0.1, 5.0)),
    (0.0, 0.0, 1.0, 1.0, 0.0, 1.0, None),           # no minimiser: the midpoint
])
def test_cubic_interpolate_matches_torch(args):
    torch = require_torch()
    from torch.optim.lbfgs import _cubic_interpolate
    *point, bounds = args
    want = _cubic_interpolate(*[torch.tensor(v, dtype=torch.float64) for v in point],
                              bounds=bounds)
    assert float(cubic_interpolate(*[np.float64(v) for v in point], bounds=bounds)) == \
        pytest.approx(float(want), rel=1e-14)


def quartic(x, t, d):
    """f and its gradient at x + t d for f(z) = sum(z^4 - 3 z^2 + z)."""
    z = x + t * d
    return float((z**4 - 3 * z**2 + z).sum()), 4 * z**3 - 6 * z + 1


@pytest.mark.parametrize("t0", [1e-3, 0.3, 5.0])   # extrapolate, accept, zoom
def test_strong_wolfe_matches_torch_and_holds_the_conditions(t0):
    torch = require_torch()
    from torch.optim.lbfgs import _strong_wolfe
    x = np.array([0.3, -0.2, 1.5])
    f, g = quartic(x, 0.0, np.zeros(3))
    d = -g
    gtd = g.dot(d)
    f_new, g_new, t, evals = strong_wolfe(quartic, x, t0, d, f, g, gtd)

    def torch_obj(x, t, d):
        f, g = quartic(x.numpy(), float(t), d.numpy())
        return f, torch.tensor(g)
    tx, td, tg = torch.tensor(x), torch.tensor(d), torch.tensor(g)
    want = _strong_wolfe(torch_obj, tx, t0, td, f, tg, tg.dot(td))
    assert (f_new, float(t), evals) == pytest.approx((want[0], float(want[2]), want[3]),
                                                     rel=1e-12)
    np.testing.assert_allclose(g_new, want[1].numpy(), rtol=1e-12)
    assert f_new <= f + 1e-4 * t * gtd                 # sufficient decrease
    assert abs(g_new.dot(d)) <= -0.9 * gtd             # curvature
