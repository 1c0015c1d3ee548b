"""PMML 4.2 documents as KNIME writes them, for any model family.

A model whose payload has a `to_pmml(spec) -> str` method can be exported (`pmml_document`); the
family builds its model element and hands it to `document`, which adds what KNIME's
PMMLPortObject puts around every model: the Header (PMMLPortObjectSpec.writeHeader), the
DataDictionary (PMMLDataDictionaryTranslator) and the MiningSchema
(PMMLMiningSchemaTranslator). `check_document` is the writer's "validate PMML": the structure
of the PMML 4.2 schema that these documents use, checked by hand (knitflow ships no XSD).
"""

from __future__ import annotations

import getpass
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from engine.api import ColumnType, Model, ModelSpec
from nodes._java_text import java_double_to_string

NAMESPACE = "http://www.dmg.org/PMML-4_2"
VERSION = "4.2"
_CONTINUOUS = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # KNIME: DoubleValue-compatible cells


class PmmlExportable(Protocol):
    """A model payload that knows its PMML (see `pmml_document`)."""

    def to_pmml(self, spec: ModelSpec | None) -> str: ...


def pmml_document(model: Model) -> str | None:
    """The model's PMML document, None when its family cannot write one."""
    export = getattr(model.payload, "to_pmml", None)
    if export is None:
        return None
    spec = model.spec if isinstance(model.spec, ModelSpec) else None
    text: str = export(spec)
    return text


# ------------------------------------------------------------------------------------ values


def pmml_double(value: float) -> str:
    """An xs:double as XmlBeans prints it (Double.toString, INF for infinity)."""
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return java_double_to_string(value)


def optype(column_type: str) -> str:
    """PMMLDataDictionaryTranslator.getOptype: DoubleValue-compatible cells are continuous."""
    return "continuous" if column_type in _CONTINUOUS else "categorical"


def data_type(column_type: str) -> str:
    """PMMLDataDictionaryTranslator.getPMMLDataType (a LongCell is no IntValue: double)."""
    if column_type == ColumnType.BOOLEAN:
        return "boolean"
    if column_type == ColumnType.INTEGER:
        return "integer"
    if column_type in ColumnType.NUMERIC:
        return "double"
    return "string"


# ---------------------------------------------------------------------------------- document


@dataclass(frozen=True)
class DataField:
    """A DataDictionary entry: a column, and its possible values when they are known."""

    name: str
    type: str
    values: tuple[str, ...] = ()


def _copyright() -> str:
    """KNIME writes the user name (Java's user.name), else "KNIME"."""
    try:
        return getpass.getuser() or "KNIME"
    except (OSError, KeyError):
        return "KNIME"


def _header() -> ET.Element:
    header = ET.Element("Header", {"copyright": _copyright()})
    ET.SubElement(header, "Application", {"name": "knitflow", "version": _knitflow_version()})
    return header


def _knitflow_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("knitflow")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _data_dictionary(fields: Sequence[DataField]) -> ET.Element:
    dictionary = ET.Element("DataDictionary", {"numberOfFields": str(len(fields))})
    for f in fields:
        element = ET.SubElement(
            dictionary, "DataField", {"name": f.name, "optype": optype(f.type), "dataType": data_type(f.type)}
        )
        for value in f.values:
            ET.SubElement(element, "Value", {"value": value})
    return dictionary


def mining_schema(learning: Iterable[str], targets: Iterable[str]) -> ET.Element:
    """Active fields without usageType (the default), then the predicted ones."""
    schema = ET.Element("MiningSchema")
    wanted = list(targets)
    for name in learning:
        if name not in wanted:
            ET.SubElement(schema, "MiningField", {"name": name, "invalidValueTreatment": "asIs"})
    for name in wanted:
        ET.SubElement(
            schema, "MiningField", {"name": name, "invalidValueTreatment": "asIs", "usageType": "predicted"}
        )
    return schema


def document(fields: Sequence[DataField], model: ET.Element) -> str:
    """The whole PMML document around one model element, indented as KNIME saves it."""
    root = ET.Element("PMML", {"version": VERSION, "xmlns": NAMESPACE})
    root.append(_header())
    root.append(_data_dictionary(fields))
    root.append(model)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode").replace(" />", "/>")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


# -------------------------------------------------------------------------------- validation

_MODELS = {"TreeModel", "NaiveBayesModel", "RegressionModel", "GeneralRegressionModel", "MiningModel"}
_FUNCTIONS = {
    "associationRules",
    "sequences",
    "classification",
    "regression",
    "clustering",
    "timeSeries",
    "mixed",
}
_OPTYPES = {"categorical", "ordinal", "continuous"}
_DATA_TYPES = {"string", "integer", "float", "double", "boolean", "date", "time", "dateTime"}
_USAGE = {
    "active",
    "predicted",
    "target",
    "supplementary",
    "group",
    "order",
    "frequencyWeight",
    "analysisWeight",
}
_PREDICATES = {"SimplePredicate", "CompoundPredicate", "SimpleSetPredicate", "True", "False"}
_OPERATORS = {
    "equal",
    "notEqual",
    "lessThan",
    "lessOrEqual",
    "greaterThan",
    "greaterOrEqual",
    "isMissing",
    "isNotMissing",
}


