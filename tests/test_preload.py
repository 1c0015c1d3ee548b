"""A node waiting for its own processes lets the engine import what later nodes `preload`, but
only while no other node runs (an import under way must never meet a fork)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.core import preload
from engine.core.workflow import Workflow


@pytest.fixture
def preloadable(tmp_path: Path) -> Iterator[None]:
    (tmp_path / "toy_preloaded.py").write_text("IMPORTED = True\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("toy_preloaded", None)


def run(tmp_path: Path, text: str, workers: int = 2) -> object:
    path = tmp_path / "wf.yaml"
    path.write_text(text)
    result = Workflow.load(path).run(workers=workers)
    assert result.ok, [s.error for s in result.failed()]
    return result


def test_a_waiting_node_lets_later_nodes_modules_be_imported(tmp_path: Path, preloadable: None) -> None:
    result = run(
        tmp_path,
        """
name: preload
nodes:
  - {id: 1, type: toy_range}
  - {id: 2, type: toy_waiter, settings: {seconds: 0}}
  - {id: 3, type: toy_preloading}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
""",
    )
    assert result.output(2)["imported"].tolist() == [True]  # type: ignore[attr-defined]
    assert "toy_missing_module" not in sys.modules  # a module that fails to import is skipped


def test_nothing_is_imported_ahead_while_another_node_runs(tmp_path: Path, preloadable: None) -> None:
    result = run(
        tmp_path,
        """
name: preload
nodes:
  - {id: 1, type: toy_range}
  - {id: 2, type: toy_waiter, settings: {seconds: 0.2}}
  - {id: 3, type: toy_preloading}
  - {id: 4, type: toy_sleep, settings: {seconds: 1.0}}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "1:1 -> 4:1"]
""",
    )
    assert result.output(2)["imported"].tolist() == [False]  # type: ignore[attr-defined]


def test_an_import_ahead_holds_the_lock_the_engine_forks_under(monkeypatch: pytest.MonkeyPatch) -> None:
    held: list[bool] = []
    monkeypatch.setattr(
        preload.importlib, "import_module", lambda name: held.append(preload.FORK_LOCK.locked())
    )
    preload.import_ahead(["toy_not_imported_yet", "sys"])
    assert held == [True]  # and "sys", imported already, is not imported again
