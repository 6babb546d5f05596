"""`python -m groundup` runs the `groundup` command."""

import sys

from .cli import main

sys.exit(main())