def _local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _is_number(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True


def check_document(text: str) -> list[str]:
    """What breaks the PMML 4.2 structure (empty: valid): the root, Header, DataDictionary,
    the model with its MiningSchema, and a TreeModel's nodes and predicates."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != f"{{{NAMESPACE}}}PMML" or root.get("version") != VERSION:
        return [f"the root is not a PMML {VERSION} element in {NAMESPACE}"]
    children = list(root)
    names = [_local(c) for c in children]
    if names[:2] != ["Header", "DataDictionary"]:
        return ["a PMML document starts with Header and DataDictionary"]
    problems, fields = _check_dictionary(children[1])
    models = [c for c in children[2:] if _local(c) in _MODELS]
    if len(models) != 1:
        problems.append(f"expected one model element, found {len(models)}")
    for model in models:
        problems += _check_model(model, fields)
    return problems


def _check_dictionary(dictionary: ET.Element) -> tuple[list[str], set[str]]:
    problems: list[str] = []
    fields = [f for f in dictionary if _local(f) == "DataField"]
    if dictionary.get("numberOfFields") not in (None, str(len(fields))):
        problems.append(
            f"DataDictionary numberOfFields={dictionary.get('numberOfFields')} but {len(fields)} fields"
        )
    names: set[str] = set()
    for f in fields:
        name = f.get("name")
        if not name or name in names:
            problems.append(f"DataField name {name!r} missing or repeated")
        names.add(name or "")
        if f.get("optype") not in _OPTYPES or f.get("dataType") not in _DATA_TYPES:
            problems.append(f"DataField {name!r}: optype/dataType {f.get('optype')}/{f.get('dataType')}")
        if any(_local(v) == "Value" and v.get("value") is None for v in f):
            problems.append(f"DataField {name!r}: a Value without value")
    return problems, names


def _check_model(model: ET.Element, fields: set[str]) -> list[str]:
    kind = _local(model)
    problems = []
    if model.get("functionName") not in _FUNCTIONS:
        problems.append(f"{kind}: functionName {model.get('functionName')!r}")
    schema = next(iter(model), None)
    if schema is None or _local(schema) != "MiningSchema":
        return [*problems, f"{kind}: MiningSchema must come first"]
    mined: set[str] = set()
    for field in schema:
        name = field.get("name") or ""
        if name not in fields:
            problems.append(f"MiningField {name!r} is not in the DataDictionary")
        if field.get("usageType", "active") not in _USAGE:
            problems.append(f"MiningField {name!r}: usageType {field.get('usageType')!r}")
        mined.add(name)
    for element in model.iter():
        used = element.get("field")
        if used is not None and used not in mined:
            problems.append(f"{_local(element)} refers to {used!r}, which is not in the MiningSchema")
    if kind == "TreeModel":
        nodes = [n for n in model if _local(n) == "Node"]
        if len(nodes) != 1:
            problems.append(f"TreeModel: expected one root Node, found {len(nodes)}")
        for node in model.iter(f"{{{NAMESPACE}}}Node"):
            problems += _check_tree_node(node)
    return problems


def _check_tree_node(node: ET.Element) -> list[str]:
    """A Node: an id, a predicate first, ScoreDistributions with numeric counts, then Nodes."""
    where = f"Node {node.get('id')!r}"
    children = list(node)
    if not children or _local(children[0]) not in _PREDICATES:
        return [f"{where}: the predicate must come first"]
    problems = [] if _is_number(node.get("recordCount", "0")) else [f"{where}: recordCount"]
    order = [_local(c) for c in children[1:]]
    if order != sorted(order, key=lambda n: n == "Node"):
        problems.append(f"{where}: ScoreDistribution after a child Node")
    for child in children:
        problems += _check_part(child, where)
    return problems


def _check_part(element: ET.Element, where: str) -> list[str]:
    kind = _local(element)
    if kind == "ScoreDistribution":
        ok = element.get("value") is not None and _is_number(element.get("recordCount"))
        return [] if ok else [f"{where}: ScoreDistribution needs value and a numeric recordCount"]
    if kind == "SimplePredicate" and element.get("operator") not in _OPERATORS:
        return [f"{where}: SimplePredicate operator {element.get('operator')!r}"]
    if kind == "SimpleSetPredicate":
        array = next(iter(element), None)
        if (
            element.get("booleanOperator") not in ("isIn", "isNotIn")
            or array is None
            or _local(array) != "Array"
        ):
            return [f"{where}: SimpleSetPredicate needs isIn/isNotIn and an Array"]
        if array.get("n") is not None and int(array.get("n") or 0) != len(array_values(array.text or "")):
            return [f"{where}: Array n={array.get('n')} does not match its values"]
    return []


def array_values(text: str) -> list[str]:
    """The entries of a PMML string Array: quoted ("a b", with \\" for a quote) or bare."""
    values, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] == '"':
            j, chars = i + 1, []
            while j < len(text) and text[j] != '"':
                if text[j] == "\\" and j + 1 < len(text) and text[j + 1] == '"':
                    j += 1
                chars.append(text[j])
                j += 1
            values.append("".join(chars))
            i = j + 1
        else:
            j = i
            while j < len(text) and not text[j].isspace():
                j += 1
            values.append(text[i:j])
            i = j
    return values


def string_array(values: Sequence[Any]) -> str:
    """PMMLPredicateTranslator's text of a string Array: each value quoted, `"` escaped, each
    followed by a space."""
    return "".join('"' + str(v).replace('"', '\\"') + '" ' for v in values)
