"""Jama's eigen decomposition of a symmetric matrix (`Jama.EigenvalueDecomposition`: Householder
tridiagonalisation `tred2`, then the implicit QL iterations `tql2`, both from EISPACK), operation for
operation. KNIME's first PCA nodes (org.knime.base.node.mine.pca, Jama 1.0) decompose the covariance
matrix with it; an eigenvector is defined only up to its sign, so repeating Jama's steps is what gives
KNIME's signs (LAPACK and commons-math may return the opposite vector)."""

from __future__ import annotations

import math

import numpy as np

EPS = 2.0**-52


def _hypot(a: float, b: float) -> float:
    """Jama.util.Maths.hypot: sqrt(a^2 + b^2) without under/overflow, Jama's way."""
    if abs(a) > abs(b):
        r = b / a
        return abs(a) * math.sqrt(1 + r * r)
    if b != 0:
        r = a / b
        return abs(b) * math.sqrt(1 + r * r)
    return 0.0


# complexity: a line-by-line port of JAMA's tred2; the same loop order keeps KNIME's eigenvector signs and last bits
def _tred2(v: list[list[float]], d: list[float], e: list[float]) -> None:
    n = len(d)
    for j in range(n):
        d[j] = v[n - 1][j]
    for i in range(n - 1, 0, -1):
        scale = 0.0
        h = 0.0
        for k in range(i):
            scale = scale + abs(d[k])
        if scale == 0.0:
            e[i] = d[i - 1]
            for j in range(i):
                d[j] = v[i - 1][j]
                v[i][j] = 0.0
                v[j][i] = 0.0
        else:
            for k in range(i):
                d[k] /= scale
                h += d[k] * d[k]
            f = d[i - 1]
            g = math.sqrt(h)
            if f > 0:
                g = -g
            e[i] = scale * g
            h = h - f * g
            d[i - 1] = f - g
            for j in range(i):
                e[j] = 0.0
            for j in range(i):
                f = d[j]
                v[j][i] = f
                g = e[j] + v[j][j] * f
                for k in range(j + 1, i):
                    g += v[k][j] * d[k]
                    e[k] += v[k][j] * f
                e[j] = g
            f = 0.0
            for j in range(i):
                e[j] /= h
                f += e[j] * d[j]
            hh = f / (h + h)
            for j in range(i):
                e[j] -= hh * d[j]
            for j in range(i):
                f = d[j]
                g = e[j]
                for k in range(j, i):
                    v[k][j] -= f * e[k] + g * d[k]
                d[j] = v[i - 1][j]
                v[i][j] = 0.0
        d[i] = h
    for i in range(n - 1):
        v[n - 1][i] = v[i][i]
        v[i][i] = 1.0
        h = d[i + 1]
        if h != 0.0:
            for k in range(i + 1):
                d[k] = v[k][i + 1] / h
            for j in range(i + 1):
                g = 0.0
                for k in range(i + 1):
                    g += v[k][i + 1] * v[k][j]
                for k in range(i + 1):
                    v[k][j] -= g * d[k]
        for k in range(i + 1):
            v[k][i + 1] = 0.0
    for j in range(n):
        d[j] = v[n - 1][j]
        v[n - 1][j] = 0.0
    v[n - 1][n - 1] = 1.0
    e[0] = 0.0


def _tql2(v: list[list[float]], d: list[float], e: list[float]) -> None:
    n = len(d)
    for i in range(1, n):
        e[i - 1] = e[i]
    e[n - 1] = 0.0
    f = 0.0
    tst1 = 0.0
    for l in range(n):  # noqa: E741 - EISPACK's name
        tst1 = max(tst1, abs(d[l]) + abs(e[l]))
        m = l
        while m < n:
            if abs(e[m]) <= EPS * tst1:
                break
            m += 1
        if m > l:
            while True:
                g = d[l]
                p = (d[l + 1] - g) / (2.0 * e[l])
                r = _hypot(p, 1.0)
                if p < 0:
                    r = -r
                d[l] = e[l] / (p + r)
                d[l + 1] = e[l] * (p + r)
                dl1 = d[l + 1]
                h = g - d[l]
                for i in range(l + 2, n):
                    d[i] -= h
                f = f + h
                p = d[m]
                c = c2 = c3 = 1.0
                el1 = e[l + 1]
                s = s2 = 0.0
                for i in range(m - 1, l - 1, -1):
                    c3 = c2
                    c2 = c
                    s2 = s
                    g = c * e[i]
                    h = c * p
                    r = _hypot(p, e[i])
                    e[i + 1] = s * r
                    s = e[i] / r
                    c = p / r
                    p = c * d[i] - s * g
                    d[i + 1] = h + s * (c * g + s * d[i])
                    for k in range(n):
                        h = v[k][i + 1]
                        v[k][i + 1] = s * v[k][i] + c * h
                        v[k][i] = c * v[k][i] - s * h
                p = -s * s2 * c3 * el1 * e[l] / dl1
                e[l] = s * p
                d[l] = c * p
                if not abs(e[l]) > EPS * tst1:
                    break
        d[l] = d[l] + f
        e[l] = 0.0
    for i in range(n - 1):  # sort eigenvalues (ascending) and vectors
        k = i
        p = d[i]
        for j in range(i + 1, n):
            if d[j] < p:
                k = j
                p = d[j]
        if k != i:
            d[k] = d[i]
            d[i] = p
            for j in range(n):
                p = v[j][i]
                v[j][i] = v[j][k]
                v[j][k] = p


def symmetric_eigen(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`new EigenvalueDecomposition(A)` of a symmetric A: the eigenvalues (`getD()`'s diagonal,
    ascending) and V (`getV()`, the eigenvectors in its columns)."""
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0), np.zeros((0, 0))
    v = [[float(x) for x in row] for row in matrix]
    d = [0.0] * n
    e = [0.0] * n
    _tred2(v, d, e)
    _tql2(v, d, e)
    return np.array(d), np.array(v)
