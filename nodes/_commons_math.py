"""Apache commons-math 3 pieces that KNIME's PCA and k-Means build on, reproduced bit for bit.

* `Well19937c` and `RandomDataGenerator.nextLong(lower, upper)`: KNIME's k-Means draws its random
  initial centroids with them (`ClusterNodeModel.randomCentroidsSetCreation`).
* `symmetric_eigen`: commons-math's `EigenDecomposition` of a symmetric matrix (Householder
  tridiagonalisation, then the implicit QL algorithm of Dubrulle, Martin and Wilkinson). KNIME's PCA
  takes its eigenvectors as this returns them, so the *signs* of KNIME's principal components are
  this algorithm's; NumPy's LAPACK routines find the same vectors up to sign.
* `incremental_means`, `scatter_matrix`: KNIME's PCA statistics, summed in KNIME's order.

Java doubles are IEEE binary64 without fused multiply-add, as Python floats are, so following the
Java code operation for operation gives the same bits.
"""

from __future__ import annotations

import math

import numpy as np

_EPSILON = 2.0**-53  # org.apache.commons.math3.util.Precision.EPSILON
_INT_MAX = (1 << 31) - 1


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


# ------------------------------------------------------------------------------------ Well19937c


class Well19937c:
    """commons-math's `Well19937c` (Panneton, L'Ecuyer, Matsumoto), seeded like `setSeed(long)`."""

    _K, _M1, _M2, _M3 = 19937, 70, 179, 449

    def __init__(self, seed: int) -> None:
        r = (self._K + 31) // 32
        self._r = r
        self._i_rm1 = [(j + r - 1) % r for j in range(r)]
        self._i_rm2 = [(j + r - 2) % r for j in range(r)]
        self._i1 = [(j + self._M1) % r for j in range(r)]
        self._i2 = [(j + self._M2) % r for j in range(r)]
        self._i3 = [(j + self._M3) % r for j in range(r)]
        self.set_seed(seed)

    def set_seed(self, seed: int) -> None:
        """`AbstractWell.setSeed(long)`: the two halves of the long, then Knuth's recurrence."""
        seed &= 0xFFFFFFFFFFFFFFFF
        start = [_int32(seed >> 32), _int32(seed & 0xFFFFFFFF)]
        v = [0] * self._r
        v[:2] = start
        for i in range(2, self._r):
            prev = v[i - 2]  # a Java int widened to long (sign-extended)
            v[i] = _int32((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
        self._v = [x & 0xFFFFFFFF for x in v]  # kept unsigned from here on
        self._index = 0

    def next(self, bits: int) -> int:
        """`Well19937c.next(bits)`: the top `bits` bits of the next tempered output (non-negative)."""
        v = self._v
        index = self._index
        index_rm1 = self._i_rm1[index]
        index_rm2 = self._i_rm2[index]
        v0 = v[index]
        v_m1 = v[self._i1[index]]
        v_m2 = v[self._i2[index]]
        v_m3 = v[self._i3[index]]
        mask = 0xFFFFFFFF
        z0 = (0x80000000 & v[index_rm1]) ^ (0x7FFFFFFF & v[index_rm2])
        z1 = (v0 ^ ((v0 << 25) & mask)) ^ (v_m1 ^ (v_m1 >> 27))
        z2 = (v_m2 >> 9) ^ (v_m3 ^ (v_m3 >> 1))
        z3 = z1 ^ z2
        z4 = z0 ^ (z1 ^ ((z1 << 9) & mask)) ^ (z2 ^ ((z2 << 21) & mask)) ^ (z3 ^ (z3 >> 21))
        v[index] = z3
        v[index_rm1] = z4
        v[index_rm2] &= 0x80000000
        self._index = index_rm1
        z4 ^= ((z4 << 7) & mask) & 0xE46E1700
        z4 ^= ((z4 << 15) & mask) & 0x9B868000
        return z4 >> (32 - bits)

    def next_int(self, n: int) -> int:
        """`BitsStreamGenerator.nextInt(int n)`: uniform in [0, n), Java's rejection loop."""
        if n <= 0:
            raise ValueError("n must be positive")
        if n & -n == n:
            return (n * self.next(31)) >> 31
        while True:
            bits = self.next(31)
            val = bits % n
            if bits - val + (n - 1) <= _INT_MAX:  # Java: the int sum did not overflow
                return val

    def next_long_below(self, n: int) -> int:
        """`RandomDataGenerator.nextLong(rng, n)` (bytes from `nextBytes`): uniform in [0, n)."""
        while True:
            bits = 0
            for _ in range(2):  # nextBytes fills 8 bytes from two ints, low byte first
                word = self.next(32)
                for shift in (0, 8, 16, 24):
                    bits = (bits << 8) | ((word >> shift) & 0xFF)
            bits &= 0x7FFFFFFFFFFFFFFF
            val = bits % n
            if bits - val + (n - 1) <= (1 << 63) - 1:
                return val


def random_data_next_long(rng: Well19937c, lower: int, upper: int) -> int:
    """`RandomDataGenerator.nextLong(lower, upper)`: uniform in [lower, upper], both inclusive."""
    if lower >= upper:
        raise ValueError(f"lower bound {lower} must be below upper bound {upper}")
    span = upper - lower + 1
    if span < _INT_MAX:
        return lower + rng.next_int(span)
    return lower + rng.next_long_below(span)


# ------------------------------------------------------------------------- PCA statistics


def incremental_means(x: np.ndarray) -> np.ndarray:
    """Column means as commons-math's `Mean.increment` accumulates them: m += (x - m) / n."""
    means = np.zeros(x.shape[1])
    for n, row in enumerate(x, start=1):
        means += (row - means) / n
    return means


def scatter_matrix(centered: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """The sum of the rows' outer products, added row after row as KNIME's PCA does (`np.cumsum` adds
    strictly in order, unlike the pairwise `np.sum`)."""
    d = centered.shape[1]
    total = np.zeros((d, d))
    for start in range(0, len(centered), chunk):
        block = centered[start : start + chunk]
        products = block[:, :, None] * block[:, None, :]
        products[0] += total
        total = np.cumsum(products, axis=0)[-1]
    return total


def sequential_project(vectors: np.ndarray, centered: np.ndarray) -> np.ndarray:
    """`RealMatrix.operate` for every row: each component's dot product summed left to right."""
    out = np.zeros((len(centered), len(vectors)))
    for k, vec in enumerate(vectors):
        acc = np.zeros(len(centered))
        for i, weight in enumerate(vec):
            acc = acc + weight * centered[:, i]
        out[:, k] = acc
    return out


# --------------------------------------------------------------------- eigen decomposition


# complexity: a line-by-line port of commons-math's TriDiagonalTransformer; same loop order keeps KNIME's last bits
def _tridiagonalize(matrix: list[list[float]]) -> tuple[list[float], list[float], list[list[float]]]:
    """`TriDiagonalTransformer`: main and secondary diagonal and Q (only the upper triangle is read)."""
    h = [row[:] for row in matrix]
    m = len(h)
    main = [0.0] * m
    secondary = [0.0] * max(m - 1, 0)
    z = [0.0] * m
    for k in range(m - 1):
        hk = h[k]
        main[k] = hk[k]
        x_norm_sqr = 0.0
        for j in range(k + 1, m):
            c = hk[j]
            x_norm_sqr += c * c
        a = -math.sqrt(x_norm_sqr) if hk[k + 1] > 0 else math.sqrt(x_norm_sqr)
        secondary[k] = a
        if a != 0.0:
            hk[k + 1] -= a
            beta = -1 / (a * hk[k + 1])
            for i in range(k + 1, m):
                z[i] = 0.0
            for i in range(k + 1, m):
                hi = h[i]
                hki = hk[i]
                zi = hi[i] * hki
                for j in range(i + 1, m):
                    hij = hi[j]
                    zi += hij * hk[j]
                    z[j] += hij * hki
                z[i] = beta * (z[i] + zi)
            gamma = 0.0
            for i in range(k + 1, m):
                gamma += z[i] * hk[i]
            gamma *= beta / 2
            for i in range(k + 1, m):
                z[i] -= gamma * hk[i]
            for i in range(k + 1, m):
                hi = h[i]
                for j in range(i, m):
                    hi[j] -= hk[i] * z[j] + z[i] * hk[j]
    main[m - 1] = h[m - 1][m - 1]
    # Q^T from the Householder vectors (getQT), then transposed
    qt = [[0.0] * m for _ in range(m)]
    for k in range(m - 1, 0, -1):
        hk = h[k - 1]
        qt[k][k] = 1.0
        if hk[k] != 0.0:
            inv = 1.0 / (secondary[k - 1] * hk[k])
            beta = 1.0 / secondary[k - 1]
            qt[k][k] = 1 + beta * hk[k]
            for i in range(k + 1, m):
                qt[k][i] = beta * hk[i]
            for j in range(k + 1, m):
                beta = 0.0
                for i in range(k + 1, m):
                    beta += qt[j][i] * hk[i]
                beta *= inv
                qt[j][k] = beta * hk[k]
                for i in range(k + 1, m):
                    qt[j][i] += beta * hk[i]
    qt[0][0] = 1.0
    q = [[qt[j][i] for j in range(m)] for i in range(m)]
    return main, secondary, q


# complexity: an operation-for-operation port of commons-math's QL loop; kept whole so its bits stay Java's
def symmetric_eigen(matrix: np.ndarray, max_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvectors (the rows of the second array) of a symmetric
    matrix, as `new EigenDecomposition(matrix)` returns them (`getRealEigenvalues`, `getEigenvector(i)`)."""
    n = matrix.shape[0]
    main, secondary, z = _tridiagonalize([[float(v) for v in row] for row in matrix])
    values = main[:]
    e = [*secondary, 0.0] if n > 0 else []
    largest = max([abs(v) for v in values] + [abs(v) for v in e] + [0.0])
    if largest != 0:
        for i in range(n):
            if abs(values[i]) <= _EPSILON * largest:
                values[i] = 0.0
            if abs(e[i]) <= _EPSILON * largest:
                e[i] = 0.0
    for j in range(n):
        its = 0
        while True:
            m = j
            while m < n - 1:
                delta = abs(values[m]) + abs(values[m + 1])
                if abs(e[m]) + delta == delta:
                    break
                m += 1
            if m == j:
                break
            if its == max_iter:
                raise ArithmeticError(f"eigen decomposition did not converge in {max_iter} iterations")
            its += 1
            q = (values[j + 1] - values[j]) / (2 * e[j])
            t = math.sqrt(1 + q * q)
            q = values[m] - values[j] + e[j] / (q - t if q < 0.0 else q + t)
            u, s, c = 0.0, 1.0, 1.0
            i = m - 1
            while i >= j:
                p = s * e[i]
                h = c * e[i]
                if abs(p) >= abs(q):
                    c = q / p
                    t = math.sqrt(c * c + 1.0)
                    e[i + 1] = p * t
                    s = 1.0 / t
                    c = c * s
                else:
                    s = p / q
                    t = math.sqrt(s * s + 1.0)
                    e[i + 1] = q * t
                    c = 1.0 / t
                    s = s * c
                if e[i + 1] == 0.0:
                    values[i + 1] -= u
                    e[m] = 0.0
                    break
                q = values[i + 1] - u
                t = (values[i] - q) * s + 2.0 * c * h
                u = s * t
                values[i + 1] = q + u
                q = c * t - h
                for row in z:
                    p = row[i + 1]
                    row[i + 1] = s * row[i] + c * p
                    row[i] = c * row[i] - s * p
                i -= 1
            if t == 0.0 and i >= j:
                continue
            values[j] -= u
            e[j] = q
            e[m] = 0.0
    # selection sort, largest first, swapping the eigenvector columns along
    for i in range(n):
        k = i
        p = values[i]
        for j in range(i + 1, n):
            if values[j] > p:
                k, p = j, values[j]
        if k != i:
            values[k] = values[i]
            values[i] = p
            for row in z:
                row[i], row[k] = row[k], row[i]
    largest = max([abs(v) for v in values] + [0.0])
    if largest != 0.0:
        values = [0.0 if abs(v) < _EPSILON * largest else v for v in values]
    vectors = np.array([[z[j][i] for j in range(n)] for i in range(n)], dtype=float).reshape(n, n)
    return np.array(values, dtype=float), vectors
