"""`python -m qa` runs the `qa` command line."""

import sys

from qa.cli import main

sys.exit(main())
