"""RBF layer: kernels against raw NumPy, gradients by finite differences, initialisation."""

import numpy as np
import pytest

import groundup as gu
from groundup.nn.layers.rbf import KERNELS, kmeans, nearest_centre_widths, radial_basis

REFERENCE = {
    "gaussian": lambda u: np.exp(-u),
    "multiquadric": lambda u: np.sqrt(1.0 + u),
    "inverse_quadratic": lambda u: 1.0 / (1.0 + u),
    "inverse_multiquadric": lambda u: 1.0 / np.sqrt(1.0 + u),
}


def _reference(x, c, w, kernel):
    """Pairwise differences, no matrix-product trick: phi[n, k] = kernel(|x_n - c_k|^2 / w_k^2)."""
    r2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    return REFERENCE[kernel](r2 / w**2)


def _data(n=6, d=3, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(k, d)), rng.uniform(0.7, 2.0, size=k)


def test_the_kernels_are_the_supported_ones():
    assert sorted(KERNELS) == sorted(REFERENCE)


@pytest.mark.parametrize("kernel", sorted(REFERENCE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_kernel_matches_raw_numpy(kernel, dtype):
    x, c, w = _data()
    m = gu.nn.RBF(3, 4, kernel=kernel, centres=c, widths=w, dtype=dtype)
    y = m(gu.tensor(x, dtype=dtype))
    assert y.dtype == dtype and y.shape == (6, 4)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.numpy(), _reference(x, c, w, kernel), rtol=tol, atol=tol)


def test_leading_dimensions_and_a_centre_on_a_point():
    x, c, w = _data(n=6)
    c[0] = x[2]                      # distance 0: the clamp keeps d2 >= 0
    m = gu.nn.RBF(3, 4, centres=c, widths=w, dtype=np.float64)
    y = m(gu.tensor(x.reshape(2, 3, 3), dtype=np.float64))
    assert y.shape == (2, 3, 4)
    np.testing.assert_allclose(y.numpy().reshape(6, 4), _reference(x, c, w, "gaussian"),
                               atol=1e-12)
    assert y.numpy().reshape(6, 4)[2, 0] == pytest.approx(1.0)


def test_far_points_give_no_subnormal_values_or_gradients():
    gu.manual_seed(0)
    m = gu.nn.RBF(4, 8, widths=0.3)
    x = gu.randn(16, 4, requires_grad=True)
    y = m(x)
    y.mean().backward()
    tiny = np.finfo(np.float32).tiny
    for a in (y.numpy(), x.grad.numpy(), m.centres.grad.numpy(), m.widths.grad.numpy()):
        assert not ((a != 0) & (np.abs(a) < tiny)).any()
    assert y.numpy().min() == pytest.approx(np.exp(-60.0), rel=1e-5)


@pytest.mark.parametrize("kernel", sorted(REFERENCE))
def test_gradients_of_input_centres_and_widths_by_finite_differences(kernel):
    x, c, w = _data(n=5, d=3, k=4, seed=1)
    assert gu.gradcheck(lambda x, c, w: radial_basis(x, c, w, kernel), (x, c, w))


def test_the_layer_backpropagates_into_its_parameters():
    x, c, w = _data(seed=2)
    m = gu.nn.RBF(3, 4, centres=c, widths=w, dtype=np.float64)
    weights = np.random.default_rng(0).normal(size=(6, 4))
    (m(gu.tensor(x, dtype=np.float64)) * gu.tensor(weights, dtype=np.float64)).sum().backward()
    # analytic gradients of sum(G * exp(-r2 / w^2)) for the gaussian kernel
    diff = x[:, None, :] - c[None, :, :]                       # (N, K, D)
    phi = _reference(x, c, w, "gaussian")
    g = weights * phi                                          # dL/du = -G phi
    want_c = (g[:, :, None] * 2.0 * diff / w[None, :, None] ** 2).sum(0)
    want_w = (g * 2.0 * (diff**2).sum(-1) / w**3).sum(0)
    np.testing.assert_allclose(m.centres.grad.numpy(), want_c, rtol=1e-10)
    np.testing.assert_allclose(m.widths.grad.numpy(), want_w, rtol=1e-10)


def test_frozen_centres_and_widths_get_no_gradient():
    m = gu.nn.RBF(2, 5, trainable_centres=False, trainable_widths=False)
    x = gu.randn(4, 2, requires_grad=True)
    m(x).sum().backward()
    assert m.centres.grad is None and m.widths.grad is None
    assert x.grad is not None
    assert not m.centres.requires_grad and not m.widths.requires_grad
    assert sorted(m.state_dict()) == ["centres", "widths"]
    m2 = gu.nn.RBF(2, 5, trainable_widths=False)
    m2(gu.randn(4, 2)).sum().backward()
    assert m2.centres.grad is not None and m2.widths.grad is None


def test_default_widths_follow_the_nearest_centre_heuristic():
    c = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(nearest_centre_widths(c), [3.0, 3.0, 4.0])
    m = gu.nn.RBF(2, 3, centres=c)
    np.testing.assert_allclose(m.widths.numpy(), [3.0, 3.0, 4.0])
    same = nearest_centre_widths(np.array([[1.0, 1.0], [1.0, 1.0], [4.0, 5.0]]))
    assert (same > 0).all()                    # coinciding centres get no zero width
    assert gu.nn.RBF(2, 3, widths=0.5).widths.numpy().tolist() == [0.5] * 3


def _clusters(seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[-5.0, 0.0], [5.0, 0.0], [0.0, 6.0]])
    return (means[rng.integers(0, 3, size=150)] + 0.3 * rng.normal(size=(150, 2))), means


