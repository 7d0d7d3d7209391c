"""Bin counts and order statistics of a float column without sorting it.

Sorting 2M floats costs ~130 ms a column here, yet a drift check needs only how many values fall in
each of ~100 bins, and a reference only ~200 order statistics (its quantile edges). Both come from one
pass that maps every value to one of 65,536 cells of a grid (equal ones, and one at each end for what
lies beyond). The map only subtracts, multiplies by a positive constant, clips and truncates, each
non-decreasing, so a value in a lower cell is always the smaller: a cell that holds no edge puts all
its values in one bin, and only the values sharing a cell with an edge (or with a wanted rank) are
searched or sorted. The answers are exact for any data and any grid; a grid that fits the data badly
(ties, a spike, a heavy tail) only sends more values the slow way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS = (1 << 16) - 2  # with the two end cells, a cell number fits in 16 bits: 2 bytes a value
SAMPLE = 8_192  # values a reference's grid is placed from: only speed depends on where it lands
CHUNK = 1 << 16  # values scaled at a time (512 KB): stays in cache
TIE_STRIDE = 16  # every 16th value offers its cell's tied value: 1/16 of the scattered writes
SPAN = (0.005, 0.995)  # the grid covers the sample's middle 99%; the tails land in the two end cells


@dataclass(frozen=True)
class Grid:
    """Equal cells from ``low`` up, ``scale`` cells per unit; cell 0 and cell CELLS + 1 take what lies beyond."""

    low: float
    scale: float

    @classmethod
    def spanning(cls, low: float, high: float) -> Grid:
        """The grid over [low, high]; any positive finite scale is correct, so a degenerate span gets 1."""
        with np.errstate(over="ignore"):
            scale = CELLS / (high - low) if high > low else 1.0
        return cls(float(low), scale if np.isfinite(scale) and scale > 0 else 1.0)

    @classmethod
    def around(cls, values: np.ndarray) -> Grid:
        """A grid over the middle of finite ``values``, placed from an evenly strided sample."""
        if len(values) == 0:
            return cls(0.0, 1.0)
        sample = np.sort(values[:: max(1, len(values) // SAMPLE)])
        low, high = sample[(np.array(SPAN) * (len(sample) - 1)).astype(int)]
        return cls.spanning(low, high)

    def cells(self, values: np.ndarray) -> np.ndarray:
        """Each finite value's cell in 0..CELLS + 1, non-decreasing in the value (far values overflow to the ends).
        Computed a slice at a time in one small buffer: a fresh temporary of the column's size costs more in
        page faults than the arithmetic."""
        cells = np.empty(len(values), np.uint16)
        buffer = np.empty(min(len(values), CHUNK))
        for start in range(0, len(values), CHUNK):
            part = values[start : start + CHUNK]
            scaled = buffer[: len(part)]
            with np.errstate(over="ignore"):
                np.subtract(part, self.low, out=scaled)
                scaled *= self.scale
            np.clip(scaled, -1.0, CELLS, out=scaled)
            scaled += 1.0
            np.copyto(cells[start : start + CHUNK], scaled, casting="unsafe")  # truncates, as astype does
        return cells


@dataclass(frozen=True)
class Cells:
    """Finite values placed on a grid: each value's cell and how many values each cell holds."""

    values: np.ndarray
    grid: Grid
    of_value: np.ndarray
    count: np.ndarray

    @classmethod
    def place(cls, values: np.ndarray, grid: Grid) -> Cells:
        of_value = grid.cells(values)
        return cls(values, grid, of_value, _count(of_value))

    def _gather(self, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The values in the ``chosen`` cells, split for ties: (a value for each cell, how many values of each
        cell equal it, the other values). Counts and integers put a whole bin in one cell: its rows are then
        counted, never sorted or searched one by one. Any value gives the right split (one no value equals
        leaves all in the rest), so among all values a strided sample picks it: a tie holds most of its cell."""
        mask = np.zeros(CELLS + 2, bool)
        mask[chosen] = True
        if 4 * self.count[chosen].sum() < len(self.values):  # a few values: take them out first
            inside = mask[self.of_value]
            values, cells = self.values[inside], self.of_value[inside]
            step = 1
        else:  # most values (ties): taking them out would cost more than looking at all
            values, cells = self.values, self.of_value
            step = TIE_STRIDE
        one = np.zeros(CELLS + 2)
        one[cells[::step]] = values[::step]  # the last write wins
        rest, rest_cells = _differing(values, cells, one, mask)
        return one, self.count - _count(rest_cells), rest

    def bin_counts(self, edges: np.ndarray) -> np.ndarray:
        """Counts in (-inf, e0], (e0, e1], ..., (e_last, inf) of sorted ``edges``: what
        ``np.bincount(np.searchsorted(edges, values))`` gives, searching only values that share a cell with an edge."""
        if len(edges) == 0:
            return np.array([len(self.values)], np.int64)
        bins = len(edges) + 1
        edge_cells = self.grid.cells(edges)
        shared = distinct(edge_cells)
        alone = np.ones(CELLS + 2, bool)
        alone[shared] = False
        # a cell without an edge lies above every edge in a lower cell and below the rest
        edges_below = np.searchsorted(edge_cells, np.flatnonzero(alone), side="left")
        counts = np.bincount(edges_below, weights=self.count[alone], minlength=bins)
        one, ties, rest = self._gather(shared)
        counts += np.bincount(np.searchsorted(edges, one[shared], side="left"), weights=ties[shared], minlength=bins)
        return counts.astype(np.int64) + np.bincount(np.searchsorted(edges, rest, side="left"), minlength=bins)

    def order_statistics(self, ranks: np.ndarray) -> np.ndarray:
        """The values at sorted 0-based ``ranks`` of the sorted values, sorting only the cells that hold a rank
        (and in those, only the values that differ from one value of the cell: a tied cell is not sorted)."""
        ends = np.cumsum(self.count)
        cell = np.searchsorted(ends, ranks, side="right")
        wanted = distinct(cell)
        one, ties, rest = self._gather(wanted)
        rest = np.sort(rest)  # cells hold disjoint, ordered ranges: sorted, the rest stay in cell order
        # rank q among the gathered values: cell c's ties sit after the rest below one[c] and the earlier cells' ties
        before = np.zeros(CELLS + 2, np.int64)
        before[wanted] = np.cumsum(self.count[wanted]) - self.count[wanted]
        ties_before = np.zeros(CELLS + 2, np.int64)
        ties_before[wanted] = np.cumsum(ties[wanted]) - ties[wanted]
        q = before[cell] + ranks - (ends[cell] - self.count[cell])
        first_tie = np.searchsorted(rest, one[cell], side="left") + ties_before[cell]
        is_tie = (q >= first_tie) & (q < first_tie + ties[cell])
        index = q - ties_before[cell] - np.where(q >= first_tie + ties[cell], ties[cell], 0)
        padded = np.append(rest, 0.0)  # ranks that are ties index past an empty rest
        return np.where(is_tie, one[cell], padded[np.clip(index, 0, len(rest))])


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values, as ``np.unique`` gives for a small array: ``np.unique`` first imports
    ``numpy.ma`` (~50 ms of a whole ``steward drift``) to ask whether the array is masked."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _count(cells: np.ndarray) -> np.ndarray:
    """Values per cell. ``np.bincount`` casts its input to 8-byte integers first: a slice at a time, that copy
    stays small; slices twice CHUNK, as each also zeroes and adds 512 KB of counts (~10% faster)."""
    count = np.zeros(CELLS + 2, np.int64)
    for start in range(0, len(cells), 2 * CHUNK):
        count += np.bincount(cells[start : start + 2 * CHUNK], minlength=CELLS + 2)
    return count


def _differing(values: np.ndarray, cells: np.ndarray, one: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values in ``chosen`` cells that differ from their cell's ``one``, and their cells; a slice at a time,
    so no temporary is the column's size."""
    rest, rest_cells = [values[:0]], [cells[:0]]
    for start in range(0, len(values), CHUNK):
        part, part_cells = values[start : start + CHUNK], cells[start : start + CHUNK]
        differs = (part != one[part_cells]) & chosen[part_cells]
        rest.append(part[differs])
        rest_cells.append(part_cells[differs])
    return np.concatenate(rest), np.concatenate(rest_cells)
