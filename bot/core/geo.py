"""Distances on the Earth's surface, for "what is near me?" (no geocoding, no network)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.knowledge import Entry

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


@dataclass(frozen=True, slots=True)
class Point:
    """A place on the Earth's surface, in degrees."""

    lat: float
    lon: float


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (haversine; well within a metre at city scale)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Nearby:
    entry: Entry
    meters: float


def nearest(
    entries: Iterable[Entry], here: Point, *, limit: int = 5, within_m: float = 50_000
) -> list[Nearby]:
    """Entries that have coordinates, nearest first, no farther than `within_m`."""
    found: dict[str, Nearby] = {}
    for entry in entries:
        if entry.coordinates is None or entry.id in found:
            continue
        meters = distance_m(here, Point(*entry.coordinates))
        if meters <= within_m:
            found[entry.id] = Nearby(entry, meters)
    return sorted(found.values(), key=lambda n: (n.meters, n.entry.id))[:limit]
