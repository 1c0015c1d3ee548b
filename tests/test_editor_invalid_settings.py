"""A workflow file with a setting its node does not know opens in the editor (the node is red with
the setting named) instead of failing the whole request with a server error."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx2.*")
pytest.importorskip("fastapi", reason="the editor extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="httpx is needed by FastAPI's TestClient")

from fastapi.testclient import TestClient  # noqa: E402

from engine.core.document import parse_document  # noqa: E402
from engine.core.document_saving import canonical_dict  # noqa: E402
from engine.editor.app import create_app  # noqa: E402

BAD = """\
format: knitflow/1
name: bad
nodes:
  - id: 1
    type: csv_reader
    position: [100, 100]
    settings: {file: x.csv, no_such_key: 3}
  - id: 2
    type: normalizer
    position: [300, 100]
connections:
  - 1:1 -> 2:1
"""


def test_unknown_setting_opens_with_the_node_red_and_the_setting_named(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    client = TestClient(create_app(tmp_path), base_url="http://127.0.0.1:8765")
    response = client.get("/api/workflow", params={"path": "bad.yaml"})
    assert response.status_code == 200, response.text
    statuses = response.json()["statuses"]
    assert statuses["1"]["setting"] == "no_such_key" and statuses["1"]["error"]
    assert "#1" in statuses["2"]["reason"]


def test_canonical_form_keeps_an_invalid_setting_as_written() -> None:
    doc, _, problems = parse_document(BAD, "bad.yaml")
    assert doc is not None, problems
    settings = canonical_dict(doc)["nodes"][0]["settings"]
    assert settings == {"file": "x.csv", "no_such_key": 3}
