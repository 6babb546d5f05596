"""float32 exp, erf and tanh that LLVM can vectorise, for the compiled kernels' loops.

libm's expf is a call per element, which keeps a loop scalar: `expf` is the classic
range-reduced polynomial instead (Cody-Waite reduction, degree-6 minimax, 2^n built from
its bits), within 2 ulp of NumPy's; `erff` is ops/special.py's float32 erf on it; `tanhf`
is an odd polynomial near 0 and 1 - 2 / (exp(2x) + 1) elsewhere. All are inlined into the
loop that calls them. expf clamps its argument to [-87.3, 88.3]: a caller that needs
exp(-inf) = 0 (a masked score) selects the zero itself. On an AVX2 machine a loop of expf
over 524,288 float32 took 0.25 ms, np.exp 1.16 ms (NumPy's vectorised exp needs AVX-512).

numba's on-disk cache keys each kernel on its own file, so each file whose kernels inline
these (compiled_recurrent, compiled_softmax, compiled_activation) holds a stamp of this
one, `INLINED`: a change here fails tests/kernels/test_switch.py until the stamps are
updated, which also makes numba recompile those kernels instead of loading stale code.
"""

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .switch import jit

# fast-math without nnan/ninf: a NaN or inf in the data still shows in the results
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_inline = jit(parallel=False, fastmath=FASTMATH, error_model="numpy", inline="always")

_ONE = np.float32(1.0)
# exp below this is under float32's smallest normal: callers that need exact zeros there
# (a masked score, a far tail) select 0 instead of expf's clamped value
EXP_LOW = np.float32(-87.0)


@intrinsic
def _bits_to_f32(typingctx, i):
    """The float32 whose bits are the int32 i (a bitcast, not a conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@_inline
def expf(x):
    """exp(x) in float32: n = round(x / ln 2), r = x - n ln 2 (in two parts),
    exp(r) by a degree-6 polynomial, times 2^n from its exponent bits."""
    x = min(max(x, np.float32(-87.3)), np.float32(88.3))
    n = np.floor(x * np.float32(1.44269504) + np.float32(0.5))
    r = x - n * np.float32(0.693359375) + n * np.float32(2.12194440e-4)
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + _ONE
    return p * _bits_to_f32((np.int32(n) + np.int32(127)) << np.int32(23))


@_inline
def _horner6(c, z):
    return ((((c[5] * z + c[4]) * z + c[3]) * z + c[2]) * z + c[1]) * z + c[0]


@_inline
def erff(x, small, large):
    """erf(x) in float32 as ops/special.py's _erf_array computes it, from its two float32
    tables (6-tuples, ops.special.erf_coefficients): x P(x^2) for |x| < 1, else
    sign(x) (1 - exp(-a^2) G(9.6 / (2 + a) - 2.2)) with a = |x| clipped to [1, 6]; nan
    stays nan."""
    a = abs(x)
    near = x * _horner6(small, x * x)
    ac = min(max(a, _ONE), np.float32(6.0))
    g = _horner6(large, np.float32(9.6) / (np.float32(2.0) + ac) - np.float32(2.2))
    far = math.copysign(_ONE - expf(-(ac * ac)) * g, x)
    return near if a < _ONE else (far if a == a else x)


@_inline
def tanhf(x):
    """tanh(x) in float32: an odd polynomial for |x| < 0.625, 1 - 2 / (exp(2|x|) + 1)
    (with x's sign) beyond."""
    z = x * x
    p = np.float32(-5.70498872745e-3)
    p = p * z + np.float32(2.06390887954e-2)
    p = p * z - np.float32(5.37397155531e-2)
    p = p * z + np.float32(1.33314422036e-1)
    p = p * z - np.float32(3.33332819422e-1)
    small = p * z * x + x
    a = abs(x)
    big = _ONE - np.float32(2.0) / (expf(a + a) + _ONE)
    big = math.copysign(big, x)
    return small if a < np.float32(0.625) else big
