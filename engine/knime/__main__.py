import sys

from engine.knime.importer import main

sys.exit(main())
