"""A tag's points as the loader appends them: arrays with spare capacity, grown as needed."""

from __future__ import annotations

import numpy as np

from coordlint.columns import ScalarColumns

__all__ = ["GrowingColumn"]


class GrowingColumn:
    """One tag's points, appended chunk by chunk into arrays with spare capacity (pages never
    written are never resident, so a generous estimate costs address space, not memory)."""

    __slots__ = ("n", "steps", "values", "walls")

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self.steps = np.empty(capacity, dtype=np.int64)
        self.values = np.empty(capacity, dtype=np.float64)
        self.walls = np.empty(capacity, dtype=np.float64)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.steps, self.values, self.walls

    def extend(self, cols: ScalarColumns, estimate: int) -> None:
        k = len(cols.steps)
        need = self.n + k
        if need > len(self.steps):
            cap = max(need, estimate, len(self.steps) * 5 // 4 + 16)
            for name in self.__slots__[1:]:
                old = getattr(self, name)
                new = np.empty(cap, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
        a, b = self.n, need
        self.steps[a:b] = cols.steps
        self.values[a:b] = cols.values
        self.walls[a:b] = cols.wall_times
        self.n = need

    def columns(self, n: int | None = None) -> ScalarColumns:
        n = self.n if n is None else n
        return ScalarColumns(self.steps[:n], self.values[:n], self.walls[:n])
