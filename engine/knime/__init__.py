"""Reading KNIME workflows (.knwf archives, workflow folders) into knitflow documents."""

from engine.knime.archive import *  # noqa: F403
