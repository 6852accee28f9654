"""The DSL text format of programs: canonical printer, lenient parser and strict checker (algorithm.md §5).

The parser reproduces the reference network's lenient reading line for line, quirks included (arrow operands
are ignored, `s25` is `v5`, unmatched lines vanish), because validators must derive the same program from a
submitted text. The strict checker reports what the lenient reading silently does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import re
import struct
import sys
from typing import NamedTuple, Sequence

from core.cli import OneLineParser, read_file_argument, run_main
from core.errors import BitsotaError
from core.program import (
    DEFAULT_MATRICES,
    DEFAULT_SCALARS,
    DEFAULT_VECTORS,
    MATRIX_BASE,
    NONE,
    OP_KINDS,
    PHASES,
    VECTOR_BASE,
    Instruction,
    Op,
    Program,
    address_kind,
    address_name,
)

logger = logging.getLogger("core.dsl")

DEFAULT_CAPACITY = 30
DEFAULT_COUNTS = {"scalar_count": DEFAULT_SCALARS, "vector_count": DEFAULT_VECTORS, "matrix_count": DEFAULT_MATRICES}
_BANK_BASE = {"s": 0, "v": VECTOR_BASE, "m": MATRIX_BASE}
_BANK_COUNT_KEY = {"s": "scalar_count", "v": "vector_count", "m": "matrix_count"}
_ALIAS_LIMIT = {"s": VECTOR_BASE, "v": MATRIX_BASE - VECTOR_BASE}  # indices past these name the next bank
_NONE_TOKENS = frozenset({"none", "null", "-1"})
_CAPACITY_ALIASES = {phase: tuple(f"{phase}{suffix}" for suffix in ("_max_ops", "_max", "_max_size", "_max_instructions")) for phase in PHASES}
_META_SEPARATORS = re.compile(r"[\s,]+")
_META_KEYS = frozenset({"vector_dim", *DEFAULT_COUNTS, *(alias for aliases in _CAPACITY_ALIASES.values() for alias in aliases)})

# ---------------------------------------------------------------------------------------------------------
# Issues

SEVERITIES = {
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


class Issue(NamedTuple):
    """One strict-mode finding about a line (1-based line number, the line as parsed)."""

    line_no: int
    line: str
    code: str
    severity: str
    message: str


def _issue(line_no: int, line: str, code: str, message: str) -> Issue:
    return Issue(line_no, line, code, SEVERITIES[code], message)


class DslError(BitsotaError, ValueError):
    """Raised by strict parsing; `issues` holds the error-severity issues."""

    def __init__(self, issues: Sequence[Issue]):
        self.issues = list(issues)
        details = "; ".join(f"line {i.line_no} [{i.code}] {i.message}" for i in self.issues)
        super().__init__(f"{len(self.issues)} DSL error(s): {details}")


# ---------------------------------------------------------------------------------------------------------
# Numbers and addresses

_FLOAT32 = struct.Struct("<f")


def float32(value: float) -> float:
    """`value` rounded to binary32 (round to nearest even), overflow giving ±inf, as a Python float."""
    try:
        return _FLOAT32.unpack(_FLOAT32.pack(value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def format_constant(value: float) -> str:
    """Shortest decimal that round-trips the binary64 value of the float32 constant; inf/-inf/nan otherwise."""
    return repr(float32(value))


_NAMED_ADDRESSES = 200  # addresses below this have a precomputed printed name
_ADDRESS_NAMES = [address_name(addr) for addr in range(_NAMED_ADDRESSES)]


def _address_name(addr: int) -> str:
    """Printed form of a flat address: s<i>, v<i>, m<i> by bank, `none` when negative."""
    return _ADDRESS_NAMES[addr] if 0 <= addr < _NAMED_ADDRESSES else address_name(addr)


class _BadLine(ValueError):
    """A line matched a form but its instruction could not be built (the reason goes into the warning)."""


def _to_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _BadLine(f"not an integer: {text!r}") from None


def _to_float32(text: str) -> float:
    try:
        return float32(float(text))
    except ValueError:
        raise _BadLine(f"not a number: {text!r}") from None


# Register tokens as commonly written, lower and upper case, without leading zeros: a dictionary hit is
# much cheaper than int() on the index.
_KNOWN_REGISTERS = {
    f"{letter}{index}": base + index
    for bank, base in _BANK_BASE.items()
    for letter in (bank, bank.upper())
    for index in range(_NAMED_ADDRESSES)
}


def _register(token: str) -> int:
    """Flat address of a register token `[svm]K` (any case), without range checks (§2.2)."""
    addr = _KNOWN_REGISTERS.get(token)
    if addr is not None:
        return addr
    base = _BANK_BASE.get(token[0].lower())
    if base is None:  # a case-insensitive match can also accept a Unicode look-alike such as 'ſ'
        raise _BadLine(f"invalid address: {token!r}")
    return base + _to_int(token[1:])


def _operand(token: str) -> int:
    """Flat address of a written operand, which may also be none (`none`, `null`, `-1`)."""
    text = token.strip()
    addr = _KNOWN_REGISTERS.get(text)
    if addr is not None:
        return addr
    text = text.lower()
    if text in _NONE_TOKENS:
        return NONE
    if text[:1] in _BANK_BASE:
        return _register(text)
    raise _BadLine(f"invalid address: {token.strip()!r}")


# ---------------------------------------------------------------------------------------------------------
# Printing (§5.1)

_INFIX_SYMBOL = {int(op): symbol for op, symbol in ((Op.ADD, "+"), (Op.SUB, "-"), (Op.MUL, "*"), (Op.DIV, "/"))}
_RANDOM_OPS = (int(Op.GAUSSIAN), int(Op.UNIFORM))
_FUNCTION_NAME = {int(op): op.name.lower() for op in Op}
_UNARY_OPS = frozenset(int(op) for op, kinds in OP_KINDS.items() if kinds[0] is not None and kinds[1] is None)
_PRINTABLE_OPS = frozenset(range(1, len(Op)))  # NOOP and unknown codes (skipped at run time) print nothing


def _format_const_vec_index(c1: float) -> str:
    index = float32(c1)
    return str(int(index)) if math.isfinite(index) else repr(index)


def _format_instruction(ins: Instruction) -> str:
    op, dest = ins.op, _address_name(ins.dest)
    if op in _INFIX_SYMBOL:
        return f"{dest} = {_address_name(ins.arg1)} {_INFIX_SYMBOL[op]} {_address_name(ins.arg2)}"
    if op == Op.CONST:
        return f"{dest} = {format_constant(ins.c1)}"
    if op == Op.CONST_VEC:
        return f"{dest}[{_format_const_vec_index(ins.c1)}] = {format_constant(ins.c2)}"
    if op == Op.COPY:
        return f"{dest} = {_address_name(ins.arg1)}"
    if op in _RANDOM_OPS:
        return f"{dest} = {_FUNCTION_NAME[op]}({format_constant(ins.c1)}, {format_constant(ins.c2)})"
    if op in _UNARY_OPS:
        return f"{dest} = {_FUNCTION_NAME[op]}({_address_name(ins.arg1)})"
    return f"{dest} = {_FUNCTION_NAME[op]}({_address_name(ins.arg1)}, {_address_name(ins.arg2)})"


def _meta_line(program: Program) -> str:
    return (
        f"# meta: scalar_count={program.scalar_count} vector_count={program.vector_count} "
        f"matrix_count={program.matrix_count} vector_dim={program.vector_dim} "
        f"setup_max_ops={program.setup_max_ops} predict_max_ops={program.predict_max_ops} "
        f"learn_max_ops={program.learn_max_ops}"
    )


def to_dsl(program: Program) -> str:
    """Canonical text of `program`: meta line, then each phase's header and instructions (NOOPs omitted)."""
    lines = [_meta_line(program)]
    for phase in PHASES:
        lines.append(f"# {phase}")
        lines.extend(_format_instruction(ins) for ins in program.phase(phase) if ins.op in _PRINTABLE_OPS)
    return "\n".join(lines)


