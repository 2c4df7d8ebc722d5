"""Matching concrete request paths against path templates such as ``/lists/{list_id}``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PathMatch:
    """A template that matched a path, with the values of its parameters."""

    template: str
    params: dict[str, str]


class PathTemplates:
    """Finds the template a path belongs to; literal segments win over parameters.

    ``/lists/{list_id}/members`` beats ``/lists/{list_id}/{anything}`` for
    ``/lists/abc/members``, which is how OpenAPI tools resolve overlapping templates.
    """

    def __init__(self, templates: Iterable[str]) -> None:
        self._by_length: dict[int, list[tuple[str, list[str]]]] = {}
        for template in templates:
            segments = _split(template)
            self._by_length.setdefault(len(segments), []).append((template, segments))

    def match(self, path: str) -> PathMatch | None:
        """Return the most specific template matching ``path``, or None."""
        segments = _split(path)
        best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
        for template, pattern in self._by_length.get(len(segments), []):
            params: dict[str, str] = {}
            score: list[int] = []
            for want, got in zip(pattern, segments, strict=True):
                if want.startswith("{") and want.endswith("}"):
                    if not got:
                        break
                    params[want[1:-1]] = got
                    score.append(0)
                elif want == got:
                    score.append(1)
                else:
                    break
            else:
                key = tuple(score)
                if best is None or key > best[0]:
                    best = (key, template, params)
        if best is None:
            return None
        return PathMatch(template=best[1], params=best[2])


def _split(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []
