"""PMML Writer: a decision tree written as KNIME's PMML TreeModel (checked against a tree KNIME
itself wrote, and against counts recomputed from the data by the written predicates), the
clear failure for models without PMML, atomic writing and both KNIME settings layouts."""

from __future__ import annotations

import os
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, Model, NodeError
from engine.core.testing import run_node
from nodes._decision_tree import DecisionTreeModel, TreeNode
from nodes._pmml import check_document

NS = {"p": "http://www.dmg.org/PMML-4_2"}
LEGACY = "org.knime.base.node.io.pmml.write.PMMLWriterNodeFactory"
FACTORY2 = "org.knime.base.node.io.filehandling.pmml.writer.PMMLWriterNodeFactory2"
IRIS_CLASSES = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]


@pytest.fixture(scope="module")
def iris() -> pd.DataFrame:
    data = load_iris(as_frame=True)
    df = data.frame.copy()
    df.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "class"]
    df["class"] = df["class"].map(dict(enumerate(IRIS_CLASSES)))
    return df


@pytest.fixture(scope="module")
def colors() -> pd.DataFrame:
    """Values first seen in the order green, light blue, red, dark "red" (not alphabetical)."""
    return pd.DataFrame(
        {
            "color": ["green", "light blue", "red", "green", "red", "light blue", "green", "red"]
            + ["light blue", "green", "red", "light blue", "green", "red", 'dark "red"', 'dark "red"'],
            "size": [1.0, 2.0, 3.0, 1.5, 3.5, 2.5, 1.2, 3.2, 2.2, 1.1, 3.1, 2.1, 9.0, 8.0, 4.0, 4.5],
            "class": ["A", "B", "A", "A", "A", "B", "A", "A", "B", "A", "A", "B", "C", "C", "B", "B"],
        }
    )


def written(tmp_path: Path, model: Model, **settings: object) -> ET.Element:
    target = tmp_path / "model.pmml"
    run_node("pmml_writer", {"file": str(target), "if_path_exists": "overwrite", **settings}, model)
    text = target.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text)


def learned(df: pd.DataFrame, **settings: object) -> Model:
    return run_node("decision_tree_learner", {"classifyColumn": "class", **settings}, df)[1]


def tree_nodes(root: ET.Element) -> list[ET.Element]:
    return list(root.iterfind(".//p:TreeModel//p:Node", NS))


def summary(node: ET.Element) -> tuple:
    """(id, score, recordCount, predicate, class counts, child summaries) of a Node."""
    predicate = node[0]
    tag = predicate.tag.split("}")[1]
    pred = (tag, predicate.get("field"), predicate.get("operator"), predicate.get("value"))
    dist = tuple(float(s.get("recordCount")) for s in node.findall("p:ScoreDistribution", NS))
    kids = tuple(summary(c) for c in node.findall("p:Node", NS))
    return (node.get("id"), node.get("score"), float(node.get("recordCount")), pred, dist, kids)


# --------------------------------------------------------------- the tree KNIME wrote for iris


def test_iris_tree_is_the_one_knime_wrote(iris: pd.DataFrame, tmp_path: Path) -> None:
    """KNIME 2.8 (Gini, no average split point, MDL pruning) wrote this TreeModel for iris: node
    ids keep the gap of the pruned subtree below node 3 (4-9)."""
    root = written(tmp_path, learned(iris, splitAverage=False, pruningMethod="MDL"))
    tree = root.find("p:TreeModel", NS)
    assert tree.attrib == {
        "modelName": "DecisionTree",
        "functionName": "classification",
        "splitCharacteristic": "binarySplit",
        "missingValueStrategy": "lastPrediction",
        "noTrueChildStrategy": "returnNullPrediction",
    }
    pw = "petal_width"
    expected = (
        ("0", "Iris-setosa", 150.0, ("True", None, None, None), (50.0, 50.0, 50.0)),
        ("1", "Iris-setosa", 50.0, ("SimplePredicate", pw, "lessOrEqual", "0.6"), (50.0, 0.0, 0.0)),
        ("2", "Iris-versicolor", 100.0, ("SimplePredicate", pw, "greaterThan", "0.6"), (0.0, 50.0, 50.0)),
        ("3", "Iris-versicolor", 54.0, ("SimplePredicate", pw, "lessOrEqual", "1.7"), (0.0, 49.0, 5.0)),
        ("10", "Iris-virginica", 46.0, ("SimplePredicate", pw, "greaterThan", "1.7"), (0.0, 1.0, 45.0)),
    )
    assert [summary(n)[:5] for n in tree_nodes(root)] == list(expected)
    first = tree.find("p:Node", NS)
    assert [s.get("value") for s in first.findall("p:ScoreDistribution", NS)] == IRIS_CLASSES


