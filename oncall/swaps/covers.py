"""Who covered for whom: the overrides that accepted swap and cover requests created, and the
person each one stands in for."""

from collections.abc import Iterable

from oncall.swaps.models import SwapOverride


def covered_people(*, override_ids: Iterable[int]) -> dict[int, int]:
    """``{override id: id of the person it covers for}`` for those of ``override_ids`` that a
    swap or cover created (others are left out): one query."""
    return dict(
        SwapOverride.objects.filter(override_id__in=set(override_ids)).values_list(
            "override_id", "covers_for_id"
        )
    )
