"""How a node type says which KNIME nodes it stands for, and how their settings translate.

A node declares `knime = (KnimeMapping(factory, knime_name, translate), ...)` beside its class: one
entry per KNIME factory (older factory versions and settings layouts included). The importer
(`engine.knime`) only reads archives and runs these translators, so a plug-in package brings a
node and its mapping in one file.

A translator receives a `KnimeSettings`: the node's settings tree (the `model` config, with the
`view` config of view nodes merged in), its flow-variable bindings and the place to report what
cannot be carried over. `lost()` marks a setting knitflow cannot honour (a finding that
`import-knime --strict` refuses: the importer never runs a node with different settings than
KNIME's); `note()` records a harmless change. knitflow's settings follow KNIME's keys, so most
translators only pick keys and unwrap KNIME's setting containers (column filters, column choices,
one-element port arrays); the importer then fits the result to the node's settings model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import Any, Protocol

__all__ = [
    "Binding",
    "KnimeMapping",
    "KnimeSettings",
    "PortMap",
    "choice",
    "column_type",
    "convert",
    "file_name",
    "first",
    "get",
    "key_name",
    "layout_key",
    "seq",
    "ignore_settings",
    "take_view_keys",
]

PortMap = dict[int, int | None]  # KNIME port -> knitflow port (None: knitflow has no such port)


@dataclass(frozen=True)
class Binding:
    """A setting's flow-variable binding: `used` overrides the setting, `exposed` publishes it."""

    used: str | None = None
    exposed: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.used:
            parts.append(f"uses {self.used!r}")
        if self.exposed:
            parts.append(f"exposes {self.exposed!r}")
        return ", ".join(parts)


class Findings(Protocol):
    """Where a translator reports; `node` is the KNIME node read from the archive (its `name`,
    `id`, `factory`, `creation_config` for dynamic ports)."""

    node: Any

    def setting(self, message: str) -> None: ...

    def note(self, message: str) -> None: ...


Translator = Callable[["KnimeSettings"], None]


@dataclass(frozen=True)
class KnimeMapping:
    """One KNIME factory a node type stands for.

    `factory` is the Java class name as KNIME writes it (matched by its full name, or by its simple
    class name when no other mapping has it), or `extension_id:node_id` for Python extension nodes
    (they all share one factory class). Without `translate`, every key of the settings tree is
    taken (minus `skip`), KNIME's containers unwrapped. `ports` renumbers dynamic port groups from
    the node's `node_creation_config`: (inputs, outputs) as {KNIME port: knitflow port}."""

    factory: str
    knime_name: str
    translate: Translator | None = None
    skip: tuple[str, ...] = ()
    note: str = ""
    ports: Callable[[dict[str, Any]], tuple[PortMap, PortMap]] | None = None

    @property
    def simple_name(self) -> str:
        return self.factory if ":" in self.factory else self.factory.rsplit(".", 1)[-1]

    def apply(self, settings: KnimeSettings) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
        if self.translate is None:
            settings.take_all(skip=self.skip)
        else:
            self.translate(settings)
        return settings.result()


# --------------------------------------------------------------------------------- tree helpers


def key_name(key: str) -> str:
    """A KNIME key as a settings field name: kept when it is an identifier, else snake_cased
    ("new-column-name" -> new_column_name, "remove original column?" -> remove_original_column)."""
    if key.isidentifier():
        return key
    return re.sub(r"[^0-9A-Za-z]+", "_", key).strip("_").lower()


def seq(value: Any) -> list[Any]:
    """KNIME sequences: a list already, a config keyed "0", "1", ... (no array-size), or nothing."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        keys = [k for k in value if k.isdigit()]
        return [value[k] for k in sorted(keys, key=int)]
    return [value]


def first(value: Any) -> Any:
    """Dynamic-port settings are stored one per port (`ignoreEmptyTables: [false]`)."""
    return value[0] if isinstance(value, list) and value else value


def get(tree: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path of a settings tree, or `default`."""
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return default
        tree = tree[part]
    return tree