def test_header_dictionary_and_mining_schema(iris: pd.DataFrame, tmp_path: Path) -> None:
    root = written(tmp_path, learned(iris))
    assert root.get("version") == "4.2" and root.tag == "{http://www.dmg.org/PMML-4_2}PMML"
    assert [c.tag.split("}")[1] for c in root] == ["Header", "DataDictionary", "TreeModel"]
    assert root.find("p:Header/p:Application", NS).get("name") == "knitflow"
    dictionary = root.find("p:DataDictionary", NS)
    fields = dictionary.findall("p:DataField", NS)
    assert dictionary.get("numberOfFields") == "5"
    assert [(f.get("name"), f.get("optype"), f.get("dataType")) for f in fields] == [
        *[(c, "continuous", "double") for c in iris.columns[:4]],
        ("class", "categorical", "string"),
    ]
    assert [v.get("value") for v in fields[-1].findall("p:Value", NS)] == IRIS_CLASSES
    mining = root.findall("p:TreeModel/p:MiningSchema/p:MiningField", NS)
    assert [(m.get("name"), m.get("usageType"), m.get("invalidValueTreatment")) for m in mining] == [
        *[(c, None, "asIs") for c in iris.columns[:4]],
        ("class", "predicted", "asIs"),
    ]


# ------------------------------------------------------- numbers recomputed from the predicates


def holds(predicate: ET.Element, df: pd.DataFrame) -> pd.Series:
    tag = predicate.tag.split("}")[1]
    if tag == "True":
        return pd.Series(True, index=df.index)
    column = df[predicate.get("field")]
    if tag == "SimpleSetPredicate":
        return column.isin(shlex.split(predicate.find("p:Array", NS).text))
    op, value = predicate.get("operator"), predicate.get("value")
    if op == "equal":
        return column == value
    number = float(value)
    return column <= number if op == "lessOrEqual" else column > number


def check_counts(node: ET.Element, df: pd.DataFrame, classes: list[str], rows: pd.Series) -> int:
    """Each node's class counts are the rows its predicates select; returns the nodes checked."""
    here = rows & holds(node[0], df)
    counts = [float((df["class"][here] == c).sum()) for c in classes]
    dist = [float(s.get("recordCount")) for s in node.findall("p:ScoreDistribution", NS)]
    assert dist == counts and sum(dist) == float(node.get("recordCount"))
    assert node.get("score") == classes[int(np.argmax(counts))]
    return 1 + sum(check_counts(c, df, classes, here) for c in node.findall("p:Node", NS))


@pytest.mark.parametrize(
    "settings", [{}, {"splitQualityMeasure": "Gain ratio", "enableReducedErrorPruning": False}]
)
def test_iris_counts_follow_the_predicates(iris: pd.DataFrame, tmp_path: Path, settings: dict) -> None:
    root = written(tmp_path, learned(iris, **settings))
    top = root.find("p:TreeModel/p:Node", NS)
    assert check_counts(top, iris, IRIS_CLASSES, pd.Series(True, index=iris.index)) == len(tree_nodes(root))
    ids = [int(n.get("id")) for n in tree_nodes(root)]
    assert ids == sorted(ids) and ids[0] == 0  # document order is induction order


def test_multiway_nominal_split(colors: pd.DataFrame, tmp_path: Path) -> None:
    root = written(tmp_path, learned(colors))
    assert root.find("p:TreeModel", NS).get("splitCharacteristic") == "multiSplit"
    kids = root.findall("p:TreeModel/p:Node/p:Node", NS)
    assert [(k[0].get("operator"), k[0].get("value")) for k in kids] == [
        ("equal", v) for v in ("green", "light blue", "red", 'dark "red"')
    ]
    top = root.find("p:TreeModel/p:Node", NS)
    check_counts(top, colors, ["A", "B", "C"], pd.Series(True, index=colors.index))
    field = root.find("p:DataDictionary/p:DataField[@name='color']", NS)
    assert (field.get("optype"), field.get("dataType")) == ("categorical", "string")


