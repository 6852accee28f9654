"""Summarise cProfile `.pstats` files (miner.md §7.3):

    python -m benchmarks.profiling.pstats_summary FILE [FILE ...] [--top N] [--sort calls|tottime|cumtime]
        [--filter TEXT] [--json]

Per file: total and primitive calls, total time and the top functions. With several files, a comparison
of the totals and of the union of the top functions (calls per file, ratio to the first file).
"""

from __future__ import annotations

import argparse
import json
import pstats
import sys
from dataclasses import asdict, dataclass
from typing import Sequence

from core.cli import OneLineParser, run_main
from core.errors import BitsotaError

SORT_KEYS = ("calls", "tottime", "cumtime")


@dataclass(frozen=True)
class FunctionRow:
    function: str  # file:line(name)
    ncalls: int
    primitive_calls: int
    tottime: float
    cumtime: float


@dataclass(frozen=True)
class FileSummary:
    path: str
    total_calls: int
    primitive_calls: int
    total_time: float
    top: list[FunctionRow]
    calls_by_function: dict[str, int]


class UnreadableProfile(BitsotaError, ValueError):
    pass


def function_label(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    return f"{filename}:{line}({name})"


def summarise(path: str, *, top: int, sort: str, text_filter: str | None) -> FileSummary:
    try:
        stats = pstats.Stats(path)
    except Exception as exc:  # pstats raises several types for missing or foreign files
        raise UnreadableProfile(f"cannot read {path}: {exc}") from None
    rows = []
    for key, (primitive, calls, tottime, cumtime, _callers) in stats.stats.items():
        label = function_label(key)
        if text_filter is None or text_filter in label:
            rows.append(FunctionRow(label, calls, primitive, tottime, cumtime))
    order = {"calls": lambda r: r.ncalls, "tottime": lambda r: r.tottime, "cumtime": lambda r: r.cumtime}[sort]
    rows.sort(key=lambda r: (-order(r), r.function))
    return FileSummary(path, stats.total_calls, stats.prim_calls, stats.total_tt, rows[:top],
                       {row.function: row.ncalls for row in rows})


def comparison(summaries: list[FileSummary]) -> list[dict]:
    """Each function in any file's top list: its calls in every file and the ratio to the first file."""
    functions = sorted({row.function for summary in summaries for row in summary.top})
    first = summaries[0].calls_by_function
    table = []
    for function in functions:
        calls = [summary.calls_by_function.get(function, 0) for summary in summaries]
        base = first.get(function, 0)
        ratios = [round(c / base, 4) if base else None for c in calls]
        table.append({"function": function, "calls": calls, "ratio_to_first": ratios})
    table.sort(key=lambda entry: (-max(entry["calls"]), entry["function"]))
    return table


def _print_text(summaries: list[FileSummary], table: list[dict] | None) -> None:
    for summary in summaries:
        print(f"== {summary.path}")
        print(f"total_calls={summary.total_calls} primitive_calls={summary.primitive_calls} "
              f"total_time={summary.total_time:.6f}s")
        print(f"{'ncalls':>12} {'primitive':>12} {'tottime':>10} {'cumtime':>10}  function")
        for row in summary.top:
            print(f"{row.ncalls:>12} {row.primitive_calls:>12} {row.tottime:>10.6f} {row.cumtime:>10.6f}  {row.function}")
    if table is None:
        return
    base = summaries[0]
    print("== comparison (ratios to the first file)")
    for summary in summaries:
        ratio = summary.total_calls / base.total_calls if base.total_calls else float("nan")
        print(f"{summary.path}: total_calls={summary.total_calls} ratio={ratio:.4f} total_time={summary.total_time:.6f}s")
    for entry in table:
        cells = " ".join(f"{c}" + (f" ({r}x)" if r is not None else "") for c, r in zip(entry["calls"], entry["ratio_to_first"]))
        print(f"{cells}  {entry['function']}")


def _json_document(summaries: list[FileSummary], table: list[dict] | None) -> dict:
    files = [{key: value for key, value in asdict(summary).items() if key != "calls_by_function"}
             for summary in summaries]
    document: dict = {"files": files}
    if table is not None:
        document["comparison"] = table
    return document


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m benchmarks.profiling.pstats_summary",
                                     description="Summarise cProfile .pstats files.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--top", type=int, default=25, help="rows per table")
    parser.add_argument("--sort", choices=SORT_KEYS, default="calls")
    parser.add_argument("--filter", default=None, help="keep functions whose file:line(name) contains this")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.top < 1:
        print("error: --top must be at least 1", file=sys.stderr)
        return 2
    try:
        summaries = [summarise(path, top=args.top, sort=args.sort, text_filter=args.filter) for path in args.files]
    except UnreadableProfile as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    table = comparison(summaries) if len(summaries) > 1 else None
    if args.json:
        print(json.dumps(_json_document(summaries, table)))
    else:
        _print_text(summaries, table)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
