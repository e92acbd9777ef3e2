"""The names table, ``scripts/operations.tsv``: every operation of the spec and its SDK method.

Columns: ``operation_id``, ``method``, ``path`` (as filed in the spec, ``#stream`` kept),
``tag`` (the spec group), ``name`` (the SDK method path from the client,
``beta.admin.users.list``; two comma-separated for an operation that answers JSON or an
event stream, the plain method first: ``chat.complete,chat.stream``), ``official_3_7_0``
(the official SDK 3.7.0's name, blank when it has none) and ``source`` (``hand``: a
hand-written method with cases under ``cases/``; ``gen``: generated, its cases synthesized
by :mod:`conformance.generated`).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["COLUMNS", "TABLE_PATH", "Row", "load_names", "rows_by_operation"]

TABLE_PATH: Final = Path(__file__).resolve().parents[2] / "scripts" / "operations.tsv"
COLUMNS: Final = ("operation_id", "method", "path", "tag", "name", "official_3_7_0", "source")


@dataclass(frozen=True)
class Row:
    """One line of the names table."""

    line: int
    operation_id: str
    method: str
    path: str
    tag: str
    names: tuple[str, ...]
    """The SDK method paths (one; two for chat/FIM-like operations: plain, then stream)."""
    official: str
    """The official SDK 3.7.0's name, or ``""``."""
    source: str

    @property
    def name(self) -> str:
        """The plain method's path."""
        return self.names[0]


@functools.cache
def load_names() -> tuple[tuple[str, ...], tuple[Row, ...]]:
    """The table's header and its rows, in file order (read once per process)."""
    with TABLE_PATH.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = tuple(next(reader))
        rows = []
        for line, cells in enumerate(reader, start=2):
            if not cells:
                continue
            cells += [""] * (len(COLUMNS) - len(cells))
            values = dict(zip(header, cells, strict=False))
            rows.append(
                Row(
                    line=line,
                    operation_id=values.get("operation_id", ""),
                    method=values.get("method", ""),
                    path=values.get("path", ""),
                    tag=values.get("tag", ""),
                    names=tuple(n.strip() for n in values.get("name", "").split(",")),
                    official=values.get("official_3_7_0", ""),
                    source=values.get("source", ""),
                )
            )
    return header, tuple(rows)


def rows_by_operation() -> dict[str, Row]:
    """The rows by operationId (the last one wins; the table test finds duplicates)."""
    return {row.operation_id: row for row in load_names()[1]}
