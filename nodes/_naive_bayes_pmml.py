"""A knitflow Naive Bayes model as the PMML NaiveBayesModel KNIME's Naive Bayes Learner writes
(org.knime.base.node.mine.bayes.naivebayes.datamodel3: PMMLNaiveBayesModelTranslator.exportTo,
NaiveBayesModel.exportToPMML and the attribute models' exportToPMML).

One BayesInput per attribute in training column order: PairCounts per value (first-met order)
with a TargetValueCount per class the attribute met, or TargetValueStats with one
GaussianDistribution per class (mean, variance = the bounded standard deviation squared) in the
iteration order of NumericalAttributeModel's HashMap. BayesOutput holds the class counts in the
order the classes were met. Unless missing values are ignored, KNIME adds its counters as
Extensions (numberOfMissingValues, MissingValCounter, noOfRows). Counts are xs:double, so
`3.0`; numbers are printed as Double.toString.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Protocol, TypeGuard, cast

from engine.api import ColumnType, ModelSpec, TableSpec
from nodes._java_hash import capacity_after_puts, hash_order, string_hash_code
from nodes._pmml import DataField, document, mining_schema, optype, pmml_double

MODEL_NAME = "KNIME PMML Naive Bayes model"
MISSING_VALUES = "numberOfMissingValues"  # AttributeModel.NO_OF_MISSING_VALUES
MISSING_COUNTER = "MissingValCounter"  # NominalClassValue / NumericalClassValue
ROWS = "noOfRows"


class NominalAttribute(Protocol):
    """What nodes.naive_bayes.NominalAttribute holds (a helper does not import a node module)."""

    name: str
    values: list[str]
    counts: dict[str, dict[str, int]]
    missing: dict[str, int]
    missing_total: int


class NumericAttribute(Protocol):
    """What nodes.naive_bayes.NumericAttribute holds."""

    name: str
    mean: dict[str, float]
    sd: dict[str, float]
    rows: dict[str, int]
    missing: dict[str, int]
    missing_total: int


class NaiveBayesModel(Protocol):
    """What nodes.naive_bayes.NaiveBayesModel holds."""

    class_column: str
    class_counts: dict[str, int]
    skip_missing: bool
    threshold: float
    training_spec: TableSpec

    @property
    def classes(self) -> list[str]: ...

    @property
    def attributes(self) -> Mapping[str, NominalAttribute | NumericAttribute]: ...


def naive_bayes_pmml(model: NaiveBayesModel, spec: ModelSpec | None) -> str:
    """The whole PMML 4.2 document of the model."""
    bayes = ET.Element(
        "NaiveBayesModel",
        {
            "isScorable": "true",
            "modelName": MODEL_NAME,
            "threshold": pmml_double(model.threshold),
            "functionName": "classification",
        },
    )
    bayes.append(mining_schema(model.attributes, [model.class_column]))
    inputs = ET.SubElement(bayes, "BayesInputs")
    for attr in model.attributes.values():
        inputs.append(_bayes_input(attr, model.skip_missing))
    output = ET.SubElement(bayes, "BayesOutput", {"fieldName": model.class_column})
    if not model.skip_missing:
        _extension(output, MISSING_VALUES, 0)  # a missing class is an error or skipped: never counted
    _counts(output, model.class_counts.items())
    return document(_fields(model), bayes)


def _fields(model: NaiveBayesModel) -> list[DataField]:
    """The learning columns and the class column with their training types; knitflow keeps no
    domains, so only a nominal class column lists its values (the classes as met)."""
    training = model.training_spec
    fields = [DataField(name, training.type_of(name) or ColumnType.STRING) for name in model.attributes]
    target_type = training.type_of(model.class_column) or ColumnType.STRING
    values = () if optype(target_type) == "continuous" else tuple(model.classes)
    return [*fields, DataField(model.class_column, target_type, values)]


def _extension(parent: ET.Element, name: str, value: int) -> None:
    """PMMLNaiveBayesModelTranslator.setIntExtension / setLongExtension."""
    ET.SubElement(parent, "Extension", {"name": name, "value": str(value)})


def _counts(parent: ET.Element, counts: Iterable[tuple[str, int]]) -> ET.Element:
    """TargetValueCounts: one TargetValueCount (value, count as xs:double) per class."""
    element = ET.SubElement(parent, "TargetValueCounts")
    for value, count in counts:
        ET.SubElement(element, "TargetValueCount", {"value": value, "count": pmml_double(float(count))})
    return element


def _bayes_input(attr: NominalAttribute | NumericAttribute, skip_missing: bool) -> ET.Element:
    """AttributeModel.exportToPMML: the field, its missing count unless ignored, the model."""
    element = ET.Element("BayesInput", {"fieldName": attr.name})
    if not skip_missing:
        _extension(element, MISSING_VALUES, attr.missing_total)
    if _is_numeric(attr):
        _target_value_stats(element, attr, skip_missing)
    else:
        _pair_counts(element, cast(NominalAttribute, attr), skip_missing)
    return element


def _is_numeric(attr: NominalAttribute | NumericAttribute) -> TypeGuard[NumericAttribute]:
    """A Gaussian per class (NumericalAttributeModel) rather than value counts."""
    return hasattr(attr, "mean")


def _pair_counts(element: ET.Element, attr: NominalAttribute, skip_missing: bool) -> None:
    """NominalAttributeModel.exportToPMMLInternal: per value, a count per class (0 when unseen)."""
    for value in attr.values:
        pair = ET.SubElement(element, "PairCounts", {"value": value})
        counts = ET.SubElement(pair, "TargetValueCounts")
        for cls, per_class in attr.counts.items():
            number = pmml_double(float(per_class.get(value, 0)))
            count = ET.SubElement(counts, "TargetValueCount", {"value": cls, "count": number})
            if not skip_missing:
                _extension(count, MISSING_COUNTER, attr.missing.get(cls, 0))


def _target_value_stats(element: ET.Element, attr: NumericAttribute, skip_missing: bool) -> None:
    """NumericalAttributeModel.exportToPMMLInternal: the classes in HashMap order."""
    stats = ET.SubElement(element, "TargetValueStats")
    classes = list(attr.mean)
    for cls in hash_order(classes, string_hash_code, capacity_after_puts(len(classes))):
        stat = ET.SubElement(stats, "TargetValueStat", {"value": cls})
        if not skip_missing:
            _extension(stat, MISSING_COUNTER, attr.missing[cls])
            _extension(stat, ROWS, attr.rows[cls])
        sd = attr.sd[cls]
        ET.SubElement(
            stat,
            "GaussianDistribution",
            {"mean": pmml_double(attr.mean[cls]), "variance": pmml_double(sd * sd)},
        )
