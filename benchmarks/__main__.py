"""``python -m benchmarks``: every figure, each against its floor (``benchmarks.run``)."""

import sys

from benchmarks.run import main

sys.exit(main())
