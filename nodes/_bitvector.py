"""Compact bit-vector columns: a pandas ExtensionArray over a packed 2-D ``uint8`` matrix.

KNIME stores fingerprints as dense bit-vector cells. Keeping them as Python objects per row would
cost ~100 bytes plus the bits for each of QM9's 130,831 molecules and make every row filter walk
Python objects; here a column of n vectors of ``n_bits`` bits is one ``(n, ceil(n_bits / 8))``
``uint8`` array (bit i of a row is bit ``i % 8`` of byte ``i // 8``, LSB first like KNIME's
``DenseBitVector``) plus a boolean mask of missing rows, so take, filter, concat and pickling are
numpy operations on the packed bytes. The dtype's name is ``"bitvector"``, which ``engine.core.table``
maps to ``ColumnType.BIT_VECTOR``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray, ExtensionDtype, register_extension_dtype
from pandas.api.types import is_integer, is_list_like, pandas_dtype

__all__ = ["BitVector", "BitVectorArray", "BitVectorDtype", "n_bytes"]

# KNIME's BitVectorValue.MAX_DISPLAY_BITS: longer vectors are cut in their string forms
MAX_DISPLAY_BITS = 8192


def n_bytes(n_bits: int) -> int:
    return (n_bits + 7) // 8


def _unpack(packed: np.ndarray, n_bits: int) -> np.ndarray:
    return np.unpackbits(packed, axis=-1, count=n_bits, bitorder="little")


def _pack(bits: np.ndarray) -> np.ndarray:
    return np.packbits(np.asarray(bits, dtype=bool), axis=-1, bitorder="little")


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and np.isnan(value)


# ----------------------------------------------------------------------------------------- scalar


class BitVector:
    """One bit vector (a cell of a bit-vector column): immutable, hashable, compared by content."""

    __slots__ = ("_packed", "n_bits")

    def __init__(self, packed: bytes | np.ndarray, n_bits: int) -> None:
        data = (
            bytes(np.asarray(packed, dtype=np.uint8).tobytes()) if not isinstance(packed, bytes) else packed
        )
        if len(data) != n_bytes(n_bits):
            raise ValueError(f"{n_bits} bits need {n_bytes(n_bits)} bytes, got {len(data)}")
        self._packed = data
        self.n_bits = int(n_bits)

    @classmethod
    def from_bits(cls, bits: Sequence[int] | np.ndarray) -> BitVector:
        arr = np.asarray(bits)
        if arr.ndim != 1:
            raise ValueError("a bit vector needs a 1-D sequence of bits")
        return cls(_pack(arr).tobytes(), len(arr))

    @classmethod
    def from_on_bits(cls, n_bits: int, on_bits: Iterable[int]) -> BitVector:
        bits = np.zeros(n_bits, dtype=np.uint8)
        bits[list(on_bits)] = 1
        return cls.from_bits(bits)

    @classmethod
    def from_binary_string(cls, text: str) -> BitVector:
        """Parse KNIME's binary form (highest bit first, as `toBinaryString` writes it)."""
        text = text.strip()
        if text and set(text) - {"0", "1"}:
            raise ValueError(f"not a binary bit-vector string: {text[:40]!r}")
        return cls.from_bits(np.frombuffer(text[::-1].encode(), dtype=np.uint8) - ord("0"))

    @property
    def packed(self) -> bytes:
        return self._packed

    def bits(self) -> np.ndarray:
        """The bits as a ``uint8`` 0/1 array, bit i at position i."""
        return _unpack(np.frombuffer(self._packed, dtype=np.uint8), self.n_bits)

    def on_bits(self) -> list[int]:
        return np.flatnonzero(self.bits()).tolist()

    def cardinality(self) -> int:
        return int(np.unpackbits(np.frombuffer(self._packed, dtype=np.uint8)).sum())

    def __len__(self) -> int:
        return self.n_bits

    def __getitem__(self, index: int) -> int:
        if not -self.n_bits <= index < self.n_bits:
            raise IndexError(f"bit {index} out of range for {self.n_bits} bits")
        index %= self.n_bits
        return (self._packed[index >> 3] >> (index & 7)) & 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BitVector):
            return NotImplemented
        return self.n_bits == other.n_bits and self._packed == other._packed

    def __hash__(self) -> int:
        return hash((self.n_bits, self._packed))

    def to_binary_string(self) -> str:
        """KNIME's `DenseBitVector.toBinaryString`: highest index first, cut after 8192 bits."""
        shown = min(self.n_bits, MAX_DISPLAY_BITS)
        text = (self.bits()[:shown][::-1] + ord("0")).tobytes().decode()
        return text + ("..." if shown < self.n_bits else "")

    def to_hex_string(self) -> str:
        """KNIME's `DenseBitVector.toHexString`: highest nibble first, upper case."""
        shown = min(self.n_bits, MAX_DISPLAY_BITS)
        bits = self.bits()[:shown]
        pad = (-shown) % 4
        nibbles = np.concatenate([bits, np.zeros(pad, np.uint8)]).reshape(-1, 4) @ np.array([1, 2, 4, 8])
        text = "".join("0123456789ABCDEF"[v] for v in nibbles[::-1])
        return ("..." if shown < self.n_bits else "") + text

    def __str__(self) -> str:
        return self.to_binary_string()  # DenseBitVectorCell.toString()

    def __repr__(self) -> str:
        return f"BitVector(n_bits={self.n_bits}, on={self.on_bits()[:16]}{'...' if self.cardinality() > 16 else ''})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (BitVector, (self._packed, self.n_bits))


