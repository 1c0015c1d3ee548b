"""PMML Writer on a Naive Bayes model: KNIME's NaiveBayesModel element (datamodel3
NaiveBayesModel.exportToPMML), its counts, means and variances checked against numpy / pandas
on the training data, the element order and number texts KNIME's XmlBeans writes, and the
missing-value Extensions that are only there when missing values count."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.api import Model
from engine.core.testing import run_node
from nodes._pmml import check_document

NS = {"p": "http://www.dmg.org/PMML-4_2"}

# classes met in the order q, b, a; x has a missing cell (class b), color one (class q)
TRAIN = pd.DataFrame(
    {
        "x": [1.0, 2.0, 4.0, 10.0, np.nan, 13.0, 12345677.0, 12345679.0],
        "color": ["red", None, "green", "red", "blue", "red", "green", "green"],
        "big": ["v1", "v2", "v3", "v4", "v2", "v3", "v1", "v2"],
        "cls": ["q", "q", "q", "b", "b", "b", "a", "a"],
    }
)


def learned(df: pd.DataFrame = TRAIN, **settings: object) -> Model:
    model: Model = run_node("naive_bayes_learner", {"classifyColumn": "cls", **settings}, df)[1]
    return model


def written(tmp_path: Path, model: Model) -> tuple[str, ET.Element]:
    target = tmp_path / "bayes.pmml"
    run_node("pmml_writer", {"file": str(target)}, model)
    text = target.read_text(encoding="utf-8")
    return text, ET.fromstring(text)


def local(element: ET.Element) -> str:
    return element.tag.split("}")[1]


def extensions(element: ET.Element) -> dict[str, str]:
    return {e.get("name", ""): e.get("value", "") for e in element.findall("p:Extension", NS)}


def bayes_input(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f".//p:BayesInputs/p:BayesInput[@fieldName='{name}']", NS)
    assert found is not None
    return found


def test_model_element_schema_and_class_counts(tmp_path: Path) -> None:
    text, root = written(tmp_path, learned(maxNoOfNomVals=3))
    assert check_document(text) == []
    model = root.find("p:NaiveBayesModel", NS)
    assert model is not None
    assert list(model.attrib.items()) == [
        ("isScorable", "true"),
        ("modelName", "KNIME PMML Naive Bayes model"),
        ("threshold", "1.0E-4"),
        ("functionName", "classification"),
    ]
    assert [local(c) for c in model] == ["MiningSchema", "BayesInputs", "BayesOutput"]
    # "big" has 4 values > maxNoOfNomVals: skipped, so neither mined nor exported
    fields = [(f.get("name"), f.get("usageType")) for f in model.findall("p:MiningSchema/p:MiningField", NS)]
    assert fields == [("x", None), ("color", None), ("cls", "predicted")]
    assert [b.get("fieldName") for b in model.findall("p:BayesInputs/p:BayesInput", NS)] == ["x", "color"]
    output = model.find("p:BayesOutput", NS)
    assert output is not None and output.get("fieldName") == "cls"
    assert extensions(output) == {"numberOfMissingValues": "0"}
    counts = TRAIN["cls"].value_counts(sort=False)  # first-met order, as KNIME's LinkedHashMap
    got = [
        (c.get("value"), c.get("count")) for c in output.findall("p:TargetValueCounts/p:TargetValueCount", NS)
    ]
    assert got == [(k, f"{v}.0") for k, v in counts.items()] == [("q", "3.0"), ("b", "3.0"), ("a", "2.0")]
    target = root.find("p:DataDictionary/p:DataField[@name='cls']", NS)
    assert target is not None
    assert [v.get("value") for v in target.findall("p:Value", NS)] == ["q", "b", "a"]


def test_gaussians_in_hash_map_order_with_missing_counters(tmp_path: Path) -> None:
    _, root = written(tmp_path, learned())
    x = bayes_input(root, "x")
    assert extensions(x) == {"numberOfMissingValues": "1"}
    stats = x.findall("p:TargetValueStats/p:TargetValueStat", NS)
    # NumericalAttributeModel keeps a HashMap: one-letter hash codes are the letters' codes, the
    # bucket their low 4 bits: q (113) and a (97) share bucket 1 (q arrived first), b (98) is 2
    assert [s.get("value") for s in stats] == ["q", "a", "b"]
    for stat in stats:
        cls = stat.get("value")
        column = TRAIN.loc[TRAIN["cls"] == cls, "x"]
        present = column.dropna().to_numpy()
        assert extensions(stat) == {
            "MissingValCounter": str(int(column.isna().sum())),
            "noOfRows": str(len(column)),
        }
        [gauss] = list(stat.iterfind("p:GaussianDistribution", NS))
        sd = float(np.sqrt(np.var(present, ddof=1)))
        assert float(gauss.get("mean", "nan")) == pytest.approx(float(np.mean(present)), rel=1e-15)
        assert float(gauss.get("variance", "nan")) == pytest.approx(sd * sd, rel=1e-12)
    # Double.toString texts: a large mean in E notation; the variance is KNIME's sd * sd, so the
    # sample variance 2 comes back as sqrt(2) squared
    a_gauss = stats[1].find("p:GaussianDistribution", NS)
    assert a_gauss is not None
    assert a_gauss.attrib == {"mean": "1.2345678E7", "variance": "2.0000000000000004"}


def test_pair_counts_per_value_and_class(tmp_path: Path) -> None:
    _, root = written(tmp_path, learned())
    color = bayes_input(root, "color")
    assert extensions(color) == {"numberOfMissingValues": "1"}
    table = pd.crosstab(TRAIN["color"], TRAIN["cls"])  # missing colors are not a value
    missing = TRAIN["color"].isna().groupby(TRAIN["cls"]).sum()
    pairs = color.findall("p:PairCounts", NS)
    assert [p.get("value") for p in pairs] == ["red", "green", "blue"]  # first met
    for pair in pairs:
        value = pair.get("value")
        counts = pair.findall("p:TargetValueCounts/p:TargetValueCount", NS)
        assert [c.get("value") for c in counts] == ["q", "b", "a"]
        for count in counts:
            cls = count.get("value")
            assert float(count.get("count", "nan")) == table.loc[value, cls]
            assert count.get("count", "").endswith(".0")
            assert extensions(count) == {"MissingValCounter": str(int(missing[cls]))}


def test_ignored_missing_values_leave_no_extensions(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "x": [1.0, 3.0, 5.0, np.nan, 2.0, 4.0],
            "color": ["r", "g", "r", None, "g", "g"],
            "cls": ["A", "A", "A", "B", "C", None],
        }
    )
    text, root = written(tmp_path, learned(df, skipMissingVals=True))
    assert check_document(text) == []
    assert root.find(".//p:Extension", NS) is None
    # the row without a class is dropped; B has only missing cells: no class entry for it
    x = bayes_input(root, "x")
    assert [s.get("value") for s in x.findall("p:TargetValueStats/p:TargetValueStat", NS)] == ["A", "C"]
    c_stat = x.find("p:TargetValueStats/p:TargetValueStat[@value='C']/p:GaussianDistribution", NS)
    assert c_stat is not None  # one value: sd 0 <= minSdThreshold becomes minSdValue 1e-4
    assert c_stat.attrib == {"mean": "2.0", "variance": "1.0E-8"}
    counts = bayes_input(root, "color").findall(
        "p:PairCounts[@value='g']/p:TargetValueCounts/p:TargetValueCount", NS
    )
    assert [(c.get("value"), c.get("count")) for c in counts] == [("A", "1.0"), ("C", "1.0")]
    output = root.findall(".//p:BayesOutput/p:TargetValueCounts/p:TargetValueCount", NS)
    assert [(c.get("value"), c.get("count")) for c in output] == [("A", "3.0"), ("B", "1.0"), ("C", "1.0")]


def test_numeric_class_column_has_no_value_list(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "x": [1.0, 2.0, 8.0, 9.0],
            "label": ["u", "u", "w", "w"],
            "cls": np.array([2, 2, 1, 1], dtype=np.int32),
        }
    )
    _, root = written(tmp_path, learned(df))
    field = root.find("p:DataDictionary/p:DataField[@name='cls']", NS)
    assert field is not None
    assert (field.get("optype"), field.get("dataType"), field.findall("p:Value", NS)) == (
        "continuous",
        "integer",
        [],
    )
    output = root.findall(".//p:BayesOutput/p:TargetValueCounts/p:TargetValueCount", NS)
    assert [(c.get("value"), c.get("count")) for c in output] == [("2", "2.0"), ("1", "2.0")]
