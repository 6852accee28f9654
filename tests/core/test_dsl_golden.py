"""The DSL parser and printer against the reference's recorded behaviour (algorithm.md §5, §18.1)."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pytest

from core.dsl import from_dsl, to_dsl
from core.program import PHASES, Program

CORPUS = Path(__file__).resolve().parents[1] / "golden" / "dsl"


def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line]


CASES = _load("cases.jsonl")
SCORED = _load("scored_programs.jsonl")


def _case_id(case: dict) -> str:
    return f"{case['case']}-d{case['input_dim']}"


def _golden_constant(value: float) -> float | str:
    """The corpus writes non-finite constants as strings."""
    return value if math.isfinite(value) else repr(value)


def _as_golden(program: Program, input_dim: int) -> dict:
    """`program` in the corpus's `parsed` layout."""
    return {
        "input_dim": input_dim,
        "scalar_count": program.scalar_count,
        "vector_count": program.vector_count,
        "matrix_count": program.matrix_count,
        "vector_dim": program.vector_dim,
        "phases": {
            phase: {
                "max_size": program.capacity(phase),
                "instructions": [
                    [ins.op, ins.arg1, ins.arg2, ins.dest, _golden_constant(ins.c1), _golden_constant(ins.c2)]
                    for ins in program.phase(phase)
                ],
            }
            for phase in PHASES
        },
    }


def _warned_line(message: str) -> str:
    """The line quoted in `[Warning: ]Could not parse line '<line>': <reason>`."""
    prefix = "Could not parse line '"
    start = message.index(prefix) + len(prefix)
    return message[start : message.rindex("': ")]


def test_corpus_is_complete():
    assert len(CASES) == 84
    assert {case["input_dim"] for case in CASES} == {4, 16}
    assert len({case["case"] for case in CASES}) == 42
    assert len(SCORED) == 320


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_print_of_parse_is_the_reference_canonical_text(case):
    assert to_dsl(from_dsl(case["dsl"], case["input_dim"])) == case["canonical"]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_parsed_program_equals_the_reference_parse(case):
    program = from_dsl(case["dsl"], case["input_dim"])
    assert _as_golden(program, case["input_dim"]) == case["parsed"]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_reprint_of_canonical_text(case):
    reprint = to_dsl(from_dsl(case["canonical"], case["input_dim"]))
    assert reprint == case["reprint_of_canonical"]
    assert (reprint == case["canonical"]) == case["canonical_is_fixpoint"]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_warned_lines_are_the_reference_warned_lines(case, caplog):
    with caplog.at_level(logging.WARNING, logger="core.dsl"):
        from_dsl(case["dsl"], case["input_dim"])
    ours = [record for record in caplog.records if record.name == "core.dsl"]
    assert {_warned_line(record.getMessage()) for record in ours} == {_warned_line(w) for w in case["warnings"]}
    assert all(record.getMessage().startswith("Could not parse line '") for record in ours)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_out_files_hold_the_canonical_text(case):
    out_file = CORPUS / f"{case['case']}.d{case['input_dim']}.out.dsl"
    in_file = CORPUS / f"{case['case']}.in.dsl"
    assert out_file.read_bytes().decode("utf-8") == case["canonical"]
    assert in_file.read_bytes().decode("utf-8") == case["dsl"]


def test_scored_programs_print_as_the_reference_canonical_text():
    mismatched = [row["id"] for row in SCORED if to_dsl(from_dsl(row["dsl"], row["input_dim"])) != row["canonical"]]
    assert mismatched == []
