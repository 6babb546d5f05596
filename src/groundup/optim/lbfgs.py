"""L-BFGS: a quasi-Newton method from the last few steps' gradient changes (closure-based)."""

import numbers

import numpy as np

from ..autograd import enable_grad, mark_changed
from ..backend import array_module, move
from ..blas import axpy_
from ..tensor import Tensor
from .line_search import strong_wolfe
from .optimizer import Optimizer, nonneg, positive_int

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """Limited-memory BFGS, PyTorch's exact algorithm (a port of minFunc).

    All parameters are treated as one flat vector x with flat gradient g. Each
    `step(closure)` runs up to max_iter iterations of:
        1. direction: d = -H g, where H approximates the inverse Hessian from the
           last history_size pairs (s_i, y_i) = (x_{i+1} - x_i, g_{i+1} - g_i) by the
           two-loop recursion (a pair is kept only when y.s > 1e-10):
               q <- -g;  for i newest..oldest: a_i <- rho_i s_i.q,  q <- q - a_i y_i
               r <- gamma q,  gamma = y.s / y.y of the newest pair (1 at first)
               for i oldest..newest: b_i <- rho_i y_i.r,  r <- r + (a_i - b_i) s_i
           with rho_i = 1 / (y_i.s_i); d = r (d = -g at the very first iteration).
        2. step length: t = lr (min(1, 1 / sum|g|) * lr at the very first iteration),
           or, with line_search_fn="strong_wolfe", a t satisfying the strong Wolfe
           conditions (see `line_search`).
        3. x <- x + t d; re-evaluate the loss and gradient with the closure.
    and stops early when max|g| <= tolerance_grad, when max|t d| or the change in
    loss falls below tolerance_change, when g.d > -tolerance_change, or after
    max_eval evaluations. The history persists across `step` calls.

    Nocedal, "Updating Quasi-Newton Matrices with Limited Storage", Math. Comp.
    1980; Liu & Nocedal, "On the limited memory BFGS method for large scale
    optimization", Math. Programming 1989.

    Args:
        params: tensors (one parameter group only, as in PyTorch).
        lr: learning rate, the step length's scale (default 1).
        max_iter: iterations per `step` (default 20).
        max_eval: closure evaluations per `step` (default max_iter * 5 // 4).
        tolerance_grad: stop when max|g| is at most this (default 1e-7).
        tolerance_change: stop when the step or the loss change is below this (default 1e-9).
        history_size: number of (s, y) pairs kept (default 100).
        line_search_fn: None (a fixed step) or "strong_wolfe".

    State (held under the first parameter, as PyTorch does): "func_evals", "n_iter",
    "d", "t", "old_dirs" (the y_i), "old_stps" (the s_i), "ro", "H_diag",
    "prev_flat_grad", "prev_loss", "al".

    Example:
        >>> opt = gu.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
    """

    _vectors = ("d", "prev_flat_grad")
    _vector_lists = ("old_dirs", "old_stps")
    _scalar_lists = ("ro", "al")

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None and positive_int(max_iter):
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        self._params = self.param_groups[0]["params"]
        first = self._params[0].array
        for p in self._params[1:]:
            if p.array.dtype != first.dtype or type(p.array) is not type(first):
                raise TypeError(
                    f"LBFGS: all parameters must share one dtype and device (it works on them "
                    f"as one flat vector); got {first.dtype} and {p.array.dtype}"
                )
        self._numel = sum(p.array.size for p in self._params)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "max_iter", positive_int, "an int >= 1")
        self._check(group, "max_eval", positive_int, "an int >= 1 (or None: max_iter * 5 // 4)")
        self._check(group, "tolerance_grad", nonneg, "a number >= 0")
        self._check(group, "tolerance_change", nonneg, "a number >= 0")
        self._check(group, "history_size", positive_int, "an int >= 1")
        self._check(group, "line_search_fn", lambda v: v in (None, "strong_wolfe"),
                    "None or 'strong_wolfe'")

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): "
                             "pass all the parameters in one list")
        super().add_param_group(param_group)

    # ---------------------------------------------------- the flat vector x
    def _gather_flat_grad(self):
        xp = array_module(self._params[0].array)
        return xp.concatenate([
            p.grad.array.reshape(-1) if p.grad is not None else xp.zeros(p.array.size, p.dtype)
            for p in self._params
        ])

    def _add_grad(self, step_size, update):
        """x <- x + step_size * update (update: a flat vector)."""
        offset = 0
        for p in self._params:
            n = p.array.size
            axpy_(p.array, float(step_size), update[offset:offset + n].reshape(p.array.shape))
            offset += n
            mark_changed(p)

    def _clone_param(self):
        return [p.array.copy() for p in self._params]

    def _set_param(self, params_data):
        for p, saved in zip(self._params, params_data, strict=True):
            p.array[...] = saved
            mark_changed(p)

    def _directional_evaluate(self, closure, x, t, d):
        """(loss, flat gradient) at x + t d; the parameters are left at x."""
        self._add_grad(t, d)
        loss = _number(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ----------------------------------------------------------------- step
    def step(self, closure=None):
        """Run up to max_iter L-BFGS iterations; returns the loss before them.

        closure: a function that zeroes the gradients, computes the loss,
        calls backward() and returns the loss. LBFGS calls it several times per step.
        """
        if closure is None or not callable(closure):
            raise TypeError(
                "LBFGS.step: needs a closure that re-evaluates the model and returns the loss, "
                "e.g. def closure(): opt.zero_grad(); loss = loss_fn(model(x), y); "
                "loss.backward(); return loss  -- then opt.step(closure)"
            )
        with enable_grad():
            return self._run(closure)

    def _run(self, closure):
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        # the state is global; it is registered under the first parameter, as in PyTorch
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        # evaluate the initial f(x) and df/dx
        orig_loss = closure()
        loss = _number(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if abs(flat_grad).max() <= tolerance_grad:
            return orig_loss  # already optimal

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # 1. the direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair (curvature condition)
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)  # scale of the initial inverse Hessian
                # two-loop recursion: d = -H g
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    axpy_(q, -float(al[i]), old_dirs[i])
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    axpy_(r, float(al[i] - be_i), old_stps[i])

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # 2. the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)  # the directional derivative
            if gtd > -tolerance_change:
                break  # not a descent direction (to within tolerance)

            # 3. move, with or without the line search
            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # re-evaluate only if another iteration follows (no use in a stochastic
                    # setting otherwise)
                    loss = _number(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # stopping conditions
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if abs(d * t).max() <= tolerance_change:
                break  # the step is too small
            if abs(loss - prev_loss) < tolerance_change:
                break  # the loss no longer changes

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # --------------------------------------------------------- serialization
    def _restore_state(self, name, saved, like):
        """The global state: flat vectors of the parameters' total size, lists of them,
        and numbers (kept in the parameters' dtype, as PyTorch keeps them in 0-d tensors)."""
        xp = array_module(like)
        scalar = like.dtype.type

        def vector(key, v):
            if isinstance(v, Tensor):
                v = v.array
            host = move(v, "cpu") if hasattr(v, "shape") else np.asarray(v)
            if host.dtype.kind not in "fiu" or host.shape != (self._numel,):
                raise ValueError(
                    f"{name}: state {key!r} should be a flat vector of {self._numel} numbers "
                    f"(the parameters' total size), got shape {tuple(host.shape)} and dtype "
                    f"{host.dtype}")
            return xp.asarray(host, dtype=like.dtype).copy()

        def number(key, v):
            if v is None or (isinstance(v, numbers.Integral) and not isinstance(v, bool)):
                return v
            if isinstance(v, Tensor):
                v = v.array
            if hasattr(v, "shape") and getattr(v, "size", 0) == 1:
                v = move(v, "cpu").reshape(()).item()
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise ValueError(f"{name}: state {key!r} should hold numbers, got {v!r}")
            return scalar(v)

        out = {}
        for key, v in saved.items():
            if key in ("func_evals", "n_iter"):
                out[key] = int(number(key, v))
            elif key == "prev_loss":
                out[key] = None if v is None else float(number(key, v))
            elif key in self._vectors:
                out[key] = None if v is None else vector(key, v)
            elif key in self._vector_lists:
                out[key] = [vector(key, x) for x in v]
            elif key in self._scalar_lists:
                out[key] = [number(key, x) for x in v]
            else:  # t, H_diag
                out[key] = number(key, v)
        return out


def _number(loss):
    """The closure's loss (a Tensor or a number) as a Python float."""
    if isinstance(loss, Tensor):
        return float(loss.item())
    return float(loss)
