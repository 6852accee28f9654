"""`python -m tui` and the `bitsota-tui` console script."""

import sys


def main(argv=None) -> int:
    from tui.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
