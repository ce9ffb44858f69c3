#!/usr/bin/env python3
"""Constants of kernels/AutoDiff.Gpu.Kernels/ElementaryMath.Trig.cs (needs mpmath): minimax (discrete Remez)
polynomials for sin and cos on |r| <= pi/4, then the split pi/2 constants and the 2/pi words of the Payne-Hanek
reduction.

    python3 scripts/trig-coefficients.py
"""
import mpmath as mp, struct, sys
mp.mp.dps = 60
A = (mp.pi/4)**2 * mp.mpf('1.0001')

def target(kind):
    if kind == 'sin':
        g = lambda s: (mp.sin(mp.sqrt(s)) - mp.sqrt(s)) / (s*mp.sqrt(s)) if s > 0 else mp.mpf(-1)/6
        w = lambda s: (s*mp.sqrt(s)) / mp.sin(mp.sqrt(s)) if s > 0 else mp.mpf(0)
    else:
        g = lambda s: (mp.cos(mp.sqrt(s)) - 1 + s/2) / s**2 if s > 0 else mp.mpf(1)/24
        w = lambda s: s**2 / mp.cos(mp.sqrt(s))
    return g, w

def remez(kind, n, grid=3000, iters=12):
    g, w = target(kind)
    xs = [A*mp.mpf(i)/grid for i in range(1, grid+1)]
    gv = [g(x) for x in xs]; wv = [w(x) for x in xs]
    m = n + 1  # unknowns c0..cn plus E -> n+2 refs
    idx = [int(round((grid-1)*(1-mp.cos(mp.pi*i/(m)))/2)) for i in range(m+1)]
    for it in range(iters):
        M = mp.matrix(m+1, m+1); b = mp.matrix(m+1, 1)
        for r, j in enumerate(idx):
            for c in range(m):
                M[r, c] = wv[j] * xs[j]**c
            M[r, m] = (-1)**r
            b[r] = wv[j]*gv[j]
        sol = mp.lu_solve(M, b)
        c = [sol[i] for i in range(m)]
        err = [wv[j]*(gv[j] - sum(c[k]*xs[j]**k for k in range(m))) for j in range(grid)]
        # new reference: local extrema alternating
        ext = []
        for j in range(grid):
            l = err[j-1] if j > 0 else None; r = err[j+1] if j < grid-1 else None
            if (l is None or abs(err[j]) >= abs(l)) and (r is None or abs(err[j]) >= abs(r)):
                ext.append(j)
        # merge same sign keep largest
        merged = []
        for j in ext:
            if merged and mp.sign(err[j]) == mp.sign(err[merged[-1]]):
                if abs(err[j]) > abs(err[merged[-1]]): merged[-1] = j
            else:
                merged.append(j)
        while len(merged) > m+1:
            if abs(err[merged[0]]) < abs(err[merged[-1]]): merged.pop(0)
            else: merged.pop()
        if len(merged) == m+1: idx = merged
    return c, max(abs(e) for e in err)

def f32(x): return struct.unpack('f', struct.pack('f', float(x)))[0]
for kind, n, prec in [('sin', 2, 'f'), ('sin', 3, 'f'), ('cos', 2, 'f'), ('cos', 3, 'f'), ('sin', 5, 'd'), ('sin', 6,'d'), ('cos', 5, 'd'), ('cos', 6, 'd')]:
    c, e = remez(kind, n)
    rc = [f32(x) if prec == 'f' else float(x) for x in c]
    # error with rounded coefficients
    g, w = target(kind)
    emax = 0
    for i in range(1, 2001):
        s = A*i/2000
        emax = max(emax, abs(w(s)*(g(s) - sum(mp.mpf(rc[k])*s**k for k in range(len(rc))))))
    print(kind, prec, n, 'minimax rel err 2^%.1f' % float(mp.log(e, 2)), 'rounded 2^%.1f' % float(mp.log(emax, 2)))
    print('   ', [repr(x) if prec == 'd' else '%.9ef' % x for x in rc])


# The reduction constants.
mp.mp.dps = 400  # enough for the 2/pi words
pio2 = mp.pi/2
def f32(x): return struct.unpack('f', struct.pack('f', float(x)))[0]
c1 = f32(pio2); c2 = f32(pio2 - c1); c3 = f32(pio2 - c1 - c2)
print('float split', '%.10ef %.10ef %.10ef' % (c1, c2, c3), float(pio2-c1-c2-c3))
print('float hex', [hex(struct.unpack('I', struct.pack('f', v))[0]) for v in (c1, c2, c3)])
d1 = float(pio2); d2 = float(pio2 - d1); d3 = float(pio2 - d1 - d2)
print('double split', repr(d1), repr(d2), repr(d3), float(pio2-d1-d2-d3))
print('double hex', [hex(struct.unpack('Q', struct.pack('d', v))[0]) for v in (d1, d2, d3)])
print('2/pi', repr(float(2/mp.pi)), 'float', '%.9ef' % f32(2/mp.pi))
t = 2/mp.pi
words = []
for i in range(19):
    t *= 2**64
    w = int(mp.floor(t)); t -= w
    words.append(w)
print(',\n'.join('0x%016X' % w for w in words))