_TYPE_NAMES = {
    # KNIME cell classes, value interfaces and reader type names -> knitflow column types
    "org.knime.core.data.def.DoubleCell": "Double",
    "org.knime.core.data.def.IntCell": "Integer",
    "org.knime.core.data.def.LongCell": "Long",
    "org.knime.core.data.def.StringCell": "String",
    "org.knime.core.data.def.BooleanCell": "Boolean",
    "org.knime.core.data.vector.bitvector.DenseBitVectorCell": "BitVector",
    "org.knime.chem.types.SmilesAdapterCell": "Smiles",
    "org.knime.chem.types.SmilesCell": "Smiles",
    "org.knime.core.data.DoubleValue": "Double",
    "org.knime.core.data.IntValue": "Integer",
    "org.knime.core.data.LongValue": "Long",
    "org.knime.core.data.StringValue": "String",
    "org.knime.core.data.BooleanValue": "Boolean",
    # preferred value classes of the type filters (compared with knitflow's column type names)
    "org.knime.core.data.vector.bitvector.BitVectorValue": "Bit vector",
    "org.knime.chem.types.SmilesValue": "SMILES",
    "org.knime.chem.types.SmilesAdapterValue": "SMILES",
    "Number (Integer)": "Integer",
    "Number (Float)": "Double",
    "Number (Double)": "Double",
    "Number (Long)": "Long",
    "String": "String",
    "Boolean": "Boolean",
    "Boolean value": "Boolean",
    # the basic Date&Time types (cells, values, the table readers' converter and type names)
    "org.knime.core.data.time.localdate.LocalDateCell": "Local Date",
    "org.knime.core.data.time.localdate.LocalDateValue": "Local Date",
    "org.knime.core.data.time.localtime.LocalTimeCell": "Local Time",
    "org.knime.core.data.time.localtime.LocalTimeValue": "Local Time",
    "org.knime.core.data.time.localdatetime.LocalDateTimeCell": "Local Date Time",
    "org.knime.core.data.time.localdatetime.LocalDateTimeValue": "Local Date Time",
    "Local Date": "Local Date",
    "Local Time": "Local Time",
    "Local Date Time": "Local Date Time",
    # collection cells (the element type is stored apart; without it the element type is unknown)
    "org.knime.core.data.collection.ListCell": "List",
    "org.knime.core.data.collection.ListDataValue": "List",
    "org.knime.core.data.collection.SetCell": "Set",
    "org.knime.core.data.collection.SetDataValue": "Set",
    # JSON, XML and URI cells (their text)
    "org.knime.core.data.json.JSONCell": "JSON",
    "org.knime.core.data.json.JSONValue": "JSON",
    "org.knime.core.data.xml.XMLCell": "XML",
    "org.knime.core.data.xml.XMLValue": "XML",
    "org.knime.core.data.uri.URIDataCell": "URI",
    "org.knime.core.data.uri.URIDataValue": "URI",
}


def column_type(knime_type: str | None) -> str | None:
    """A KNIME cell class, value interface or reader type name as a knitflow column type."""
    if knime_type is None:
        return None
    return _TYPE_NAMES.get(knime_type, knime_type.rsplit(".", 1)[-1].removesuffix("Cell"))


def file_name(path: str | None) -> str | None:
    """The file name of a KNIME path (Windows or POSIX, or a knime:// URL)."""
    if not path:
        return None
    return PureWindowsPath(str(path).replace("/", "\\")).name


def _is_standard_filter(value: Any) -> bool:
    return isinstance(value, dict) and "filter-type" in value and "included_names" in value


def _is_manual_filter(value: Any) -> bool:
    return isinstance(value, dict) and "manualFilter" in value and "mode" in value


def _is_choice(value: Any) -> bool:
    return isinstance(value, dict) and "regularChoice" in value


def _is_string_filter(value: Any) -> bool:
    return isinstance(value, dict) and "InclList" in value


