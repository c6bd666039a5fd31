"""Deep pages of a list ordered on a joined column, without sorting the whole table.

The ledger is ordered by county code, then name. A page far down that list as a plain
``ORDER BY county.code, name, id OFFSET 180000`` makes the database join and sort the
whole filtered table first: at 200,000 projects an external merge sort on disk, half a
second, on every deep page. ``GroupedRows`` answers the same slice from what the
database can do with an index instead:

1. one grouped query counts the rows per group (county), in the group's order; it also
   gives the total, so it replaces the paginator's ``COUNT(*)``;
2. the page's first group is read through an index on (group, *within), with an offset
   inside that group only;
3. if the page runs past that group, the rest comes from the following groups the page
   spans, with a plain ``LIMIT`` (a top-N sort of those groups' rows, no offset).

So a page costs the count plus one or two small reads however deep it is. It is a
sequence for Django's ``Paginator`` (``count()`` and slices) and for ``core.api.paginate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from django.db.models import Count, QuerySet


class GroupedRows:
    """The rows of ``qs`` ordered by (``group``'s ``group_key``, *``within``).

    ``within`` must end in a unique field (the primary key) so the order is total, and the
    model needs an index on (``group``, *``within``) for step 2 to be an index range.
    """

    def __init__(self, qs: QuerySet, *, group: str, group_key: str, within: Sequence[str]):
        self._qs = qs
        self._group = group
        self._key = f"{group}__{group_key}"
        self._within = tuple(within)

    @cached_property
    def groups(self) -> list[tuple[int, int]]:
        """(group id, rows in it) for every group with rows, in the list's order."""
        rows = (
            self._qs.order_by()
            .values_list(f"{self._group}_id", self._key)
            .annotate(n=Count("pk"))
            .order_by(self._key)
        )
        return [(group, n) for group, _key, n in rows]

    def count(self) -> int:
        return sum(n for _group, n in self.groups)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("GroupedRows only takes slices with step 1")
        start, stop, _ = index.indices(self.count())
        if stop <= start:
            return []
        # The groups the slice touches, and where it starts inside the first of them.
        spanned, local, before = [], 0, 0
        for group, n in self.groups:
            if before + n > start and before < stop:
                if not spanned:
                    local = start - before
                spanned.append(group)
            before += n
            if before >= stop:
                break
        wanted = stop - start
        first = self._qs.filter(**{f"{self._group}_id": spanned[0]}).order_by(*self._within)
        rows = list(first[local : local + wanted])
        if len(rows) < wanted and len(spanned) > 1:
            rest = self._qs.filter(**{f"{self._group}_id__in": spanned[1:]}).order_by(
                self._key, *self._within
            )
            rows += list(rest[: wanted - len(rows)])
        return rows