def test_binary_nominal_split_lists_values_in_mapping_order(colors: pd.DataFrame, tmp_path: Path) -> None:
    root = written(tmp_path, learned(colors, binaryNominalSplit=True))
    assert root.find("p:TreeModel", NS).get("splitCharacteristic") == "binarySplit"
    sets = root.findall("p:TreeModel/p:Node/p:Node/p:SimpleSetPredicate", NS)
    assert [s.get("booleanOperator") for s in sets] == ["isIn", "isIn"]
    arrays = [s.find("p:Array", NS) for s in sets]
    assert [(a.get("n"), a.get("type")) for a in arrays] == [("2", "string"), ("2", "string")]
    # KNIME quotes each value, escapes its quotes and ends it with a space
    assert arrays[1].text == '"light blue" "dark \\"red\\"" '
    assert [shlex.split(a.text) for a in arrays] == [["green", "red"], ["light blue", 'dark "red"']]
    top = root.find("p:TreeModel/p:Node", NS)
    assert check_counts(top, colors, ["A", "B", "C"], pd.Series(True, index=colors.index)) == 5


def test_fractional_weights_of_missing_values(iris: pd.DataFrame, tmp_path: Path) -> None:
    df = iris.copy()
    df.loc[[0, 60, 120], "petal_width"] = np.nan  # these rows go down every branch with a fraction
    root = written(tmp_path, learned(df))
    for node in tree_nodes(root):
        dist = [float(s.get("recordCount")) for s in node.findall("p:ScoreDistribution", NS)]
        assert sum(dist) == pytest.approx(float(node.get("recordCount")), abs=1e-9)
    assert float(root.find("p:TreeModel/p:Node", NS).get("recordCount")) == 150.0


def test_hand_built_tree_without_knime_ids(tmp_path: Path) -> None:
    """A tree without recorded indices is numbered in pre-order; a leaf without records has no
    recordCount; several values in one branch make a SimpleSetPredicate."""
    leaf_a = TreeNode(0, np.array([3.0, 0.0]))
    leaf_b = TreeNode(1, np.array([0.0, 0.0]))
    root = TreeNode(0, np.array([3.0, 0.0]), 0, [("in", frozenset({"y", "x"})), ("in", frozenset({"z"}))])
    root.children = [leaf_a, leaf_b]
    tree = DecisionTreeModel("t", ["p", "q"], ["c"], [True], root, "none", "returnLastPrediction")
    doc = written(tmp_path, Model("decision_tree", tree, "hand-made"))
    nodes = tree_nodes(doc)
    assert [n.get("id") for n in nodes] == ["0", "1", "2"]
    assert nodes[2].get("recordCount") is None and nodes[1].get("recordCount") == "3.0"
    assert nodes[1][0].tag.endswith("SimpleSetPredicate") and shlex.split(nodes[1][0][0].text) == ["x", "y"]
    assert nodes[2][0].attrib == {"field": "c", "operator": "equal", "value": "z"}
    model = doc.find("p:TreeModel", NS)
    assert (model.get("missingValueStrategy"), model.get("noTrueChildStrategy")) == (
        "none",
        "returnLastPrediction",
    )


# ------------------------------------------------------------------- failures and atomic writes


def test_model_without_pmml_fails_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "model.pmml"
    target.write_text("old", encoding="utf-8")
    other = Model("naive_bayes", object(), "not exportable")
    with pytest.raises(NodeError, match="PMML export of naive_bayes models is not available in knitflow"):
        run_node("pmml_writer", {"file": str(target), "if_path_exists": "overwrite"}, other)
    assert target.read_text(encoding="utf-8") == "old" and os.listdir(tmp_path) == ["model.pmml"]


