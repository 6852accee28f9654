"""The headless submitter (`python -m miner.submitter`): one mining run's courier between sidecar and relay.

Submodules: `rule` (what is submitted), `rescore` (the validator's own score, bounded in time), `status`
(the status file the TUI reads), `pool` (pool mode), `loop` (one tick), `cli` (the process).
"""
