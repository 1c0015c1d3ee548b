import sys

from engine.knime.supported_nodes import main

sys.exit(main())
