"""The registry's index of the built-in node types: equal to what importing every family finds, and
what lets a run import only the families its workflow uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core import registry as registry_module
from engine.core.registry import IndexEntry, NodeRegistry, build_index, index_json, read_index

ROOT = Path(__file__).resolve().parent.parent


def test_the_stored_index_is_what_importing_every_module_finds() -> None:
    stored = (ROOT / "nodes" / "_index.json").read_text(encoding="utf-8")
    assert stored == index_json(build_index()), (
        "nodes/_index.json is out of date: run `python -m engine.core.registry --write-index`"
    )


def test_the_index_names_module_category_and_factories() -> None:
    entry = read_index()["csv_reader"]
    assert entry.module == "nodes.csv_reader" and entry.category == "source"
    assert any(f.endswith("CSVTableReaderNodeFactory") for f in entry.knime)


def test_a_type_imports_only_its_own_family() -> None:
    code = (
        "import sys\n"
        "from engine.core.registry import registry\n"
        "assert registry.get('csv_reader').__module__ == 'nodes.csv_reader'\n"
        "print(sorted(m for m in sys.modules if m.startswith('nodes.') and not m.startswith('nodes._')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(out.stdout.replace("'", '"')) == ["nodes.csv_reader"]


def test_a_stale_index_costs_time_never_a_type(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = NodeRegistry()
    # a type the index places in the wrong module, and one it does not know at all
    monkeypatch.setattr(
        registry_module, "read_index", lambda: {"csv_reader": IndexEntry("nodes.csv_writer", "sink", ())}
    )
    assert fresh.get("csv_reader") is not None and fresh.get("csv_reader").__module__ == "nodes.csv_reader"
    assert fresh.get("table_creator") is not None
    assert fresh.get("no_such_type") is None


def test_a_missing_index_loads_everything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry_module, "_index_path", lambda: tmp_path / "missing.json")
    assert read_index() == {}
    fresh = NodeRegistry()
    assert fresh.get("csv_reader") is not None and fresh._loaded


def test_a_plugin_type_is_found_by_get(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist = site / "acme_nodes-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-nodes\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text("[knitflow.nodes]\nacme = acme_nodes\n", encoding="utf-8")
    (site / "acme_nodes.py").write_text(
        "from engine.api import Node, NodeSettings\n"
        "class Widget(Node):\n"
        "    type_name = 'acme_widget'\n"
        "    Settings = NodeSettings\n",
        encoding="utf-8",
    )
    code = (
        "from engine.core.registry import registry\n"
        "assert registry.get('csv_reader') is not None\n"
        "print(registry.get('acme_widget').__module__)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "acme_nodes"
