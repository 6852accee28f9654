"""`python -m validator.score`: score a DSL file as a validator would (implemented in core.verify)."""

import sys

from core.cli import run_main
from core.verify import main

if __name__ == "__main__":
    sys.exit(run_main(main))
