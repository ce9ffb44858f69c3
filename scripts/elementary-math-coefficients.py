#!/usr/bin/env python3
"""Polynomial coefficients of kernels/AutoDiff.Gpu.Kernels/ElementaryMath.ExpLog.cs (needs mpmath).

Each kernel evaluates a reduced argument with a polynomial fitted here by Chebyshev interpolation in
40-digit arithmetic (near-minimax), then rounded to the element type. Prints the coefficients, lowest
order first, and the worst relative error of the rounded polynomial on a dense grid of the interval.

    python3 scripts/elementary-math-coefficients.py
"""
from mpmath import mp, mpf, exp, log, atanh, tanh, sqrt, chebyfit, linspace
import struct

mp.dps = 40
LN2 = log(2)


def to_float(v):
    return mpf(struct.unpack('f', struct.pack('f', float(v)))[0])


def fit(name, g, interval, degree, rounding, whole, check):
    """g fitted on interval; whole(x, poly) rebuilds the function from the polynomial, check(x) is exact."""
    coeffs = chebyfit(g, interval, degree + 1)[::-1]          # chebyfit: highest order first
    rounded = [rounding(c) for c in coeffs]
    poly = lambda t: sum(c * t ** i for i, c in enumerate(rounded))
    worst = max(abs(whole(x, poly) / check(x) - 1) for x in linspace(interval[0], interval[1], 2001) if x != 0)
    print(f"{name}: degree {degree}, max relative error {mp.nstr(worst, 3)}")
    for c in rounded:
        print('    ' + (repr(float(c)) + ('f' if rounding is to_float else '')))


def exp_q(r):   # exp(r) = 1 + r + r²·q(r)
    return (exp(r) - 1 - r) / r ** 2 if r != 0 else mpf(1) / 2


def log_r(z):   # log((1+s)/(1-s)) = 2s + s·z·r(z), z = s²
    if z == 0:
        return mpf(2) / 3
    s = sqrt(z)
    return (2 * atanh(s) - 2 * s) / (s * z)


def tanh_p(t):  # tanh x = x + x³·p(x²)
    if t == 0:
        return mpf(-1) / 3
    x = sqrt(t)
    return (tanh(x) - x) / x ** 3


S = (sqrt(2) - 1) / (sqrt(2) + 1)   # |s| for mantissas in [√½, √2)
TANH_SMALL = mpf('0.55')            # below it the polynomial, above it 1 − 2/(e^{2x} + 1)
for label, rounding, degrees in (('float32', to_float, (4, 3, 4)), ('float64', mpf, (10, 7, 10))):
    print(f"== {label}")
    fit(f"exp q {label}", exp_q, [-LN2 / 2, LN2 / 2], degrees[0], rounding,
        lambda r, q: 1 + r + r * r * q(r), exp)
    fit(f"log r {label}", log_r, [0, S * S], degrees[1], rounding,
        lambda z, p: 2 * sqrt(z) + sqrt(z) * z * p(z), lambda z: 2 * atanh(sqrt(z)))
    fit(f"tanh p {label}", tanh_p, [0, TANH_SMALL ** 2], degrees[2], rounding,
        lambda t, p: sqrt(t) + sqrt(t) ** 3 * p(t), lambda t: tanh(sqrt(t)))

print("== constants")
# ln 2 = hi + lo with hi's low bits zero, so k·hi is exact for every exponent k a kernel meets (|k| < 2^8 for
# float32, < 2^11 for float64) and x − k·hi is exact near k·ln 2.
for label, bits, rounding in (('float32', 16, to_float), ('float64', 40, lambda v: mpf(float(v)))):
    hi = mp.floor(LN2 * 2 ** bits + mpf(1) / 2) / 2 ** bits
    print(f"ln2 {label}: hi {float(hi)!r}, lo {float(rounding(LN2 - hi))!r}; log2(e) {float(rounding(1 / LN2))!r}; "
          f"sqrt(2) {float(rounding(sqrt(2)))!r}")
