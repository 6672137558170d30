"""When to poll a source next: like the best feed readers, and within bounds.

- Adaptive: the interval follows how often the source publishes (half the median gap between its items),
  and stretches by a quarter each poll that brings nothing new.
- Polite: never sooner than the feed's <ttl>, Cache-Control max-age / Expires, or Retry-After.
- Bounded: between a quarter and eight times the registry's interval (and a minute and a day).
- Failing: exponential backoff with jitter from the interval, capped at six hours, never giving up.
"""

from __future__ import annotations

import random
from datetime import datetime
from itertools import pairwise
from statistics import median

MIN_SECONDS = 60
MAX_SECONDS = 24 * 3600
BACKOFF_CAP = 6 * 3600


def bounds(base_seconds: int) -> tuple[int, int]:
    return max(MIN_SECONDS, base_seconds // 4), min(MAX_SECONDS, max(base_seconds * 8, MIN_SECONDS))


def adapt(base_seconds: int, previous: int | None, published: list[datetime], new_items: int) -> int:
    """The next interval from the publication times seen and how many items were new."""
    low, high = bounds(base_seconds)
    current = previous or base_seconds
    times = sorted(t.timestamp() for t in published)
    gaps = [b - a for a, b in pairwise(times) if b > a]
    if new_items and gaps:
        wanted = median(gaps) / 2
    elif new_items:
        wanted = base_seconds
    else:
        wanted = current * 1.25
    return int(min(high, max(low, wanted)))


def polite(
    interval: int, *, ttl_minutes: int | None = None, fresh_for: float | None = None, retry_after: float | None = None
) -> int:
    """The interval, raised to what the server and the feed ask for (capped at a day)."""
    floors = [interval]
    if ttl_minutes:
        floors.append(ttl_minutes * 60)
    if fresh_for:
        floors.append(int(fresh_for))
    if retry_after:
        floors.append(int(retry_after))
    return int(min(MAX_SECONDS, max(floors)))


def backoff(
    base_seconds: int, consecutive_errors: int, retry_after: float | None = None, rng: random.Random | None = None
) -> int:
    """Delay after the n-th error in a row: base·2^(n-1), capped, ±20% jitter, at least Retry-After."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not security
    delay = min(BACKOFF_CAP, max(MIN_SECONDS, base_seconds) * 2 ** max(0, consecutive_errors - 1))
    delay = delay * rng.uniform(0.8, 1.2)
    if retry_after:
        delay = max(delay, retry_after)
    return int(delay)
