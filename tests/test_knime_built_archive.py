"""The importer end to end on a KNIME archive the test writes itself (workflow.knime plus one
settings.xml per node, in KNIME's XML config format and settings layouts), so that importing,
validating and running an archive is tested on every machine, not only where the tutorial's
original archives are at hand: CSV Reader -> Table Partitioner -> Sklearn Lasso Learner ->
Sklearn Regression Predictor -> Numeric Scorer on the ZB/WZ data, with the alpha of the learner
bound to a flow variable of a Table Row to Variable node, checked against scikit-learn directly."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from knime_facts import TEST_ROWS_10_02
from spec_shapes import data_dir
from test_knime_import import _connection, _node_entry, bindings, config, entry, node_xml, xml

from engine.core.workflow import Workflow
from engine.knime import ImportReport, load_knwf

FEATURES = ["IP_A", "EA_A", "EN_A", "IP_B", "EA_B", "EN_B", "rs_A", "rp_A", "rs_B", "rp_B"]
ALPHA = 0.001
SEED = 1678807467440
LABS = "org.knime.python3.nodes.extension.ExtensionNodeSetFactory$DynamicExtensionNodeFactory"


def _settings(
    factory: str, name: str, model: dict[str, Any], variables: dict[str, Any] | None = None, **extra: Any
) -> str:
    body = node_xml("model", model)
    if variables:
        body += config("variables", version="V_2019_09_13", tree=variables)
    body += entry("factory", factory) + entry("name", name)
    body += "".join(node_xml(k, v) for k, v in extra.items())
    return xml(body)


def built_archive(folder: Path) -> Path:
    """A .knwf zip of the five-node regression (plus a Table Creator holding alpha) as KNIME exports it."""
    nodes = {
        1: (
            "CSV Reader",
            "org.knime.base.node.io.filehandling.csv.reader.CSVTableReaderNodeFactory",
            {
                "settings": {
                    "file_selection": {
                        "path": {"path": "C:\\KNIME_data\\ZB_WZ_dE_rawdescriptor.csv"},
                        "filter_mode": {"filter_mode": "FILE"},
                    },
                    "has_column_header": True,
                    "has_row_id": False,
                    "column_delimiter": ",",
                },
                "encoding": {"charset": "UTF-8"},
            },
            None,
        ),
        2: (
            "Table Partitioner",
            "org.knime.base.node.preproc.partition.PartitionNodeFactory",
            {
                "partitioningMode": "RELATIVE",
                "percentage": 70.0,
                "rowCount": 100,
                "mode": "RANDOM",
                "class_column": None,
                "seed": SEED,
                "seed_is_present": True,
                "actionEmpty": "OUTPUT_EMPTY",
            },
            None,
        ),
        3: (
            "Sklearn Lasso Regression Learner (Labs)",
            LABS,
            {
                "general_settings": {"feature_columns": FEATURES, "target_column": "dE"},
                "algo_settings": {"alpha": 1.0},
            },
            bindings(**{"algo_settings.alpha": {"used": "alpha"}}),
        ),
        4: (
            "Sklearn Regression Predictor (Labs)",
            LABS,
            {"predictor_settings": {"prediction_column": ""}},
            None,
        ),
        5: (
            "Numeric Scorer",
            "org.knime.base.node.mine.scorer.numeric2.NumericScorer2NodeFactory",
            {
                "reference": {"columnName": "dE", "useRowID": False},
                "predicted": {"columnName": "dE_pred", "useRowID": False},
                "override default output name": False,
                "output column": "",
                "generate flow variables": True,
                "name prefix for flowvars": "",
                "number_of_predictors": 0,
            },
            None,
        ),
        6: (
            "Table Creator",
            "org.knime.base.node.io.tablecreator.TableCreator2NodeFactory",
            {
                "rowIndices": [0],
                "columnIndices": [0],
                "values": [str(ALPHA)],
                "columnProperties": {
                    "0": {
                        "ColumnName": "alpha",
                        "ColumnClass": {"cell_class": "org.knime.core.data.def.DoubleCell"},
                    }
                },
                "rowIdPrefix": "Row",
                "rowIdSuffix": "",
                "rowIdStartValue": 0,
                "highlightedCells": {"rowIndices": [], "columnIndices": []},
            },
            None,
        ),
        7: (
            "Table Row to Variable",
            "org.knime.base.node.flowvariable.tablerowtovariable3.TableToVariable3NodeFactory",
            {},
            None,
        ),
    }
    extension = {
        3: {"factory_settings": {"extension_id": "org.knime.python.sklearn", "node_id": "LassoLearner"}},
        4: {
            "factory_settings": {"extension_id": "org.knime.python.sklearn", "node_id": "RegressionPredictor"}
        },
    }
    wiring = [
        (1, 1, 2, 1),
        (2, 1, 3, 1),
        (3, 1, 4, 1),
        (2, 2, 4, 2),
        (4, 1, 5, 1),
        (6, 1, 7, 1),
        (7, 0, 3, 0),
    ]
    node_entries = "".join(
        _node_entry(i, f"{name} (#{i})/settings.xml", 100 * i, 100) for i, (name, *_rest) in nodes.items()
    )
    connections = "".join(_connection(k, *c) for k, c in enumerate(wiring))
    workflow = xml(
        f'<config key="nodes">{node_entries}</config><config key="connections">{connections}</config>',
        key="workflow.knime",
    )
    archive = folder / "built_regression.knwf"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("built_regression/workflow.knime", workflow)
        for i, (name, factory, model, variables) in nodes.items():
            text = _settings(factory, name, model, variables, **extension.get(i, {}))
            zf.writestr(f"built_regression/{name} (#{i})/settings.xml", text)
    return archive


def sklearn_r2() -> float:
    """The same regression without knitflow: KNIME's test rows of this seed, scikit-learn's Lasso."""
    from sklearn.linear_model import Lasso
    from sklearn.metrics import r2_score

    df = pd.read_csv(data_dir() / "ZB_WZ_dE_rawdescriptor.csv")
    df.index = [f"Row{i}" for i in range(len(df))]
    test = df.loc[TEST_ROWS_10_02]
    train = df.drop(index=TEST_ROWS_10_02)
    model = Lasso(alpha=ALPHA).fit(train[FEATURES].to_numpy(), train["dE"].to_numpy())
    return float(r2_score(test["dE"], model.predict(test[FEATURES].to_numpy())))


def test_a_built_archive_imports_and_runs(tmp_path: Path) -> None:
    report = ImportReport()
    wf = load_knwf(built_archive(tmp_path), data_dir=str(data_dir()), report=report)
    assert [e.message for e in report.entries if e.kind != "note"] == []
    assert any("imported as '${data_dir}/ZB_WZ_dE_rawdescriptor.csv'" in e.message for e in report.entries)
    assert [n.type for n in sorted(wf.doc.nodes, key=lambda n: n.id)] == [
        "csv_reader",
        "table_partitioner",
        "lasso_learner",
        "regression_predictor",
        "numeric_scorer",
        "table_creator",
        "table_row_to_variable",
    ]
    assert wf.doc.node(3).use_variables == {"alpha": "alpha"}
    assert [s.error for s in wf.validate().values() if s.error] == []
    result = wf.run()
    assert result.ok, [(s.id, s.error) for s in result.failed()]
    assert result.table(2, 2).row_ids == TEST_ROWS_10_02  # KNIME's partition of this seed
    scores = result.output(5, 0)
    assert scores["R^2"] == pytest.approx(sklearn_r2(), abs=1e-12)
    assert np.isclose(result.output(5).loc["R^2"].iloc[0], scores["R^2"])


def test_the_commands_on_a_built_archive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`knitflow import-knime X.knwf -o X.yaml --strict`, `validate`, `run`: the summary shows R²."""
    from engine.cli import main

    out = tmp_path / "built.yaml"
    archive = built_archive(tmp_path)
    assert (
        main(["import-knime", str(archive), "-o", str(out), "--strict", "--data-dir", str(data_dir())]) == 0
    )
    assert main(["validate", str(out)]) == 0
    assert "ok (7 nodes)" in capsys.readouterr().out
    assert main(["run", str(out), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    text = capsys.readouterr().out
    r2 = Workflow.load(out).run().output(5, 0)["R^2"]
    assert f"#5 Numeric Scorer: R^2 {r2!r}" in text.replace("\n", " ")