def test_kmeans_init_finds_clusters_and_is_deterministic_with_a_seed():
    X, means = _clusters()
    a = gu.nn.RBF(2, 3).init_from_data(X, method="kmeans",
                                        generator=gu.Generator().manual_seed(3))
    b = gu.nn.RBF(2, 3).init_from_data(X, method="kmeans",
                                        generator=gu.Generator().manual_seed(3))
    np.testing.assert_array_equal(a.centres.numpy(), b.centres.numpy())
    np.testing.assert_array_equal(a.widths.numpy(), b.widths.numpy())
    found = a.centres.numpy()[np.argsort(a.centres.numpy()[:, 0] + 0.1 * a.centres.numpy()[:, 1])]
    np.testing.assert_allclose(found, means[[0, 2, 1]], atol=0.2)
    gu.manual_seed(7)
    c1 = gu.nn.RBF(2, 3).init_from_data(X, method="kmeans").centres.numpy()
    gu.manual_seed(7)
    c2 = gu.nn.RBF(2, 3).init_from_data(X, method="kmeans").centres.numpy()
    np.testing.assert_array_equal(c1, c2)


def test_random_init_picks_distinct_data_rows():
    X, _ = _clusters(1)
    m = gu.nn.RBF(2, 10).init_from_data(X, generator=gu.Generator().manual_seed(0))
    rows = {tuple(r) for r in X.astype(np.float32)}
    picked = [tuple(r) for r in m.centres.numpy()]
    assert len(set(picked)) == 10 and set(picked) <= rows
    assert m.centres.dtype == np.float32 and m.widths.dtype == np.float32


def test_kmeans_leaves_an_empty_cluster_where_it_is():
    X = np.array([[0.0], [0.0], [0.0], [10.0]])   # two distinct rows, three centres
    for seed in range(3):
        c = kmeans(X, 3, iterations=5, rng=np.random.default_rng(seed))[:, 0]
        assert set(c.tolist()) == {0.0, 10.0} and np.isfinite(c).all()


def test_errors_are_clear():
    with pytest.raises(ValueError, match="unknown kernel 'cubic'; supported: gaussian, "
                                         "multiquadric, inverse_quadratic, inverse_multiquadric"):
        gu.nn.RBF(2, 3, kernel="cubic")
    with pytest.raises(ValueError, match=r"centres must have shape \(3, 2\).*got \(2, 3\)"):
        gu.nn.RBF(2, 3, centres=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"widths must be a number or have shape \(3,\)"):
        gu.nn.RBF(2, 3, widths=np.ones(4))
    with pytest.raises(ValueError, match="widths must be non-zero"):
        gu.nn.RBF(2, 3, widths=0.0)
    m = gu.nn.RBF(2, 3)
    with pytest.raises(ValueError, match=r"RBF\(2, 3.*expected input \(\*, 2\); got "
                                         r"shape \(4, 5\)"):
        m(gu.zeros(4, 5))
    with pytest.raises(TypeError, match="input dtype float64 does not match"):
        m(gu.zeros(4, 2, dtype=np.float64))
    with pytest.raises(ValueError, match="unknown method 'spectral'; supported: random, kmeans"):
        m.init_from_data(np.zeros((5, 2)), method="spectral")
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\); got \(5, 3\)"):
        m.init_from_data(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="X has 2 rows, fewer than the 3 centres"):
        m.init_from_data(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="must be positive"):
        gu.nn.RBF(2, 0)
