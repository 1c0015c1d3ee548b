"""Settings pieces and helpers shared by several node families."""

from __future__ import annotations

import threading
from typing import Literal

from pydantic import Field

from engine.api import ConfigureError, NodeSettings, TableSpec

# matplotlib (its text/mathtext parser, pyplot's figure registry) is not thread-safe, and a run
# executes independent branches in threads: every drawing and every Python script holds this lock.
MATPLOTLIB_LOCK = threading.RLock()


class ColumnFilter(NodeSettings):
    """KNIME's column filter (`NameFilterConfiguration`): names are matched against the actual input
    columns in input order; a column in neither list is included for `EnforceExclusion` (KNIME's
    "include unknown columns") and excluded for `EnforceInclusion`; names missing from the input
    are ignored. `type_filter`, when set, keeps only columns of those KNIME types."""

    included_names: list[str] = Field(default_factory=list, description="Columns to include.")
    excluded_names: list[str] = Field(default_factory=list, description="Columns to exclude.")
    enforce_option: Literal["EnforceExclusion", "EnforceInclusion"] = Field(
        "EnforceExclusion",
        description="EnforceExclusion: columns not listed are included; EnforceInclusion: they are excluded.",
    )
    type_filter: list[str] | None = Field(None, description="Keep only columns of these types (e.g. Double).")

    def apply(self, spec: TableSpec, *, allowed_types: frozenset[str] | None = None) -> list[str]:
        chosen = []
        for col in spec.columns:
            if allowed_types is not None and col.type not in allowed_types:
                continue
            if self.type_filter is not None and col.type not in self.type_filter:
                continue
            if col.name in self.excluded_names:
                continue
            if col.name in self.included_names or self.enforce_option == "EnforceExclusion":
                chosen.append(col.name)
        return chosen


def require_columns(spec: TableSpec, names: list[str], setting: str) -> None:
    """Configure-time check that every named column exists, with KNIME-like wording."""
    missing = [n for n in names if n not in spec]
    if missing:
        raise ConfigureError(
            f"column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} not found in the input "
            f"table (columns: {', '.join(spec.names) or 'none'})",
            setting=setting,
        )