def test_failed_replace_leaves_the_old_file(iris: pd.DataFrame, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "model.pmml"
    target.write_text("old", encoding="utf-8")
    model = learned(iris)

    def broken(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        run_node("pmml_writer", {"file": str(target), "if_path_exists": "overwrite"}, model)
    assert target.read_text(encoding="utf-8") == "old" and os.listdir(tmp_path) == ["model.pmml"]


def test_existing_file_and_missing_folder(iris: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigureError, match="no output file"):
        run_node("pmml_writer", {}, learned(iris))
    target = tmp_path / "model.pmml"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(NodeError, match="if_path_exists"):
        run_node("pmml_writer", {"file": str(target)}, learned(iris))
    assert target.read_text(encoding="utf-8") == "old"
    deep = tmp_path / "a" / "b.pmml"
    with pytest.raises(NodeError, match="create_missing_folders"):
        run_node("pmml_writer", {"file": str(deep)}, learned(iris))
    run_node("pmml_writer", {"file": str(deep), "create_missing_folders": True}, learned(iris))
    assert check_document(deep.read_text(encoding="utf-8")) == []


def test_validation_finds_broken_documents(iris: pd.DataFrame, tmp_path: Path) -> None:
    root = written(tmp_path, learned(iris), validate_PMML=False)
    text = ET.tostring(root, encoding="unicode")
    assert check_document(text) == []
    wrong_field = text.replace('field="petal_width"', 'field="nope"', 1)
    assert any("'nope'" in p for p in check_document(wrong_field))
    wrong_count = text.replace('numberOfFields="5"', 'numberOfFields="4"')
    assert any("numberOfFields" in p for p in check_document(wrong_count))
    assert check_document("<PMML") and check_document('<PMML version="4.2"/>')


# ------------------------------------------------------------------------------ KNIME settings


def test_legacy_settings_import(tmp_path: Path) -> None:
    internals = {"SettingsModelID": "SMID_string", "EnabledStatus": True}
    flag = {"SettingsModelID": "SMID_boolean", "EnabledStatus": True}
    model = {
        "PMMLWriterFile_Internals": internals,
        "PMMLWriterFile": "D:\\Project\\knime-workspace\\data\\mymodel.pmml",
        "validatePMML_Internals": flag,
        "validatePMML": True,
        "overwriteOK_Internals": flag,
        "overwriteOK": False,
    }
    node, report, _ = import_fragment(tmp_path, LEGACY, model)
    assert node.type == "pmml_writer" and findings(report) == []
    assert node.settings == {"file": "mymodel.pmml", "if_path_exists": "fail", "validate_PMML": True}
    old = {"PMMLWriterFile": "knime://knime.workflow/../out/tree.pmml"}  # before 2.1: overwrite, validate
    node, report, _ = import_fragment(tmp_path, LEGACY, old)
    assert findings(report) == []
    assert node.settings == {"file": "tree.pmml", "if_path_exists": "overwrite", "validate_PMML": True}


def file_chooser(path: str, has_fs_port: bool = False) -> dict:
    return {
        "file_system_chooser__Internals": {
            "has_fs_port": has_fs_port,
            "overwritten_by_variable": False,
            "convenience_fs_category": "LOCAL",
            "relative_to": "knime.workflow.data",
            "mountpoint": "LOCAL",
            "spaceId": "",
            "spaceName": "",
            "custom_url_timeout": 10000,
            "connected_fs": True,
        },
        "path": {"location_present": True, "file_system_type": "LOCAL", "path": path},
        "filter_mode_Internals": {"SettingsModelID": "SMID_FilterMode", "EnabledStatus": True},
        "create_missing_folders": False,
        "if_path_exists": "overwrite",
    }


def test_file_handling_settings_import(tmp_path: Path) -> None:
    model = {
        "validate_PMML_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "validate_PMML": False,
        "filechooser_Internals": {"SettingsModelID": "SMID_WriterFileChooser", "EnabledStatus": True},
        "filechooser": file_chooser("C:\\Users\\me\\Housing Project\\Trained_Model.pmml"),
    }
    node, report, _ = import_fragment(tmp_path, FACTORY2, model)
    assert node.type == "pmml_writer" and findings(report) == []
    assert node.settings == {
        "file": "Trained_Model.pmml",
        "if_path_exists": "overwrite",
        "create_missing_folders": False,
        "validate_PMML": False,
    }
    connected = {**model, "filechooser": file_chooser("/m.pmml", has_fs_port=True)}
    _, report, _ = import_fragment(tmp_path, FACTORY2, connected)
    assert any("file system connection" in f for f in findings(report))
