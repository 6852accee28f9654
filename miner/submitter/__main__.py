"""`python -m miner.submitter` (see miner.submitter.cli)."""

from miner import detach

if __name__ == "__main__":
    detach.catch()  # before the imports below: a SIGUSR1 sent while starting must not end the process

import sys  # noqa: E402

from core.cli import run_main  # noqa: E402
from miner.submitter.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
