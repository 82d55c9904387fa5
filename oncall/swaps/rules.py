"""Pure time arithmetic behind the swap rules (no ORM): overlaps, cutting time out of a
person's duty, and how many days in a row a person would be on call."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

Span = tuple[datetime, datetime]

# Breaks shorter than this do not end a run of on-call days (a business-hours rota on call
# Monday to Friday is five days in a row; the weekend ends the run).
RUN_BRIDGE = timedelta(days=1)
ONE_DAY = timedelta(days=1)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether ``[a_start, a_end)`` and ``[b_start, b_end)`` share a moment."""
    return a_start < b_end and b_start < a_end


def subtract(spans: Iterable[Span], cut: Span | None) -> list[Span]:
    """``spans`` with the time in ``cut`` removed (a span may split in two)."""
    if cut is None:
        return list(spans)
    lo, hi = cut
    out: list[Span] = []
    for start, end in spans:
        if not overlaps(start, end, lo, hi):
            out.append((start, end))
            continue
        if start < lo:
            out.append((start, lo))
        if hi < end:
            out.append((hi, end))
    return out


def merge(spans: Iterable[Span], bridge: timedelta = timedelta(0)) -> list[Span]:
    """Sorted union of ``spans``; spans less than ``bridge`` apart are joined too."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or start - merged[-1][1] < bridge):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def days_in_a_row(duty: Iterable[Span], taken: Span) -> int:
    """How many days in a row a person with ``duty`` would be on call once they also take
    ``taken``: the run of on-call time containing ``taken`` (breaks shorter than a day do not
    end it), in days rounded up."""
    for start, end in merge([*duty, taken], bridge=RUN_BRIDGE):
        if start <= taken[0] and taken[1] <= end:
            return math.ceil((end - start) / ONE_DAY - 1e-9)
    raise AssertionError("the taken span is inside its own run")  # pragma: no cover


def held_throughout(pieces: Iterable[tuple[datetime, datetime, int]], user_id: int, span: Span):
    """Whether ``pieces`` (ordered final-schedule ``(start, end, user id)``) have ``user_id`` on
    call at every moment of ``span``."""
    cursor, end = span
    for p_start, p_end, p_user in pieces:
        if p_end <= cursor:
            continue
        if p_start > cursor or p_user != user_id:
            return False
        cursor = p_end
        if cursor >= end:
            return True
    return cursor >= end
