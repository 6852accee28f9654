"""benchmarks.local_demo's summary: events in time order, rises counted against the previous event."""

from __future__ import annotations

from benchmarks.local_demo import report


def test_rises_are_counted_against_the_previous_event(capsys):
    report([(10.0, 0.25), (75.0, 0.31), (140.0, 0.31), (200.0, 0.9999)])
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert (lines["sota_events"], lines["sota_rises"]) == ("4", "2")
    assert (lines["first_sota"], lines["final_sota"], lines["seconds_to_final"]) == ("0.250000", "0.999900", "200")
    assert lines["event_3"] == "140s 0.310000"


def test_a_run_without_events_says_none(capsys):
    report([])
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert lines == {"sota_events": "0", "sota_rises": "0", "first_sota": "none", "final_sota": "none",
                     "seconds_to_final": "none"}