def _standard_filter(tree: dict[str, Any], report: Findings, where: str) -> dict[str, Any]:
    """KNIME's classic `DataColumnSpecFilterConfiguration` (`NameFilterConfiguration`) as
    knitflow's `ColumnFilter`: `filter-type` STANDARD (the include/exclude lists), `name_pattern`
    (`PatternFilterConfiguration`: pattern, type Wildcard/Regex, caseSensitive, excludeMatching
    since 4.5) or `datatype` (`TypeFilterConfigurationImpl`: the checked preferred value classes)."""
    out: dict[str, Any] = {
        "included_names": list(seq(tree.get("included_names"))),
        "excluded_names": list(seq(tree.get("excluded_names"))),
        "enforce_option": tree.get("enforce_option") or "EnforceExclusion",
    }
    kind = tree.get("filter-type", "STANDARD")
    if kind == "datatype":
        out["mode"] = "TYPE"
        out["type_filter"] = [
            column_type(t) for t, on in (get(tree, "datatype.typelist") or {}).items() if on
        ]
    elif kind == "name_pattern":
        pattern = get(tree, "name_pattern") or {}
        syntax = str(pattern.get("type") or "Wildcard")
        if syntax not in ("Wildcard", "Regex"):
            report.setting(
                f"{where}: column name pattern type {syntax!r} is not known; the filter selects nothing"
            )
        out.update(
            mode="REGEX" if syntax == "Regex" else "WILDCARD",
            pattern=str(pattern.get("pattern") or ""),
            case_sensitive=bool(pattern.get("caseSensitive", True)),
            inverted=bool(pattern.get("excludeMatching", False)),
            classic_pattern=True,
        )
    elif kind != "STANDARD":
        report.setting(
            f"{where}: column filter mode {kind!r} is not known; the include/exclude lists are used"
        )
    return out


def _manual_filter(tree: dict[str, Any], report: Findings, where: str) -> dict[str, Any]:
    """The web-UI column filter (`ColumnFilter`, 4.7 on): `mode` MANUAL (`manualFilter`;
    includeUnknownColumns = true is EnforceExclusion), REGEX / WILDCARD (`patternFilter`: pattern,
    isCaseSensitive, isInverted) or TYPE (`typeFilter.selectedTypes`: preferred value classes)."""
    manual = tree.get("manualFilter") or {}
    out: dict[str, Any] = {
        "included_names": list(seq(manual.get("manuallySelected"))),
        "excluded_names": list(seq(manual.get("manuallyDeselected"))),
        "enforce_option": "EnforceExclusion" if manual.get("includeUnknownColumns") else "EnforceInclusion",
    }
    mode = tree.get("mode", "MANUAL")
    if mode == "TYPE":
        out["mode"] = "TYPE"
        out["type_filter"] = [column_type(t) for t in seq(get(tree, "typeFilter.selectedTypes"))]
    elif mode in ("REGEX", "WILDCARD"):
        pattern = tree.get("patternFilter") or {}
        out.update(
            mode=mode,
            pattern=str(pattern.get("pattern") or ""),
            case_sensitive=bool(pattern.get("isCaseSensitive", False)),
            inverted=bool(pattern.get("isInverted", False)),
        )
    elif mode != "MANUAL":
        report.setting(f"{where}: column selection mode {mode!r} is not known; the manual selection is used")
    return out


def _is_column_selection(value: Any) -> bool:
    return isinstance(value, dict) and "selected" in value and set(value) <= {"selected", "compatibleTypes"}


# how the web UI spelt special columns before `StringOrEnum` (5.5): "<row-keys>", "<none>"
_LEGACY_SPECIAL = {"<row-keys>": "<ROW_ID>", "<row-numbers>": "<ROW_NUMBER>", "<none>": "<NONE>"}


def column_selection(tree: dict[str, Any]) -> str | None:
    """The web UI's `ColumnSelection` (4.7-5.4: `selected` and `compatibleTypes`), spelt like a
    column choice (special columns `<ROW_ID>`, `<ROW_NUMBER>`, `<NONE>`)."""
    selected = tree.get("selected")
    if selected is None:
        return None
    return _LEGACY_SPECIAL.get(str(selected), str(selected))


def choice(tree: dict[str, Any]) -> str | None:
    """A column choice (`regularChoice` / `specialChoice`): the column name, or KNIME's special
    choice spelled `<ROW_ID>`, `<ROW_NUMBER>`, `<NONE>`."""
    if tree.get("regularChoice") is not None:
        return str(tree["regularChoice"])
    special = tree.get("specialChoice_Internals") or tree.get("specialChoice")
    return f"<{special}>" if special else None


def _trim(flt: dict[str, Any]) -> dict[str, Any]:
    """With EnforceInclusion the exclude list only repeats what is not included (1024 bit-vector
    names in 13_01): drop it, keeping the rule that a name in both lists is excluded."""
    if flt.get("enforce_option") == "EnforceInclusion" and flt.get("excluded_names"):
        excluded = set(flt["excluded_names"])
        flt["included_names"] = [n for n in flt["included_names"] if n not in excluded]
        flt["excluded_names"] = []
    return flt


