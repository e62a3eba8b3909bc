"""How a fleet is split over processes: which controller cells each shard runs."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True)
class Shard:
    """Which part of a fleet split over processes a world runs: the devices of its ``cells`` (every cell if
    None); the world's own events are kept by shard 0 only. ``deal`` makes a run's shards."""

    index: int = 0
    cells: frozenset[int] | None = None

    def owns(self, cell: int) -> bool:
        """True if this shard runs the devices of ``cell``."""
        return self.cells is None or cell in self.cells

    @property
    def primary(self) -> bool:
        """True for the shard that keeps the world's own events (shard 0)."""
        return self.index == 0


def deal(cells: int, count: int, together: Iterable[Iterable[int]] = ()) -> list[Shard]:
    """Deal ``cells`` controller cells to at most ``count`` shards, each set of ``together`` (cells whose devices
    interact inside a window) to one shard, in cell order, each to the shard with the fewest cells so far (the
    first of those); with none, shard ``k`` gets the cells ``c % count == k``."""
    units = nx.Graph()
    units.add_nodes_from(range(cells))
    for bound in together:
        members = sorted(bound)
        units.add_edges_from(itertools.pairwise(members))
    ordered = sorted(nx.connected_components(units), key=min)
    dealt: list[set[int]] = [set() for _ in range(min(count, len(ordered)))]
    for unit in ordered:
        min(dealt, key=len).update(unit)
    return [Shard(index, frozenset(mine)) for index, mine in enumerate(dealt)]
