"""DSL text identity for the pool (pool.md §3.2): the normalised text and its SHA-256.

Normalising keeps comments (a `# origin:` line makes a distinct program) but ignores line endings,
trailing whitespace and surrounding blank lines, so the same program pasted twice hashes the same.
"""

from __future__ import annotations

import hashlib


def normalize_dsl(text: str) -> str:
    """`\\n` line endings, trailing whitespace stripped per line, leading and trailing blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def dsl_hash(text: str) -> str:
    """SHA-256 hex of the normalised DSL."""
    return hashlib.sha256(normalize_dsl(text).encode("utf-8")).hexdigest()
