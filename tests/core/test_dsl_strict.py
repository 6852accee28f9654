"""Strict mode of the DSL (algorithm.md §5.3): every issue code, DslError, and `python -m core.dsl check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.dsl import SEVERITIES, DslError, Issue, check_dsl, from_dsl, to_dsl

REPO = Path(__file__).resolve().parents[2]

CLEAN = """# meta: scalar_count=5 vector_count=9 matrix_count=2 vector_dim=16 setup_max_ops=7 predict_max_ops=11 learn_max_ops=23
# setup
s2 = 0.05000000074505806
s3 = gaussian(0.0, 0.10000000149011612)
v4[3] = 1.0
# predict
v3 = matmul(m0, v0)
s0 = dot(v3, v0)
s4 = sin(s0)
# learn
s3 = s1 - s0
s4 = s3 * s2
m1 = outer(v0, v3)"""


def _codes(text: str, input_dim: int = 16) -> list[tuple[int, str]]:
    return [(issue.line_no, issue.code) for issue in check_dsl(text, input_dim)]


def test_engine_style_program_has_no_issues():
    assert check_dsl(CLEAN, 16) == []
    assert to_dsl(from_dsl(CLEAN, 16, strict=True)) == CLEAN


# One text per issue code: (text, the line number the issue is on). Each text has exactly that one issue.
ONE_ISSUE = {
    "unparseable": ("# predict\ns2 = s0 + 1.5", 2),
    "bad_line": ("# predict\ns2 = foo(s3)", 2),
    "trailing_text": ("# predict\ns0 = s1 + s2 + s3", 2),
    "nonfinite_constant": ("# setup\ns2 = 1e40", 2),
    "extra_operands": ("# predict\ns2 = sin(s3, s4)", 2),
    "alias_address": ("# meta: scalar_count=20 vector_count=10\n# setup\ns2 = dot(s25, v1)", 3),
    "out_of_bounds": ("# meta: scalar_count=4\n# predict\ns0 = s7 * s2", 3),
    "bad_meta": ("# meta: vector_dim=1.5\n# predict\ns0 = s2", 1),
    "kind_mismatch": ("# predict\ns0 = norm(s2)", 2),
    "dead_const_vec": ("# setup\nv1[16] = 2.0", 2),
    "unknown_meta_key": ("# meta: colour=blue\n# predict\ns0 = s2", 1),
}


def test_every_code_is_exercised():
    assert set(ONE_ISSUE) == set(SEVERITIES)


@pytest.mark.parametrize("code", sorted(ONE_ISSUE))
def test_each_issue_code(code):
    text, line_no = ONE_ISSUE[code]
    issues = check_dsl(text, 16)
    assert [(issue.line_no, issue.code, issue.severity) for issue in issues] == [(line_no, code, SEVERITIES[code])]
    issue = issues[0]
    assert issue.line == text.splitlines()[line_no - 1]
    assert issue.message


def test_severities_are_the_specified_ones():
    assert SEVERITIES == {
        "unparseable": "error",
        "bad_line": "error",
        "trailing_text": "error",
        "nonfinite_constant": "error",
        "extra_operands": "warning",
        "alias_address": "warning",
        "out_of_bounds": "warning",
        "bad_meta": "warning",
        "kind_mismatch": "info",
        "dead_const_vec": "info",
        "unknown_meta_key": "info",
    }


def test_issues_come_in_line_order_with_original_line_numbers():
    text = "# meta: foo=1\n\n# setup\ns2 = 1e40\n   \ns3 = nonsense\ns4 = s3 # comment\ns5 = sin(x)\n"
    assert _codes(text) == [(1, "unknown_meta_key"), (4, "nonfinite_constant"), (6, "unparseable"), (8, "bad_line")]


def test_issue_line_is_the_line_as_parsed_without_inline_comment():
    (issue,) = check_dsl("   s2 = sin(x1)   # the sine\n", 16)
    assert issue == Issue(1, "s2 = sin(x1)", "bad_line", "error", issue.message)


@pytest.mark.parametrize(
    "line, code",
    [
        ("S2 = S3 + S4", "unparseable"),  # infix is lower-case only
        ("s2 = inf", "unparseable"),
        ("v4[-1] = 1.0", "unparseable"),
        ("FOO s1 -> s2", "unparseable"),  # unknown arrow opcode falls through and matches nothing
        ("-> s2", "bad_line"),
        ("ADD s1 s2 -> x3", "bad_line"),
        ("CONST abc -> s2", "bad_line"),
        ("s2 = gaussian(a, b)", "bad_line"),
        ("s2 = dot(v0, q1)", "bad_line"),
        ("s0 = sin(s1) extra", "trailing_text"),
        ("s0 = dot(v0, v1))", "trailing_text"),
        ("CONST inf -> s2", "nonfinite_constant"),
        ("s2 = gaussian(0, nan)", "nonfinite_constant"),
        ("ADD s2 s3 -> s4", "extra_operands"),  # arrow operands are read as none
        ("s2 = uniform(1, 2, 3)", "extra_operands"),
        ("s2 = const(s3)", "extra_operands"),
        ("s2 = noop(s3)", "extra_operands"),
    ],
)
def test_line_level_codes(line, code):
    assert code in {issue.code for issue in check_dsl(line, 16)}


def test_aliases_and_bounds_use_flat_addresses():
    # s25 is v5: an alias, but in bounds with 10 vectors; v12 is m2: an alias, out of bounds with 2 matrices.
    issues = check_dsl("# meta: matrix_count=2\n# predict\ns1 = dot(s25, v0)\nv1 = matmul(v12, v0)", 16)
    assert [(i.line_no, i.code) for i in issues if i.code in ("alias_address", "out_of_bounds")] == [
        (3, "alias_address"),
        (4, "alias_address"),
        (4, "out_of_bounds"),
    ]


def test_out_of_bounds_checks_extra_operands_too():
    issues = check_dsl("# meta: scalar_count=4\n# predict\ns2 = sin(s3, s9)", 16)
    assert [issue.code for issue in issues] == ["extra_operands", "out_of_bounds"]


def test_kind_mismatch_is_per_used_slot():
    issues = check_dsl("# predict\nm0 = dot(v1, s2)", 16)
    assert [issue.code for issue in issues] == ["kind_mismatch", "kind_mismatch"]
    assert "dest" in issues[0].message and "arg2" in issues[1].message


def test_dead_const_vec_depends_on_vector_dim():
    text = "# meta: vector_dim=8\n# setup\nv1[7] = 1.0\nv1[8] = 1.0"
    assert _codes(text, 4) == [(4, "dead_const_vec")]
    assert _codes(text, 16) == []  # vector_dim is raised to input_dim


def test_meta_problems():
    codes = _codes("# meta: scalar_count=abc vector_count= =1 stray foo=bar setup_max=2\n# predict\ns0 = s2")
    assert codes == [(1, "bad_meta"), (1, "bad_meta"), (1, "bad_meta"), (1, "bad_meta"), (1, "unknown_meta_key")]


def test_silent_lines_do_not_warn_in_check_mode(caplog):
    check_dsl("s2 = foo(s3)\nnonsense", 16)
    assert not [record for record in caplog.records if record.name == "core.dsl"]


def test_strict_parse_raises_on_errors_only():
    with pytest.raises(DslError) as raised:
        from_dsl("# predict\ns0 = s2\ns2 = foo(s3)\ns3 = 1e40\ns4 = sin(s3, s4)", 16, strict=True)
    assert isinstance(raised.value, ValueError)
    assert [(issue.line_no, issue.code) for issue in raised.value.issues] == [(3, "bad_line"), (4, "nonfinite_constant")]
    assert "line 3" in str(raised.value) and "line 4" in str(raised.value)


def test_strict_parse_accepts_warnings_and_equals_lenient():
    text = "# meta: scalar_count=4 colour=red\n# predict\ns0 = s9\ns2 = sin(s3, s4)\nv1 = s25"
    assert {issue.severity for issue in check_dsl(text, 16)} == {"warning", "info"}
    assert from_dsl(text, 16, strict=True) == from_dsl(text, 16)


# ---------------------------------------------------------------------------------------------------------
# python -m core.dsl check FILE --input-dim N [--json]


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core.dsl", *args], input=stdin, capture_output=True, text=True, cwd=REPO, timeout=60
    )


def test_cli_clean_file_exits_zero(tmp_path):
    path = tmp_path / "clean.dsl"
    path.write_text(CLEAN)
    result = _cli("check", str(path), "--input-dim", "16")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "error: 0, warning: 0, info: 0"


def test_cli_reports_errors_and_exits_one(tmp_path):
    path = tmp_path / "bad.dsl"
    path.write_text("# predict\ns0 = s2\ns2 = foo(s3)\nv1[99] = 1.0\n")
    result = _cli("check", str(path), "--input-dim", "4")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("line 3: error [bad_line]") and "'s2 = foo(s3)'" in lines[0]
    assert lines[1].startswith("line 4: info [dead_const_vec]")
    assert lines[-1] == "error: 1, warning: 0, info: 1"


def test_cli_warnings_only_exit_zero_and_json_from_stdin():
    result = _cli("check", "-", "--input-dim", "16", "--json", stdin="# meta: scalar_count=4\ns0 = s9\n")
    assert result.returncode == 0, result.stderr
    issues = json.loads(result.stdout)
    assert issues == [
        {"line_no": 2, "line": "s0 = s9", "code": "out_of_bounds", "severity": "warning", "message": issues[0]["message"]}
    ]


def test_cli_json_errors_exit_one():
    result = _cli("check", "-", "--input-dim", "16", "--json", stdin="s0 = what\n")
    assert result.returncode == 1
    assert [issue["code"] for issue in json.loads(result.stdout)] == ["unparseable"]


@pytest.mark.parametrize(
    "args",
    [
        ("check", "/nonexistent/prog.dsl", "--input-dim", "4"),
        ("check", "-", "--input-dim", "0"),
        ("check", "-", "--input-dim", "x"),
        ("check", "-"),
        ("frobnicate",),
    ],
)
def test_cli_usage_errors_are_one_clear_line(args):
    result = _cli(*args, stdin="")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(("error: cannot read", "usage:", "python -m core.dsl"))
