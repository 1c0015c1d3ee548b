"""Settings pieces and helpers shared by several node families."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import ConfigDict, Field

from engine.api import ConfigureError, NodeContext, NodeError, NodeSettings, Table, TableSpec, widget

# matplotlib (its text/mathtext parser, pyplot's figure registry) is not thread-safe, and a run
# executes independent branches in threads: every drawing and every Python script holds this lock.
MATPLOTLIB_LOCK = threading.RLock()


_T = TypeVar("_T")


def interruptible(ctx: NodeContext, work: Callable[[], _T], poll: float = 0.05) -> _T:
    """`work()` (e.g. a scikit-learn fit: native code that keeps the interpreter away from the node's
    thread until it returns) in a helper thread, while the node's thread waits in short steps: a
    cancel then stops the node within `poll` seconds instead of when the fit ends. An abandoned fit
    finishes on its own in the background; its result is dropped."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the node's thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="knitflow-node-work", daemon=True).start()
    while not done.wait(poll):
        ctx.check_cancelled()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class ColumnFilter(NodeSettings):
    """KNIME's column filter, in its three ways of choosing columns.

    `mode` MANUAL (KNIME's `NameFilterConfiguration` STANDARD and the web UI's manual selection):
    names are matched against the actual input columns in input order; a column in neither list
    is included for `EnforceExclusion` (KNIME's "include unknown columns") and excluded for
    `EnforceInclusion`; names missing from the input are ignored. REGEX / WILDCARD: the columns
    whose name matches `pattern` (all others with `inverted`). TYPE: the columns of the types in
    `type_filter`. `type_filter`, when set, also restricts the other modes.

    The two generations of KNIME's dialog match patterns differently, and `classic_pattern`
    chooses which: the classic one (`PatternFilterConfiguration`) compiles the pattern (wildcards
    turned into a regex) with Java's case-insensitive flag and matches the whole name; the web UI
    (`PatternFilter`) lower-cases name and pattern when not case sensitive, searches regexes as
    `^pattern$` and matches wildcards like commons-io `wildcardMatch`. Patterns are Python regexes.
    """

    model_config = ConfigDict(json_schema_extra=widget("column_filter"))  # the editor's twin list

    included_names: list[str] = Field(default_factory=list, description="Columns to include.")
    excluded_names: list[str] = Field(default_factory=list, description="Columns to exclude.")
    enforce_option: Literal["EnforceExclusion", "EnforceInclusion"] = Field(
        "EnforceExclusion",
        description="EnforceExclusion: columns not listed are included; EnforceInclusion: they are excluded.",
    )
    type_filter: list[str] | None = Field(None, description="Keep only columns of these types (e.g. Double).")
    mode: Literal["MANUAL", "REGEX", "WILDCARD", "TYPE"] = Field(
        "MANUAL",
        description="MANUAL: the include/exclude lists; REGEX / WILDCARD: the names matching `pattern`; "
        "TYPE: the columns of the types in `type_filter`.",
    )
    pattern: str = Field("", description="REGEX / WILDCARD: the pattern names are matched against.")
    case_sensitive: bool = Field(True, description="REGEX / WILDCARD: match upper and lower case exactly.")
    inverted: bool = Field(
        False,
        description="REGEX / WILDCARD: choose the columns that do not match (KNIME's 'exclude matching').",
    )
    classic_pattern: bool = Field(
        False,
        description="Match the pattern like KNIME's classic column filter dialog (true) or its web UI (false).",
    )

    def removed_from_includes(self, spec: TableSpec) -> list[str]:
        """FilterResult.getRemovedFromIncludes: included names the input lacks (manual selection only)."""
        return [n for n in self.included_names if n not in spec] if self.mode == "MANUAL" else []

    def apply(self, spec: TableSpec, *, allowed_types: frozenset[str] | None = None) -> list[str]:
        matches = self._matcher() if self.mode in ("REGEX", "WILDCARD") else None
        chosen = []
        for col in spec.columns:
            if allowed_types is not None and col.type not in allowed_types:
                continue
            if self.type_filter is not None and col.type not in self.type_filter:
                continue
            if self.mode == "TYPE":
                if self.type_filter is not None:
                    chosen.append(col.name)
                continue
            if matches is not None:
                if matches(col.name) != self.inverted:
                    chosen.append(col.name)
                continue
            if col.name in self.excluded_names:
                continue
            if col.name in self.included_names or self.enforce_option == "EnforceExclusion":
                chosen.append(col.name)
        return chosen

    def _matcher(self) -> Callable[[str], bool]:
        pattern, wildcard = self.pattern, self.mode == "WILDCARD"
        try:
            if self.classic_pattern:
                # PatternFilterConfiguration: wildcardToRegex, CASE_INSENSITIVE | UNICODE_CASE, matches()
                regex = re.compile(
                    wildcard_regex(pattern) if wildcard else pattern,
                    0 if self.case_sensitive else re.IGNORECASE,
                )
                return lambda name: regex.fullmatch(name) is not None
            # web UI PatternFilter: lower-cased name and pattern; "^%s$" found; wildcardMatch
            cased = pattern if self.case_sensitive else pattern.lower()
            if wildcard:
                regex = re.compile(wildcard_regex(cased), re.DOTALL)
                test = regex.fullmatch
            elif not cased:
                return lambda name: False
            else:
                regex = re.compile(f"^{cased}$")
                test = regex.search
        except re.error as exc:
            raise ConfigureError(
                f"invalid column name pattern {pattern!r}: {exc}", setting="pattern"
            ) from None
        return lambda name: test(name if self.case_sensitive else name.lower()) is not None


def wildcard_regex(pattern: str, escaping: bool = False) -> str:
    """KNIME's wildcard pattern as a regular expression: `*` any run of characters, `?` one
    character, everything else literal; with `escaping` a backslash makes the next character
    literal (String Replacer's option)."""
    parts, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if escaping and ch == "\\" and i + 1 < len(pattern):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return "".join(parts)


def require_columns(spec: TableSpec, names: list[str], setting: str) -> None:
    """Configure-time check that every named column exists, with KNIME-like wording."""
    missing = [n for n in names if n not in spec]
    if missing:
        raise ConfigureError(
            f"column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} not found in the input "
            f"table (columns: {', '.join(spec.names) or 'none'})",
            setting=setting,
        )


def spec_or_none(spec: Any) -> TableSpec | None:
    """An input's table spec at configure time; None while it is not known yet."""
    return spec if isinstance(spec, TableSpec) else None


def need_table(obj: Any, port: int) -> Table:
    if not isinstance(obj, Table):
        raise NodeError(f"input port {port} has no data table")
    return obj


def output_file(
    file: str,
    create_missing_folders: bool,
    if_path_exists: str,
    *,
    other_choices: str = "overwrite or append",
) -> tuple[Path, bool]:
    """A writer's output path with its folder created if asked for, and whether the file exists;
    fails, naming the setting, before anything is written when the file must not be."""
    path = Path(file)
    if not path.parent.exists():
        if not create_missing_folders:
            raise NodeError(
                f"folder {path.parent} does not exist (enable create_missing_folders)", setting="file"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    exists = path.exists()
    if exists and if_path_exists == "fail":
        raise NodeError(
            f"file {path} exists (set if_path_exists to {other_choices})", setting="if_path_exists"
        )
    return path, exists
