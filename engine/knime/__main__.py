import sys

from engine.knime.archive import main

sys.exit(main())
