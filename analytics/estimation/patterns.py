"""A model's columns held by pattern: 0/1 and few-valued columns summed once per distinct row pattern instead of
once per row.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from analytics.common.errors import SurvivalDataError
from analytics.estimation.kept import RISK_SETS_LOCK


def check_column(name, column: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(column))
    if bad.size:
        raise SurvivalDataError(f"X column {name!r} must be finite, but row {bad[0]} was {column[bad[0]]!r}")
    if np.ptp(column) == 0:
        raise SurvivalDataError(f"X column {name!r} is constant ({column[0]!r}); it has no hazard ratio")


HESSIAN_SLICE = 16_384  # rows per slice of the information matrix's product (see _second_order)


class PatternColumns:
    """A model's columns held by pattern: each row's pattern (`code`), each pattern's values of the 0/1 columns
    (`values`: patterns x those columns) and the other columns row by row (`other`: rows x those columns);
    `binary` and `rest` are their places among the model's columns. A model of characteristics' dummies and the
    mentoring flag has a few tens of thousands of patterns at a million rows, so no rows x columns block is
    ever written, and the model's sums over rows run over patterns (_Patterns).

    The patterns need not be distinct: two patterns with the same values only make the sums longer."""

    def __init__(self, code: np.ndarray, values: np.ndarray, other: np.ndarray, binary, rest, names: list[str]):
        self.code = np.asarray(code, dtype=np.intp)
        self.values = np.ascontiguousarray(values, dtype=float).reshape(len(values), len(binary))
        self.other = np.ascontiguousarray(other, dtype=float).reshape(len(self.code), len(rest))
        self.binary, self.rest = np.asarray(binary, dtype=np.intp), np.asarray(rest, dtype=np.intp)
        self.names = [str(name) for name in names]
        self.shape = (len(self.code), self.binary.size + self.rest.size)
        if len(self.names) != self.shape[1] or sorted([*self.binary, *self.rest]) != list(range(self.shape[1])):
            raise SurvivalDataError(f"pattern columns have {self.shape[1]} columns but {len(self.names)} names")
        self._entry_patterns: dict = {}  # per sparse matrix pattern: each entry's row's pattern

    def __len__(self) -> int:
        return self.shape[0]

    def counts(self) -> np.ndarray:
        """Rows per pattern."""
        return np.bincount(self.code, minlength=len(self.values)).astype(float)

    def check(self) -> None:
        """Every value finite and no column constant, as fit_cox checks a frame's columns: from the patterns
        present and the other columns, not from rows x columns."""
        present = self.values[self.counts() > 0]
        for j, column in [*zip(self.binary, present.T), *zip(self.rest, self.other.T)]:
            check_column(self.names[j], column)

    def without(self, names) -> "PatternColumns":
        """The same columns without the named ones."""
        drop = {str(n) for n in names}
        keep = [j for j, name in enumerate(self.names) if name not in drop]
        place = {j: k for k, j in enumerate(keep)}
        b = [i for i, j in enumerate(self.binary) if j in place]
        r = [i for i, j in enumerate(self.rest) if j in place]
        # the numbers row by row are shared when all of them stay (a million rows' worth not copied)
        other = self.other if r == list(range(self.other.shape[1])) else self.other[:, r]
        return PatternColumns(self.code, self.values[:, b], other, [place[self.binary[i]] for i in b],
                              [place[self.rest[i]] for i in r], [self.names[j] for j in keep])

    def reordered(self, rows: np.ndarray) -> "PatternColumns":
        """These rows, in this order."""
        return PatternColumns(self.code[rows], self.values, self.other[rows], self.binary, self.rest, self.names)

    def beside(self, indicators: np.ndarray, names: list[str]) -> "PatternColumns":
        """0/1 indicator columns (rows x k) first, then these columns: each row's pattern is its pattern here
        and its indicators' values."""
        indicators = np.asarray(indicators).reshape(len(self.code), -1)
        # each row's indicators as one number (a bit each), a column at a time: no rows x k block of 64-bit numbers
        bits = np.zeros(len(self.code), dtype=np.int64)
        for j in range(indicators.shape[1]):
            bits[indicators[:, j].astype(bool)] |= np.int64(1) << j
        own, kinds = pd.factorize(bits)
        code, pairs = pd.factorize(self.code.astype(np.int64) * len(kinds) + own)
        first = pattern_first_rows(code, len(pairs))
        k = indicators.shape[1]
        values = np.hstack([indicators[first].astype(float), self.values[self.code[first]]])
        return PatternColumns(code, values, self.other, [*range(k), *(self.binary + k)], self.rest + k,
                              [*names, *self.names])

    def gram(self) -> np.ndarray:
        """[1, X]'[1, X] (p + 1 square)."""
        p, n = self.shape[1], self.counts()
        G = np.empty((p + 1, p + 1))
        G[0, 0] = float(self.shape[0])
        B, K = self.binary + 1, self.rest + 1
        G[0, B] = G[B, 0] = n @ self.values
        G[0, K] = G[K, 0] = self.other.sum(axis=0)
        G[np.ix_(B, B)] = self.values.T @ (self.values * n[:, None])
        if K.size:
            G[np.ix_(B, K)] = self.values.T @ _pattern_sums(self.code, len(self.values), self.other)
            G[np.ix_(K, B)] = G[np.ix_(B, K)].T
            G[np.ix_(K, K)] = self.other.T @ self.other
        return G

    def __matmul__(self, params: np.ndarray) -> np.ndarray:
        return self.linear(params)

    def linear(self, params: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """X params, at every row or these: each pattern's value read for each row, plus the other columns'."""
        params = np.asarray(params, dtype=float)
        code, other = (self.code, self.other) if rows is None else (self.code[rows], self.other[rows])
        out = (self.values @ params[self.binary])[code]
        if self.rest.size:
            out += other @ params[self.rest]
        return out

    def mean(self) -> np.ndarray:
        out = np.empty(self.shape[1])
        out[self.binary] = self.counts() @ self.values / self.shape[0]
        out[self.rest] = self.other.mean(axis=0)
        return out

    def rows_sum(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty(self.shape[1])
        out[self.binary] = np.bincount(self.code[rows], minlength=len(self.values)) @ self.values
        out[self.rest] = self.other[rows].sum(axis=0)
        return out

    def product(self, matrix) -> np.ndarray:
        """matrix @ X for a sparse (CSR) matrix: for the 0/1 columns, the matrix with each entry moved to its
        row's pattern (a CSR matrix may hold several entries in one place: they are summed), times the
        patterns' values; which pattern each entry goes to is worked out once per matrix pattern."""
        key = id(matrix.indices)
        kept = self._entry_patterns.get(key)
        if kept is None or kept[0] is not matrix.indices:
            kept = self._entry_patterns[key] = (matrix.indices, self.code[matrix.indices].astype(matrix.indices.dtype))
        per = sparse.csr_matrix((matrix.data, kept[1], matrix.indptr), shape=(matrix.shape[0], len(self.values)))
        out = np.empty((matrix.shape[0], self.shape[1]))
        out[:, self.binary] = per @ self.values
        if self.rest.size:
            out[:, self.rest] = matrix @ self.other
        return out

    def take(self, rows: np.ndarray) -> np.ndarray:
        """These rows, every column (rows x columns)."""
        out = np.empty((len(rows), self.shape[1]))
        out[:, self.binary] = self.values[self.code[rows]]
        out[:, self.rest] = self.other[rows]
        return out

    def dense(self) -> np.ndarray:
        """Every row and column (what a model held by pattern avoids writing; cox.zph's terms use it)."""
        return self.take(np.arange(self.shape[0]))

    def patterns(self, centre: np.ndarray) -> "_Patterns":
        # the numbers centred: worked out once for the models that share them and their centre (the headline's
        # and each segment's model hold the same rows of salary and rating), kept while those rows live
        middle = np.ascontiguousarray(centre[self.rest], dtype=float)
        centred = _of_block(self.other, ("centred", middle.tobytes()), lambda: self.other - middle)
        return _Patterns(self.code, len(self.values), self.binary, self.rest, self.values - centre[self.binary],
                         centred)


def pattern_first_rows(code: np.ndarray, count: int) -> np.ndarray:
    """Each pattern's first row."""
    first = np.empty(count, dtype=np.intp)
    first[code[::-1]] = np.arange(len(code) - 1, -1, -1)
    return first


def _pattern_sums(code: np.ndarray, count: int, columns: np.ndarray) -> np.ndarray:
    """Each pattern's sums of these columns (rows x k): patterns x k."""
    return np.column_stack([np.bincount(code, weights=c, minlength=count) for c in columns.T])


def linear_predictor(X, params: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """X params at these rows, for a model's columns (PatternColumns or an array)."""
    return X.linear(params, rows) if isinstance(X, PatternColumns) else X[rows] @ params


def dense_columns(X, rows: np.ndarray | None = None) -> np.ndarray:
    """A model's columns (PatternColumns or an array) as rows x columns: every row, or these."""
    if isinstance(X, PatternColumns):
        return X.dense() if rows is None else X.take(rows)
    return X if rows is None else X[rows]


def _of_block(a: np.ndarray, what: str, make):
    """make(), worked out from block `a`, kept while the block lives: by a weak reference, so that keeping it
    never keeps the block."""
    with RISK_SETS_LOCK:
        kept = _BLOCKS.get((id(a), what))
    if kept is not None and kept[0]() is a:
        return kept[1]
    made = make()
    with RISK_SETS_LOCK:
        for key in [k for k, (ref, _) in _BLOCKS.items() if ref() is None]:
            del _BLOCKS[key]  # blocks gone
        _BLOCKS[(id(a), what)] = (weakref.ref(a), made)
    return made


_BLOCKS: dict[tuple, tuple] = {}  # (id of a block, what) -> (weak reference to it, what was worked out from it)

PATTERN_SHARE = 0.25  # a model's rows are summed by pattern when there are at most this share of patterns
PATTERN_BITS = 52  # 0/1 columns whose values a float holds exactly as one number (sums of powers of two)


def _block_patterns(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """A block's 0/1 columns (the first PATTERN_BITS of them) and each row's pattern of their values:
    (which columns, each row's pattern, how many patterns), kept while the block lives."""
    def make():
        flags = np.ones(b.shape[1], dtype=bool)
        for lo in range(0, b.shape[0], HESSIAN_SLICE):
            part = b[lo:lo + HESSIAN_SLICE]
            flags &= ((part == 0) | (part == 1)).all(axis=0)
        flags[np.flatnonzero(flags)[PATTERN_BITS:]] = False
        weights = np.zeros(b.shape[1])
        weights[flags] = 2.0 ** np.arange(int(flags.sum()))
        # each row's 0/1 values as one number: a sum of distinct powers of two below 2^53, exact in any order
        codes, uniques = pd.factorize(b @ weights)
        return flags, codes, len(uniques)
    return _of_block(b, "patterns", make)


@dataclass(frozen=True)
class _Patterns:
    """A model's rows grouped by their values of its 0/1 columns (a characteristic's groups, the mentoring
    flag): at a million rows, a few tens of thousands of patterns. The linear predictor and X' diag(v) X are
    then summed per pattern for those columns (from each pattern's sum of v) and row by row only for the
    others (salary, a rating): the same sums in another order, without reading every row's every column."""

    code: np.ndarray    # each row's pattern
    count: int
    binary: np.ndarray  # the model's 0/1 columns, the same in every row of a pattern
    other: np.ndarray   # the rest
    F: np.ndarray       # patterns x binary: each pattern's values, centred
    C: np.ndarray       # rows x other, centred

    def eta(self, params: np.ndarray) -> np.ndarray:
        """X params less centre params: a constant off, which a Cox model does not see."""
        out = (self.F @ params[self.binary])[self.code]
        if self.other.size:
            out += self.C @ params[self.other]
        return out

    def information(self, v: np.ndarray) -> np.ndarray:
        """(X - centre)' diag(v) (X - centre)."""
        B, K, F = self.binary, self.other, self.F
        out = np.empty((B.size + K.size,) * 2)
        out[np.ix_(B, B)] = F.T @ (F * np.bincount(self.code, weights=v, minlength=self.count)[:, None])
        if K.size:
            vC = self.C * v[:, None]
            out[np.ix_(B, K)] = F.T @ _pattern_sums(self.code, self.count, vC)
            out[np.ix_(K, B)] = out[np.ix_(B, K)].T
            out[np.ix_(K, K)] = self.C.T @ vC
        return out


def patterns_of(x, centre: np.ndarray) -> _Patterns | None:
    """x's rows by pattern (see _Patterns), or None when there are too many patterns to gain by it."""
    if isinstance(x, PatternColumns):
        return x.patterns(centre)
    flags, code, count = _block_patterns(x.x)
    if not flags.any() or count > PATTERN_SHARE * x.shape[0]:
        return None
    B, K = np.flatnonzero(flags), np.flatnonzero(~flags)
    return _Patterns(code, count, B, K, x.take(pattern_first_rows(code, count))[:, B] - centre[B],
                     x.columns(K) - centre[K])


class DenseColumns:
    """An array of a model's columns read through PatternColumns' methods."""

    def __init__(self, x: np.ndarray):
        self.x, self.shape = x, x.shape

    def __matmul__(self, params):
        return self.x @ params

    def mean(self):
        return self.x.mean(axis=0)

    def rows_sum(self, rows):
        return self.x[rows].sum(axis=0)

    def product(self, matrix):
        return matrix @ self.x

    def rows(self, lo, hi, centre):
        return self.x[lo:hi] - centre

    def take(self, rows):
        return self.x[rows]

    def columns(self, idx):
        return np.ascontiguousarray(self.x[:, idx])