def convert(value: Any, report: Findings, where: str) -> Any:
    """Unwrap KNIME's setting containers wherever they occur; drop internal bookkeeping keys."""
    if _is_standard_filter(value):
        return _trim(_standard_filter(value, report, where))
    if _is_manual_filter(value):
        return _trim(_manual_filter(value, report, where))
    if _is_choice(value):
        return choice(value)
    if _is_column_selection(value):
        return column_selection(value)
    if _is_string_filter(value):
        return list(seq(value.get("InclList")))
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k.endswith("_Internals"):
                continue
            out[key_name(k)] = convert(v, report, f"{where}.{k}" if where else k)
        return out
    if isinstance(value, list):
        return [convert(v, report, where) for v in value]
    return value


_VERSIONED = re.compile(r"^(.*?)V(\d+)$")


def layout_key(tree: dict[str, Any], key: str) -> str | None:
    """Where `key` is stored: KNIME renames a setting when its layout changes (`displayedColumns`
    became `displayedColumnsV2`, `xAxisColumnV2` became `xAxisColumnV3`); an older workflow holds
    the previous name, which knitflow reads in the newest one's place."""
    if key in tree:
        return key
    m = _VERSIONED.match(key)
    if m is None:
        return None
    stem, version = m[1], int(m[2])
    for older in [f"{stem}V{v}" for v in range(version - 1, 1, -1)] + [stem]:
        if older in tree:
            return older
    return None


def _older_layouts(key: str) -> list[str]:
    """The names an older layout gave `key` (`xAxisColumnV3`: xAxisColumnV2, xAxisColumn)."""
    m = _VERSIONED.match(key)
    if m is None:
        return []
    return [f"{m[1]}V{v}" for v in range(int(m[2]) - 1, 1, -1)] + [m[1]]


def take_view_keys(
    keys: Iterable[str], *, ignore: Iterable[str] = (), harmless: Mapping[str, Any] | None = None
) -> Translator:
    """A translator taking the given keys as they are, older layouts too (see `layout_key`); an
    optional setting whose `<key>_is_present` flag is off is None. Every other key is a finding
    (knitflow would compute or draw something else), except those in `ignore` (interaction only:
    tooltips, zooming, selection; the image size of KNIME's optional image output) and those
    holding their `harmless` value (no reference lines, the Hive folder switched off)."""
    wanted = tuple(keys)
    ignored = set(ignore)
    harmless_values = dict(harmless or {})

    def translate(k: KnimeSettings) -> None:
        consumed: set[str] = set()
        for key in wanted:
            consumed.update([key, *_older_layouts(key)])
            source = layout_key(k.tree, key)
            if source is None:
                continue
            if source != key:
                k.note(f"setting {source} (an older layout) read as {key}")
            present = k.tree.get(f"{source}_is_present", True)
            value = convert(k.tree[source], k.report, source) if present else None
            k.put(key_name(key), value, source)
        for key, value in k.tree.items():
            base = key.removesuffix("_is_present")
            if base in consumed or base in ignored or key.endswith("_Internals"):
                continue
            if base in harmless_values and _same(value, harmless_values[base]):
                continue
            k.lost(f"view setting {key} = {_short(value)} has no counterpart in knitflow")

    return translate


def _same(value: Any, harmless: Any) -> bool:
    """Equal, or both empty (KNIME writes an empty array as an empty config)."""

    def empty(v: Any) -> bool:
        return v is None or v == "" or (isinstance(v, list | dict) and not v)

    return value == harmless or (empty(value) and empty(harmless))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------------------- translation state

_ABSENT: Any = object()  # a key the KNIME settings do not hold


