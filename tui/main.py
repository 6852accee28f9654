"""What `bitsota-tui` does before and after the App runs: `--stop`, `--status`, configuration, the lock,
the log tee, and the message printed once the terminal is restored."""

from __future__ import annotations

import os
import sys
from typing import Sequence

from tui import cli
from tui.lock import acquire_lock, release_lock
from tui.logic import clock, tui_log
from tui.logic.state_file import load_state, pid_alive


def stop_recorded_processes() -> int:
    from tui.services.session import stop_recorded

    saved = load_state()
    if saved is None:
        print("Nothing to stop (no state file).")
        return 0
    stopped = stop_recorded(saved)
    print(f"Stopped {stopped} process(es).")
    return 0


def reset_local() -> int | None:
    """`--reset-local`: delete the local test state before starting; refused while a recorded run or local
    service is still running (exit status 1)."""
    from tui.services.local_stack import local_dir, reset_local_state

    saved = load_state()
    live = [pid for pid in saved.recorded_pids() if pid_alive(pid)] if saved else []
    if live:
        print(f"bitsota-tui: error: --reset-local: processes of an earlier run are still running (pids "
              f"{', '.join(map(str, live))}); stop them with bitsota-tui --stop first", file=sys.stderr)
        return 1
    removed = reset_local_state()
    print(f"Local test state reset in {local_dir()} (removed {', '.join(removed) or 'nothing'}).")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parse_args(argv)
    if args.stop:
        return stop_recorded_processes()
    if (args.reset_local or args.local_relay_port) and not args.local:
        print("bitsota-tui: error: --reset-local and --local-relay-port need --local", file=sys.stderr)
        return 2
    if args.reset_local and (status := reset_local()) is not None:
        return status
    if args.status:
        from tui.status import print_status

        return print_status(args.json)
    if args.web:
        from tui.web import serve

        return serve(args.web_port, sys.argv[1:] if argv is None else list(argv))
    if args.web_tab:
        args.keep_running = True  # closing a browser tab stops nothing
    from tui.app import BitsotaApp
    from tui.services.configure import session_config
    from tui.services.session import MiningSession

    try:
        config, warnings = session_config(args)
    except Exception as exc:
        print(f"bitsota-tui: error: {exc}", file=sys.stderr)
        return 1
    lock_error = None if args.web_tab else acquire_lock(enforced=not config.test_mode)  # tabs share the run
    if lock_error:
        print(f"bitsota-tui: error: {lock_error}", file=sys.stderr)
        return 1
    log_handler = tui_log.start(args.log_file, clock.now())
    session = MiningSession(config)
    app = BitsotaApp(session, args, warnings)
    try:
        app.run(mouse=not args.no_mouse and config.settings.mouse)
    finally:
        if not app.quitting:
            app.exit_message = session.shutdown(config.keep_running)
        release_lock()
        tui_log.stop(log_handler)
    if app.exit_message:
        say(app.exit_message)
    return app.return_code or 0


def say(text: str) -> None:
    """Print after the app has ended; a terminal that went away meanwhile (EIO, EPIPE) is no error."""
    try:
        print(text, flush=True)
    except OSError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit-time flush goes nowhere
