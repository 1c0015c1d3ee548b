"""Model Writer and Model Reader: a model saved by one workflow and applied by another, the file's
header and its checks, and the mappings of KNIME's current and legacy writers and readers."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment
from test_nodes_flow import run_yaml

from engine.api import MODEL, ConfigureError, Model, ModelSpec, NodeError
from engine.core.testing import run_node
from nodes.model_io import ModelReader

WRITER = "org.knime.base.node.io.filehandling.model.writer.ModelWriterNodeFactory"
LEGACY_WRITER = "org.knime.base.node.io.predictor.PredictorWriterNodeFactory"
PORT_OBJECT_WRITER = "org.knime.base.node.io.portobject.PortObjectWriterNodeFactory"
READER = "org.knime.base.node.io.filehandling.model.reader.ModelReaderNodeFactory"
LEGACY_READER = "org.knime.base.node.io.predictor.PredictorReaderNodeFactory"
PORT_OBJECT_READER = "org.knime.base.node.io.portobject.PortObjectReaderNodeFactory"

SAVE = """
format: knitflow/1
name: save a model
nodes:
  - {id: 1, type: toy_range, settings: {n: 5}}
  - {id: 2, type: normalizer, settings: {}}
  - {id: 3, type: model_writer, settings: {file: "FILE", if_path_exists: overwrite}}
connections: ["1:1 -> 2:1", "2:2 -> 3:1"]
"""
LOAD = """
format: knitflow/1
name: load a model
nodes:
  - {id: 1, type: toy_range, settings: {n: 3}}
  - {id: 2, type: model_reader, settings: {file: "FILE", port_type: model.normalizer}}
  - {id: 3, type: normalizer_apply, settings: {}}
connections: ["2:1 -> 3:1", "1:1 -> 3:2"]
"""


def test_a_saved_model_is_applied_by_another_workflow(tmp_path: Path) -> None:
    file = str(tmp_path / "models" / "norm.model")
    (tmp_path / "models").mkdir()
    run_yaml(SAVE.replace("FILE", file))
    with zipfile.ZipFile(file) as archive:
        header = json.loads(archive.read("header.json"))
    assert header["format"] == "knitflow-model" and header["kind"] == "normalizer"
    assert header["port_type"] == "model.normalizer"
    out = run_yaml(LOAD.replace("FILE", file)).output(3)
    # trained on 0..4: min-max maps x to x / 4
    assert out["x"].tolist() == [0.0, 0.25, 0.5]


def _binning_model() -> Model:
    return run_node("auto_binner", {"binCount": 2}, pd.DataFrame({"v": [0.0, 4.0]}))[2]


def test_write_and_read_back_the_same_model_and_spec(tmp_path: Path) -> None:
    model = _binning_model()
    file = str(tmp_path / "bins.zip")
    run_node("model_writer", {"file": file}, model)
    read = run_node("model_reader", {"file": file, "port_type": "model.discretize"})
    assert read[1].kind == "discretize" and read[1].payload == model.payload
    assert isinstance(read.specs[0], ModelSpec) and read.specs[0] == model.spec
    with pytest.raises(NodeError, match="exists"):
        run_node("model_writer", {"file": file}, model)  # if_path_exists: fail
    with pytest.raises(ConfigureError, match="does not fit port_type model.normalizer"):
        run_node("model_reader", {"file": file, "port_type": "model.normalizer"})


def test_reader_ports_follow_port_type() -> None:
    assert ModelReader.ports_for({})[1][0].type is MODEL
    port = ModelReader.ports_for({"port_type": "model.discretize"})[1][0].type
    assert port.id == "model.discretize"
    assert ModelReader.ports_for({"port_type": "table"})[1][0].type is MODEL  # not a model port


def test_foreign_files_and_unpicklable_models_fail(tmp_path: Path) -> None:
    knime_file = tmp_path / "knime.zip"
    with zipfile.ZipFile(knime_file, "w") as archive:
        archive.writestr("portobject.zip", b"java")
    with pytest.raises(ConfigureError, match="not a knitflow model file"):
        run_node("model_reader", {"file": str(knime_file)})
    with pytest.raises(ConfigureError, match="No file set"):
        run_node("model_reader", {})
    spark_like = Model("spark_ml", lambda x: x, "lives in a session")
    with pytest.raises(NodeError, match="spark_ml model cannot be saved"):
        run_node("model_writer", {"file": str(tmp_path / "s.model")}, spark_like)
    assert not (tmp_path / "s.model").exists()


CHOOSER = {
    "path": {"location_present": True, "path": "C:\\models\\model.zip", "file_system_type": "LOCAL"},
    "filter_mode": {"filter_mode": "FILE", "include_subfolders": False},
    "file_system_chooser__Internals": {"has_fs_port": False},
}


def test_imports_the_writers(tmp_path: Path) -> None:
    legacy = {
        "filename_Internals": {"SettingsModelID": "SMID_string"},
        "filename": "/home/k/data/Correlation/model.zip",
        "overwriteOK_Internals": {"SettingsModelID": "SMID_boolean"},
        "overwriteOK": True,
    }
    for factory in (LEGACY_WRITER, PORT_OBJECT_WRITER):
        node, report, _ = import_fragment(tmp_path, factory, legacy)
        assert node.type == "model_writer" and findings(report) == []
        assert node.settings == {"file": "model.zip", "if_path_exists": "overwrite"}
    current = {"filechooser": {**CHOOSER, "if_path_exists": "fail", "create_missing_folders": True}}
    node, report, _ = import_fragment(tmp_path, WRITER, current)
    assert findings(report) == []
    assert node.settings == {"file": "model.zip", "if_path_exists": "fail", "create_missing_folders": True}
    appending = {"filechooser": {**CHOOSER, "if_path_exists": "append", "create_missing_folders": False}}
    _, report, _ = import_fragment(tmp_path, WRITER, appending)
    assert any("append" in f for f in findings(report))


def test_imports_the_readers(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, READER, {"filechooser": CHOOSER})
    assert node.type == "model_reader" and findings(report) == []
    assert node.settings == {"file": "${data_dir}/model.zip"}
    for factory in (LEGACY_READER, PORT_OBJECT_READER):
        node, report, _ = import_fragment(tmp_path, factory, {"filename": "file:/tmp/m.model"})
        assert findings(report) == [] and node.settings == {"file": "${data_dir}/m.model"}