@dataclass
class KnimeSettings:
    """One node's settings on their way from KNIME to knitflow. Each `put` names the KNIME path
    it came from, so a flow-variable binding on that path follows the setting."""

    tree: dict[str, Any]
    variables: dict[str, Binding]
    report: Findings
    settings: dict[str, Any] = field(default_factory=dict)
    use: dict[str, str] = field(default_factory=dict)
    expose: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # KNIME path -> knitflow setting path
    refused: str | None = None  # why the settings cannot be read at all (see `unreadable`)

    @property
    def node(self) -> Any:
        return self.report.node

    def lost(self, message: str) -> None:
        """A KNIME setting knitflow cannot honour: the import reports it as a finding."""
        self.report.setting(message)

    def note(self, message: str) -> None:
        """A harmless change (a path made relative, whitespace trimmed)."""
        self.report.note(message)

    def unreadable(self, message: str) -> None:
        """The settings cannot be carried over in a way that keeps what the node does (a Row
        Filter condition in an unknown layout): a finding, and the importer keeps the node as a
        placeholder rather than one that runs with other settings than KNIME's."""
        self.refused = message
        self.report.setting(f"{message}; the node is imported as a placeholder")

    def get(self, path: str, default: Any = None) -> Any:
        return get(self.tree, path, default)

    def unread(self, *also_known: str, under: str = "") -> None:
        """Report every key of the settings (or of the subtree `under`) that no `take`/`put`
        read and that is not named in `also_known` (keys KNIME keeps that change nothing knitflow
        computes, as paths below `under`): a key the translator does not know may hold a setting
        that changes the result."""
        sub = get(self.tree, under) if under else self.tree
        if not isinstance(sub, dict):
            return
        prefix = f"{under}." if under else ""
        known = set(also_known)
        for key, value in sub.items():
            path = prefix + key
            if key in known or key.endswith("_Internals"):
                continue
            if any(p == path or p.startswith(path + ".") or path.startswith(p + ".") for p in self.paths):
                continue
            self.lost(f"setting {path} = {_short(value)} has no counterpart in knitflow")

    def put(self, name: str, value: Any, knime: str | None = None) -> None:
        self.settings[name] = value
        if knime is not None:
            self.paths[knime] = name

    def take(
        self,
        name: str,
        knime: str | None = None,
        *,
        transform: Callable[[Any], Any] | None = None,
        default: Any = _ABSENT,
    ) -> Any:
        """settings[name] = tree[knime] (converted); the KNIME path defaults to the same name. A key
        the settings do not hold (an older node version) is left out, so the node's default, which
        is KNIME's, applies; unless a `default` is given."""
        knime = knime or name
        value = get(self.tree, knime, _ABSENT)
        if value is _ABSENT:
            if default is _ABSENT:
                return None
            value = default
        value = transform(value) if transform else convert(value, self.report, knime)
        self.put(name, value, knime)
        return value

    def take_all(
        self, keys: Iterable[str] | None = None, *, tree_path: str = "", skip: Iterable[str] = ()
    ) -> None:
        """Every key (or the given ones) of a subtree, renamed by `key_name` and converted."""
        sub = get(self.tree, tree_path) if tree_path else self.tree
        if not isinstance(sub, dict):
            return
        skipped = set(skip)
        for k in keys if keys is not None else list(sub):
            if k not in sub or k in skipped or k.endswith("_Internals"):
                continue
            path = f"{tree_path}.{k}" if tree_path else k
            self.put(key_name(k), convert(sub[k], self.report, path), path)

    def ignore_binding(self, knime: str, why: str) -> None:
        """A binding on a setting that has no effect in KNIME either (e.g. an inactive option)."""
        b = self.variables.get(knime)
        if b is not None:
            self.note(f"flow variable binding of {knime} ({b}) dropped: {why}")
            self.paths[knime] = ""

    def result(self) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
        """(settings, use_variables, expose_variables); a binding that follows no setting is lost."""
        for path, binding in self.variables.items():
            target = self.paths.get(path)
            if target is None:
                # a binding on an element inside a mapped setting (e.g. one entry of a list)
                parent = next((p for p in self.paths if path.startswith(p + ".")), None)
                target = self.paths.get(parent) if parent else None
                if target:
                    self.lost(
                        f"flow variable binding of {path} ({binding}) applies to part of setting "
                        f"{target!r}, which knitflow cannot bind separately"
                    )
                    continue
            if target == "":
                continue
            if target is None:
                self.lost(
                    f"flow variable binding of KNIME setting {path} ({binding}) has no knitflow equivalent"
                )
                continue
            if binding.used:
                self.use[target] = binding.used
            if binding.exposed:
                self.expose[target] = binding.exposed
        return self.settings, self.use, self.expose


def ignore_settings(k: KnimeSettings) -> None:
    """For nodes whose KNIME settings change nothing knitflow computes (memory tuning, no settings)."""
