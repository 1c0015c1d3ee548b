from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import toy_nodes  # noqa: E402

from engine.core.registry import registry  # noqa: E402

registry.register_module(toy_nodes)
