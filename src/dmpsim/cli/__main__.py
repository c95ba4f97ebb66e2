"""`python -m dmpsim.cli`: the `dmpsim` command."""

import sys

from . import main

sys.exit(main())
