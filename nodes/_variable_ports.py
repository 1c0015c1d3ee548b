"""The optional flow-variable input shared by the nodes that compute flow variables (or columns)
from the incoming ones: without a connection they see the workflow's variables."""

from __future__ import annotations

from engine.api import VARIABLES, Port

OPTIONAL_VARIABLES_IN = Port(VARIABLES, "Variables", "Optional flow-variable input.", optional=True)
