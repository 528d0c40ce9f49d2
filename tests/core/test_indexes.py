"""No table keeps an index that another index (or unique constraint) of the same table
already starts with: the wider one serves every look-up and foreign-key check, and the
narrow one only costs every insert one more index to write (migration 0020)."""

from __future__ import annotations

from typing import Any

from campaign.extensions import db


def _leading_columns(table: Any) -> list[tuple[str, tuple[str, ...], bool]]:
    """(name, columns, narrows) of each index and unique constraint; narrows: a partial
    index (WHERE) or a unique one, which a wider index cannot stand in for."""
    found = []
    for index in table.indexes:
        partial = any(
            index.dialect_options[dialect].get("where") is not None
            for dialect in ("postgresql", "sqlite")
        )
        found.append((index.name, tuple(c.name for c in index.columns), index.unique or partial))
    for constraint in table.constraints:
        if type(constraint).__name__ in ("PrimaryKeyConstraint", "UniqueConstraint"):
            found.append((constraint.name, tuple(c.name for c in constraint.columns), True))
    return found


def test_no_index_is_the_start_of_another(app) -> None:
    redundant = []
    for table in db.metadata.sorted_tables:
        indexes = _leading_columns(table)
        for name, columns, narrows in indexes:
            if narrows:
                continue
            for other, wider, _ in indexes:
                if other != name and len(wider) > len(columns) and wider[: len(columns)] == columns:
                    redundant.append(f"{table.name}.{name} starts {other}")
    assert redundant == []
