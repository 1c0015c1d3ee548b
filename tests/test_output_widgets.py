"""KNIME's output widgets for components' pages: Text Output (legacy) resolves flow variable
references as FlowVariableResolver does; Image Output shows its picture as the Image View does."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_knime_import import findings, import_fragment

from engine.api import NodeError, View
from engine.core.testing import run_node


def test_text_output_fills_in_flow_variables() -> None:
    text = "<h1>$${Sname}$$</h1> n=$${In}$$ r2=$${Dr2}$$ again $${Sname}$$"
    run = run_node(
        "text_output",
        {"text": text, "textFormat": "Html", "label": "Report"},
        None,
        variables={"name": "fit", "n": 3, "r2": 1e-5},
    )
    view = run.outputs[0]
    assert view.title == "Report"
    assert view.table.df["Text"].tolist() == ["<h1>fit</h1> n=3 r2=1.0E-5 again fit"]
    with pytest.raises(NodeError, match='No flow variable of type Integer named "name"'):
        run_node("text_output", {"text": "$${Iname}$$"}, None, variables={"name": "fit"})
    with pytest.raises(NodeError, match="is not closed"):
        run_node("text_output", {"text": "see $${Sname"}, None, variables={"name": "fit"})
    with pytest.raises(NodeError, match="type identifer"):
        run_node("text_output", {"text": "$${Xname}$$"}, None)


def test_output_widget_mappings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.js.base.node.output.text.TextOutputNodeFactory",
        {
            "hideInWizard": False,
            "description": "Enter Description",
            "label": "",
            "text": "<h1> Charts </h1>",
            "customCSS": "",
            "textFormat": "Html",
        },
    )
    assert node.type == "text_output" and findings(report) == [] and node.settings["textFormat"] == "Html"
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.js.base.node.output.image.ImageOutputNodeFactory",
        {
            "label": "Heart rate",
            "description": "Enter Description",
            "hideInWizard": False,
            "customCSS": "",
            "maxwidth": 300,
            "maxheight": 300,
        },
    )
    assert node.type == "image_output" and findings(report) == [] and node.settings["title"] == "Heart rate"
    picture = View(png=b"\x89PNG fake", title="plot")
    assert run_node("image_output", node.settings, picture).outputs[0].title == "Heart rate"
