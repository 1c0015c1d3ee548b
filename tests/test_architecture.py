"""The import contracts in pyproject's [tool.importlinter] only hold if they name every node family:
this keeps the independence contract's module list equal to the non-underscore modules of nodes/."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_independence_contract_lists_every_node_family() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "independence"]
    families = {f"nodes.{p.stem}" for p in (ROOT / "nodes").glob("*.py") if not p.stem.startswith("_")}
    assert set(contract["modules"]) == families, "add the new node family to [tool.importlinter] in pyproject"