# ------------------------------------------------------------------------------------------ dtype


@register_extension_dtype
class BitVectorDtype(ExtensionDtype):
    """The dtype of bit-vector columns (one dtype for all lengths; the length lives in the array)."""

    name = "bitvector"
    type = BitVector
    kind = "O"
    na_value = None

    @classmethod
    def construct_array_type(cls) -> builtins.type[BitVectorArray]:
        return BitVectorArray

    @classmethod
    def construct_from_string(cls, string: str) -> BitVectorDtype:
        if string == cls.name:
            return cls()
        raise TypeError(f"Cannot construct a '{cls.__name__}' from '{string}'")

    @property
    def _is_numeric(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "bitvector"


# ------------------------------------------------------------------------------------------ array


class BitVectorArray(ExtensionArray):
    """A column of fixed-length bit vectors: `packed` is (n, ceil(n_bits / 8)) uint8, `mask` marks
    missing rows (whose bytes are kept zero so that equality and hashing need no special case)."""

    _dtype = BitVectorDtype()

    def __init__(
        self, packed: np.ndarray, n_bits: int, mask: np.ndarray | None = None, copy: bool = False
    ) -> None:
        packed = np.asarray(packed, dtype=np.uint8)
        if packed.ndim != 2 or packed.shape[1] != n_bytes(n_bits):
            raise ValueError(
                f"packed bits must be (n, {n_bytes(n_bits)}) uint8 for {n_bits} bits, got {packed.shape}"
            )
        if mask is None:
            mask = np.zeros(len(packed), dtype=bool)
        else:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (len(packed),):
                raise ValueError(f"mask must have shape ({len(packed)},), got {mask.shape}")
        if copy:
            packed, mask = packed.copy(), mask.copy()
        self._data = packed
        self._mask = mask
        self._n_bits = int(n_bits)

    # ------------------------------------------------------------------------ constructors

    @classmethod
    def from_bits(cls, bits: np.ndarray, mask: np.ndarray | None = None) -> BitVectorArray:
        """From an (n, n_bits) 0/1 matrix."""
        bits = np.asarray(bits)
        if bits.ndim != 2:
            raise ValueError("from_bits needs an (n, n_bits) matrix")
        packed = _pack(bits)
        if mask is not None:
            packed[np.asarray(mask, dtype=bool)] = 0
        return cls(packed, bits.shape[1], mask)

    @classmethod
    def from_packed(cls, packed: np.ndarray, n_bits: int, mask: np.ndarray | None = None) -> BitVectorArray:
        arr = cls(packed, n_bits, mask)
        if arr._mask.any():
            arr._data = arr._data.copy()
            arr._data[arr._mask] = 0
        return arr

    @classmethod
    def _empty_of(cls, n: int, n_bits: int) -> BitVectorArray:
        return cls(np.zeros((n, n_bytes(n_bits)), np.uint8), n_bits, np.ones(n, dtype=bool))

    @classmethod
    def _from_sequence(cls, scalars: Any, *, dtype: Any = None, copy: bool = False) -> BitVectorArray:
        if isinstance(scalars, BitVectorArray):
            return scalars.copy() if copy else scalars
        if isinstance(scalars, np.ndarray) and scalars.ndim == 2:
            return cls.from_bits(scalars)
        items = list(scalars)
        vectors: list[BitVector | None] = []
        for item in items:
            if _is_missing(item):
                vectors.append(None)
            elif isinstance(item, BitVector):
                vectors.append(item)
            elif isinstance(item, str):
                vectors.append(BitVector.from_binary_string(item))
            elif isinstance(item, bytes):
                raise TypeError("raw bytes are ambiguous as a bit vector; use BitVector(packed, n_bits)")
            elif is_list_like(item):
                vectors.append(BitVector.from_bits(np.asarray(item)))
            else:
                raise TypeError(f"cannot make a bit vector from {type(item).__name__}: {item!r}")
        lengths = {v.n_bits for v in vectors if v is not None}
        if len(lengths) > 1:
            raise ValueError(f"bit vectors of different lengths in one column: {sorted(lengths)}")
        n_bits = lengths.pop() if lengths else 0
        packed = np.zeros((len(vectors), n_bytes(n_bits)), dtype=np.uint8)
        mask = np.zeros(len(vectors), dtype=bool)
        for i, v in enumerate(vectors):
            if v is None:
                mask[i] = True
            else:
                packed[i] = np.frombuffer(v.packed, dtype=np.uint8)
        return cls(packed, n_bits, mask)

    @classmethod
    def _from_sequence_of_strings(
        cls, strings: Any, *, dtype: Any = None, copy: bool = False
    ) -> BitVectorArray:
        return cls._from_sequence([None if _is_missing(s) or s == "" else str(s) for s in strings])

    @classmethod
    def _from_factorized(cls, values: np.ndarray, original: BitVectorArray) -> BitVectorArray:
        nb = n_bytes(original.n_bits)
        packed = np.zeros((len(values), nb), dtype=np.uint8)
        mask = np.zeros(len(values), dtype=bool)
        for i, v in enumerate(values):
            if v is None:
                mask[i] = True
            else:
                packed[i] = np.frombuffer(v, dtype=np.uint8)
        return cls(packed, original.n_bits, mask)

    # --------------------------------------------------------------------------- accessors

    @property
    def dtype(self) -> BitVectorDtype:
        return self._dtype

    @property
    def n_bits(self) -> int:
        return self._n_bits

    @property
    def packed(self) -> np.ndarray:
        """The packed bytes (a view: do not modify)."""
        return self._data

    @property
    def mask(self) -> np.ndarray:
        return self._mask

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes + self._mask.nbytes)

    def __len__(self) -> int:
        return len(self._data)

    def isna(self) -> np.ndarray:
        return self._mask.copy()

    def cardinality(self) -> np.ndarray:
        """Number of set bits per row (0 for missing rows)."""
        return np.unpackbits(self._data, axis=1).sum(axis=1, dtype=np.int64)

    def __getitem__(self, item: Any) -> Any:
        if is_integer(item):
            i = int(item)
            if not -len(self) <= i < len(self):
                raise IndexError(f"index {i} out of bounds for a bit-vector column of length {len(self)}")
            if self._mask[i]:
                return None
            return BitVector(self._data[i].tobytes(), self._n_bits)
        if item is Ellipsis:
            return self
        if isinstance(item, tuple):
            if len(item) == 1:
                return self[item[0]]
            raise IndexError("a bit-vector column is one-dimensional")
        if isinstance(item, slice):
            return type(self)(self._data[item], self._n_bits, self._mask[item])
        key = pd.api.indexers.check_array_indexer(self, item)
        return type(self)(self._data[key], self._n_bits, self._mask[key])

    def __setitem__(self, key: Any, value: Any) -> None:
        if not (is_integer(key) or isinstance(key, slice)):
            key = pd.api.indexers.check_array_indexer(self, key)
        if _is_missing(value):
            self._data[key] = 0
            self._mask[key] = True
            return
        if isinstance(value, BitVector):
            self._check_length(value.n_bits)
            self._data[key] = np.frombuffer(value.packed, dtype=np.uint8)
            self._mask[key] = False
            return
        other = value if isinstance(value, BitVectorArray) else type(self)._from_sequence(value)
        if len(other):
            self._check_length(other.n_bits)
        self._data[key] = other._data
        self._mask[key] = other._mask

    def _check_length(self, n_bits: int) -> None:
        if n_bits != self._n_bits and len(self) and not self._mask.all():
            raise ValueError(f"cannot put a {n_bits}-bit vector into a column of {self._n_bits}-bit vectors")
        if n_bits != self._n_bits:  # an all-missing column takes the length of what is put into it
            self._data = np.zeros((len(self), n_bytes(n_bits)), dtype=np.uint8)
            self._n_bits = n_bits

    def __eq__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        if isinstance(other, pd.Series | pd.Index | pd.DataFrame):
            return NotImplemented
        if isinstance(other, BitVector):
            if other.n_bits != self._n_bits:
                return np.zeros(len(self), dtype=bool)
            row = np.frombuffer(other.packed, dtype=np.uint8)
            return np.all(self._data == row, axis=1) & ~self._mask
        if isinstance(other, BitVectorArray):
            if len(other) != len(self):
                raise ValueError("Lengths must match to compare")
            if other.n_bits != self._n_bits:
                return np.zeros(len(self), dtype=bool)
            return np.all(self._data == other._data, axis=1) & ~self._mask & ~other._mask
        if is_list_like(other):
            return self == type(self)._from_sequence(other)
        return np.zeros(len(self), dtype=bool)

    def __ne__(self, other: Any) -> np.ndarray:  # type: ignore[override]
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else ~eq

    # --------------------------------------------------------------------- pandas protocol

    def take(self, indices: Any, *, allow_fill: bool = False, fill_value: Any = None) -> BitVectorArray:
        idx = np.asarray(indices, dtype=np.intp)
        if not allow_fill:
            if len(self) == 0 and len(idx):
                raise IndexError("cannot take from an empty bit-vector column")
            return type(self)(self._data.take(idx, axis=0), self._n_bits, self._mask.take(idx))
        if (idx < -1).any():
            raise ValueError("take with allow_fill accepts only -1 as a negative index")
        fill = idx == -1
        if len(self) == 0:
            if not fill.all():
                raise IndexError("cannot take from an empty bit-vector column")
            out = type(self)._empty_of(len(idx), self._n_bits)
        else:
            safe = np.where(fill, 0, idx)
            out = type(self)(self._data.take(safe, axis=0), self._n_bits, self._mask.take(safe) | fill)
            if fill.any():
                out._data[fill] = 0
        if fill.any() and isinstance(fill_value, BitVector):
            out[fill] = fill_value
        return out

    def copy(self) -> BitVectorArray:
        return type(self)(self._data.copy(), self._n_bits, self._mask.copy())

    @classmethod
    def _concat_same_type(cls, to_concat: Sequence[BitVectorArray]) -> BitVectorArray:
        to_concat = list(to_concat)
        lengths = {a.n_bits for a in to_concat if len(a) and not a._mask.all()}
        if len(lengths) > 1:
            raise ValueError(f"cannot concatenate bit-vector columns of different lengths: {sorted(lengths)}")
        n_bits = lengths.pop() if lengths else max((a.n_bits for a in to_concat), default=0)
        parts = [
            a._data if a.n_bits == n_bits else np.zeros((len(a), n_bytes(n_bits)), np.uint8)
            for a in to_concat
        ]
        data = np.concatenate(parts, axis=0) if parts else np.zeros((0, n_bytes(n_bits)), np.uint8)
        mask = np.concatenate([a._mask for a in to_concat]) if to_concat else np.zeros(0, bool)
        return cls(data, n_bits, mask)

    def _values_for_factorize(self) -> tuple[np.ndarray, Any]:
        out = np.empty(len(self), dtype=object)
        for i in np.flatnonzero(~self._mask):
            out[i] = self._data[i].tobytes()
        return out, None

    def _values_for_argsort(self) -> np.ndarray:
        # KNIME sorts bit vectors by their string form; byte-wise order of the reversed bytes is
        # the order of the binary strings (highest bit first)
        return np.array(
            [b[::-1] if b is not None else b"" for b in self._values_for_factorize()[0]], dtype=object
        )

    def value_counts(self, dropna: bool = True) -> pd.Series:
        codes, uniques = pd.factorize(self, use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques)).astype(np.int64)
        index: Any = uniques
        if not dropna and self._mask.any():
            index = type(self)._concat_same_type([uniques, type(self)._empty_of(1, self._n_bits)])
            counts = np.append(counts, int(self._mask.sum()))
        return pd.Series(counts, index=pd.Index(index), name="count")

    def _formatter(self, boxed: bool = False) -> Any:
        return lambda v: "?" if v is None else str(v)

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        dtype = pandas_dtype(dtype)
        if isinstance(dtype, BitVectorDtype):
            return self.copy() if copy else self
        if isinstance(dtype, pd.StringDtype):
            return pd.array(self._strings(missing=None), dtype=dtype)
        if isinstance(dtype, np.dtype) and dtype.kind == "U":
            return np.array(self._strings(missing=""), dtype=object)
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            return self._objects()
        raise TypeError(
            f"cannot convert a bit-vector column to {dtype}; use .array.to_numpy() for a 0/1 matrix "
            "or the Expand Bit Vector node"
        )

    def _strings(self, missing: str | None) -> list[str | None]:
        return [missing if v is None else v.to_binary_string() for v in self._objects()]

    def _objects(self) -> np.ndarray:
        out = np.empty(len(self), dtype=object)
        for i in np.flatnonzero(~self._mask):
            out[i] = BitVector(self._data[i].tobytes(), self._n_bits)
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        objs = self._objects()
        return objs if dtype is None or np.dtype(dtype).kind == "O" else objs.astype(dtype)

    def to_numpy(
        self, dtype: Any = None, copy: bool = False, na_value: Any = pd.api.extensions.no_default
    ) -> np.ndarray:
        """The unpacked bits as an (n, n_bits) matrix (``uint8`` unless `dtype` says otherwise).

        ``dtype=object`` gives the 1-D array of `BitVector` cells instead (pandas uses that when it
        mixes columns). Missing rows become `na_value`; without one they are an error for integer
        dtypes and NaN for float dtypes."""
        if dtype is not None and np.dtype(dtype).kind == "O":
            return self._objects()
        target = np.dtype(np.uint8 if dtype is None else dtype)
        bits = _unpack(self._data, self._n_bits)
        if target != np.uint8:
            bits = bits.astype(target)
        if self._mask.any():
            if na_value is not pd.api.extensions.no_default:
                bits[self._mask] = na_value
            elif target.kind == "f":
                bits[self._mask] = np.nan
            else:
                raise ValueError(
                    f"{int(self._mask.sum())} missing bit vectors cannot be {target}; pass na_value= or a float dtype"
                )
        return bits

    def __reduce__(self) -> tuple[Any, ...]:
        return (BitVectorArray, (self._data, self._n_bits, self._mask))