def program_hash(program: Program) -> str:
    """SHA-256 hex digest of the canonical DSL text; identifies a program for caches and de-duplication."""
    return hashlib.sha256(to_dsl(program).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Line forms (§5.2.5). Rows 2-6 are alternatives of one pattern, tried in row order; `lastgroup` names the
# row that matched. Rows 2-4 must match the whole line, rows 5-6 only a prefix.

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_REG = r"[svm]\d+"
_LINE_RE = re.compile(
    rf"""
      (?P<const>      (?i: (?P<const_dest>{_REG}) \s*=\s* (?P<const_value>{_NUM}) ) \Z )
    | (?P<const_vec>  (?i: v(?P<vector>\d+) \[(?P<element>\d+)\] \s*=\s* (?P<element_value>{_NUM}) ) \Z )
    | (?P<copy>       (?P<copy_dest>{_REG}) \s*=\s* (?P<copy_source>{_REG}) \Z )
    | (?P<infix>      (?P<infix_dest>{_REG}) \s*=\s* (?P<left>{_REG}) \s* (?P<symbol>[-+*/]) \s* (?P<right>{_REG}) )
    | (?P<call>       (?P<call_dest>{_REG}) \s*=\s* (?P<name>\w+) \( (?P<args>[^)]+) \) )
    """,
    re.VERBOSE,
)
_INFIX_OPS = {"+": int(Op.ADD), "-": int(Op.SUB), "*": int(Op.MUL), "/": int(Op.DIV)}
_OPS_BY_NAME = {op.name: int(op) for op in Op}


class _Built(NamedTuple):
    """An instruction plus what the strict checker needs to know about the text it came from."""

    instruction: Instruction
    form: str  # "arrow" or the name of the matching alternative of _LINE_RE
    registers: tuple[str, ...] = ()  # operand tokens as written (may include none tokens)
    operands: int = 0  # operands written: call arguments, or arrow tokens after the opcode
    trailing: str = ""  # text after a prefix match


def _build_arrow(line: str) -> _Built | None:
    """Row 1, `OP [operands] -> dest`; None for an unknown opcode (the line falls through to rows 2-6)."""
    left, right = line.split("->")
    tokens = left.upper().split()
    if not tokens:
        raise _BadLine("no opcode before '->'")
    op = _OPS_BY_NAME.get(tokens[0])
    if op is None:
        return None
    dest, operands = _operand(right), len(tokens) - 1
    c1 = _to_float32(tokens[1]) if op == Op.CONST and operands == 1 else 0.0
    # The reference upper-cases the operands and then looks for lower-case registers, so none survive.
    return _Built(Instruction(op, NONE, NONE, dest, c1, 0.0), "arrow", operands=operands)


def _build_call(match: re.Match, line: str) -> _Built:
    """Row 6, `dest = name(args)`."""
    dest_token, name, arg_text = match.group("call_dest", "name", "args")
    dest, args, trailing = _register(dest_token), arg_text.split(","), line[match.end():]
    op = _OPS_BY_NAME.get(name.upper())
    if op in _RANDOM_OPS:
        c1 = _to_float32(args[0])
        c2 = _to_float32(args[1]) if len(args) > 1 else 1.0
        return _Built(Instruction(op, NONE, NONE, dest, c1, c2), "call", (dest_token,), len(args), trailing)
    if op is None:
        raise _BadLine(f"unknown function {name.upper()!r}")
    arg1 = _operand(args[0])
    arg2 = _operand(args[1]) if len(args) > 1 else NONE
    return _Built(Instruction(op, arg1, arg2, dest, 0.0, 0.0), "call", (dest_token, *args[:2]), len(args), trailing)


def _build(line: str) -> _Built | None:
    """The instruction of a non-directive line by the first matching form; None when no form matches."""
    if line.count("->") == 1:
        built = _build_arrow(line)
        if built is not None:
            return built
    match = _LINE_RE.match(line)
    if match is None:
        return None
    form = match.lastgroup
    if form == "call":
        return _build_call(match, line)
    if form == "infix":
        dest, left, symbol, right = match.group("infix_dest", "left", "symbol", "right")
        ins = Instruction(_INFIX_OPS[symbol], _register(left), _register(right), _register(dest), 0.0, 0.0)
        return _Built(ins, form, (dest, left, right), trailing=line[match.end():])
    if form == "const":
        dest, number = match.group("const_dest", "const_value")
        return _Built(Instruction(int(Op.CONST), NONE, NONE, _register(dest), _to_float32(number), 0.0), form, (dest,))
    if form == "copy":
        dest, source = match.group("copy_dest", "copy_source")
        return _Built(Instruction(int(Op.COPY), _register(source), NONE, _register(dest), 0.0, 0.0), form, (dest, source))
    vector, element, number = match.group("vector", "element", "element_value")
    ins = Instruction(int(Op.CONST_VEC), NONE, NONE, VECTOR_BASE + _to_int(vector), _to_float32(element), _to_float32(number))
    return _Built(ins, form, (f"v{vector}",))


# ---------------------------------------------------------------------------------------------------------
# Lenient parsing (§5.2)


def _clean(raw: str) -> str:
    """The line stripped, with an inline comment cut off (full-line comments are kept: they are directives)."""
    line = raw.strip()
    if line and line[0] != "#":
        line = line.split("#", 1)[0].rstrip()
    return line


def _directive_phase(line: str) -> str | None:
    lowered = line.lower()
    return next((phase for phase in PHASES if phase in lowered), None)


def _read_meta(line: str, meta: dict[str, int]) -> list[tuple[str, str]]:
    """Merge the `key=value` tokens of a `# meta:` line into `meta` (later values win); return the problems."""
    problems = []
    for token in _META_SEPARATORS.split(line.split(":", 1)[1]):
        if not token:
            continue
        key, has_equals, value = token.partition("=")
        key = key.lower()
        if not has_equals or not key:
            problems.append(("bad_meta", f"malformed meta token {token!r} (expected key=value)"))
        elif key not in _META_KEYS:
            problems.append(("unknown_meta_key", f"unknown meta key {key!r} is ignored"))
        else:
            try:
                meta[key] = int(value)
            except ValueError:
                problems.append(("bad_meta", f"meta value {value!r} for {key} is not an integer; ignored"))
    return problems


def _capacity(meta: dict[str, int], phase: str, line_count: int) -> int:
    """The phase budget: the first meta alias present, else 30, never below the phase's line count (nor 0)."""
    for alias in _CAPACITY_ALIASES[phase]:
        if alias in meta:
            return max(meta[alias], line_count)
    return max(DEFAULT_CAPACITY, line_count)


class _ParsedLine(NamedTuple):
    line_no: int
    line: str
    built: _Built


def _parse(text: str, input_dim: int, issues: list[Issue] | None) -> tuple[Program, list[_ParsedLine]]:
    """Lenient parse. With an `issues` list, line-level issues go there instead of warnings to the log."""
    instructions: dict[str, list[Instruction]] = {phase: [] for phase in PHASES}
    line_counts = dict.fromkeys(PHASES, 0)
    meta: dict[str, int] = {}
    parsed_lines: list[_ParsedLine] = []
    phase = "predict"
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = _clean(raw)
        if not line:
            continue
        if line[0] == "#" or line[-1] == ":":
            if line[:7].lower() == "# meta:":
                problems = _read_meta(line, meta)
                if issues is not None:
                    issues.extend(_issue(line_no, line, code, message) for code, message in problems)
            phase = _directive_phase(line) or phase
            continue
        line_counts[phase] += 1
        try:
            built = _build(line)
        except _BadLine as exc:
            if issues is None:
                logger.warning("Could not parse line '%s': %s", line, exc)
            else:
                issues.append(_issue(line_no, line, "bad_line", f"matched a line form but {exc}; the line is dropped"))
            continue
        if built is None:
            if issues is not None:
                issues.append(_issue(line_no, line, "unparseable", "matches no DSL line form; the line is dropped"))
            continue
        instructions[phase].append(built.instruction)
        if issues is not None:
            parsed_lines.append(_ParsedLine(line_no, line, built))
    program = Program(
        **{key: meta.get(key, default) for key, default in DEFAULT_COUNTS.items()},
        vector_dim=max(meta["vector_dim"], input_dim) if "vector_dim" in meta else input_dim,
        **{f"{phase}_max_ops": _capacity(meta, phase, line_counts[phase]) for phase in PHASES},
        **instructions,
    )
    return program, parsed_lines


def from_dsl(text: str, input_dim: int, strict: bool = False) -> Program:
    """Parse DSL text for `input_dim` features. Lenient by default; strict raises DslError on any error issue."""
    if not strict:
        return _parse(text, input_dim, None)[0]
    program, issues = _check(text, input_dim)
    errors = [issue for issue in issues if issue.severity == "error"]
    if errors:
        raise DslError(errors)
    return program


# ---------------------------------------------------------------------------------------------------------
# Strict checks (§5.3)


def _alias_issues(parsed: _ParsedLine) -> list[Issue]:
    """Register names that reach into another bank (`s25` is `v5`) or, with a negative index, below it."""
    issues = []
    for written in parsed.built.registers:
        token = written.strip()
        if token.lower() in _NONE_TOKENS:
            continue
        bank, index = token[0].lower(), int(token[1:])
        if index < 0 or index >= _ALIAS_LIMIT.get(bank, math.inf):
            addr = _BANK_BASE[bank] + index
            message = f"{token} is flat address {addr}, which is {_address_name(addr)}"
            issues.append(_issue(parsed.line_no, parsed.line, "alias_address", message))
    return issues


def _extra_operands_message(built: _Built) -> str:
    """What happens to operands written beyond those the instruction uses; empty when there are none."""
    op, given = Op(built.instruction.op), built.operands
    if built.form == "arrow":
        used = 1 if op == Op.CONST and given == 1 else 0
        return f"arrow-form operands are ignored (read as none, constants 0) [{given} given]" if given > used else ""
    if built.form != "call":
        return ""
    used = 2 if op in _RANDOM_OPS else sum(kind is not None for kind in OP_KINDS[op][:2])
    if given <= used:
        return ""
    notes = [f"{op.name} uses {used} argument(s), {given} given"]
    if min(given, 2) > used:
        notes.append("extra ones up to the second are kept and still bounds-checked")
    if given > 2:
        notes.append("those after the second are dropped")
    return "; ".join(notes)


def _slot_issues(parsed: _ParsedLine, program: Program) -> list[Issue]:
    """Out-of-bounds registers (any slot) and kind mismatches (used slots) of one instruction."""
    ins, issues = parsed.built.instruction, []
    kinds = dict(zip(("arg1", "arg2", "dest"), OP_KINDS[Op(ins.op)]))
    for slot, addr in (("dest", ins.dest), ("arg1", ins.arg1), ("arg2", ins.arg2)):
        if addr < 0:
            continue
        kind, name = address_kind(addr), _address_name(addr)
        count = program.bank_count(kind)
        if not program.in_bounds(addr):
            message = f"{slot} {name} is beyond {_BANK_COUNT_KEY[kind]}={count}; the instruction will be skipped"
            issues.append(_issue(parsed.line_no, parsed.line, "out_of_bounds", message))
        expected = kinds[slot]
        if expected is not None and kind != expected:
            message = f"{slot} {name} is a {kind} register where {Op(ins.op).name} has kind {expected} (§4.3 decides what runs)"
            issues.append(_issue(parsed.line_no, parsed.line, "kind_mismatch", message))
    return issues


def _instruction_issues(parsed: _ParsedLine, program: Program) -> list[Issue]:
    built, ins = parsed.built, parsed.built.instruction
    issues: list[Issue] = []

    def add(code: str, message: str) -> None:
        issues.append(_issue(parsed.line_no, parsed.line, code, message))

    if built.trailing:
        add("trailing_text", f"text after the instruction is ignored: {built.trailing!r}")
    for constant in (ins.c1, ins.c2):
        if not math.isfinite(constant):
            add("nonfinite_constant", f"constant {constant!r} is not finite as float32")
    extra_operands = _extra_operands_message(built)
    if extra_operands:
        add("extra_operands", extra_operands)
    issues.extend(_alias_issues(parsed))
    if ins.op == Op.NOOP:
        return issues
    issues.extend(_slot_issues(parsed, program))
    if ins.op == Op.CONST_VEC and not (math.isfinite(ins.c1) and 0 <= int(ins.c1) < program.vector_dim):
        add("dead_const_vec", f"index {_format_const_vec_index(ins.c1)} is outside [0, {program.vector_dim}); the write is skipped")
    return issues


def _check(text: str, input_dim: int) -> tuple[Program, list[Issue]]:
    issues: list[Issue] = []
    program, parsed_lines = _parse(text, input_dim, issues)
    for parsed in parsed_lines:
        issues.extend(_instruction_issues(parsed, program))
    issues.sort(key=lambda issue: issue.line_no)
    return program, issues


def check_dsl(text: str, input_dim: int) -> list[Issue]:
    """Every issue of the text, in line order (the lenient parse, with what it silently does made visible)."""
    return _check(text, input_dim)[1]


# ---------------------------------------------------------------------------------------------------------
# Command line: python -m core.dsl check FILE --input-dim N [--json]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m core.dsl", description="Tools for the program DSL.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="strict-check a DSL file; exit status 1 if it has errors")
    check.add_argument("file", help="DSL file, or - for standard input")
    check.add_argument("--input-dim", type=_positive_int, required=True, help="number of input features")
    check.add_argument("--json", action="store_true", help="print the issues as a JSON list")
    args = parser.parse_args(argv)
    try:
        text = read_file_argument(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    issues = check_dsl(text, args.input_dim)
    if args.json:
        print(json.dumps([issue._asdict() for issue in issues], indent=2))
    else:
        for issue in issues:
            print(f"line {issue.line_no}: {issue.severity} [{issue.code}] {issue.message}: {issue.line!r}")
        tally = {severity: sum(issue.severity == severity for issue in issues) for severity in ("error", "warning", "info")}
        print(", ".join(f"{severity}: {count}" for severity, count in tally.items()))
    return 1 if any(issue.severity == "error" for issue in issues) else 0


if __name__ == "__main__":
    sys.exit(run_main(main))
