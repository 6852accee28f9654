"""`python -m tui` and the `bitsota-tui` console script."""

import sys


def main(argv=None) -> int | None:
    from core.cli import run_main
    from tui.main import main as app_main

    return run_main(app_main, argv)


if __name__ == "__main__":
    sys.exit(main())
