"""A dict of records by id that also groups them by a field that never changes.

The emulator works out figures Mailchimp derives on every read (a customer's orders, a
tag's members); scanning every record for each one made large loads quadratic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class GroupedDict(dict[str, V], Generic[V]):
    """`{id: record}`, plus `group(value)`: the records whose `group_of(record)` is value."""

    def __init__(self, group_of: Callable[[V], str]) -> None:
        super().__init__()
        self._group_of = group_of
        self._groups: dict[str, dict[str, V]] = {}

    def __setitem__(self, key: str, record: V) -> None:
        if key in self:
            del self[key]
        super().__setitem__(key, record)
        self._groups.setdefault(self._group_of(record), {})[key] = record

    def __delitem__(self, key: str) -> None:
        record = self[key]
        super().__delitem__(key)
        self._groups.get(self._group_of(record), {}).pop(key, None)

    def group(self, value: str) -> list[V]:
        """The records of that group, in the order they were stored."""
        return list(self._groups.get(value, {}).values())
