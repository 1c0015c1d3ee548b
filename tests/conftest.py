from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import toy_nodes  # noqa: E402

from engine.core.registry import registry  # noqa: E402

registry.register_module(toy_nodes)

# Tests of the forked loop workers use passes of a few milliseconds, which a real run would keep in
# its own process (engine.core.executors.POOL_SECONDS): here every planned loop forks after its
# first pass, as before that cutoff. tests/test_engine.py checks the cutoff with it unset.
os.environ["KNITFLOW_POOL_SECONDS"] = "0"
