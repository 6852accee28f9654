"""The one error root: every domain error of bitsota subclasses `BitsotaError`.

A process edge (a CLI's `main`, a service's exception handler, a worker thread's top) catches
`BitsotaError` and shows `str(error)` as one line; anything else reaching an edge is a bug and is logged
with its traceback.
"""

from __future__ import annotations


class BitsotaError(Exception):
    """A failure with a one-line message fit for a user: what went wrong and, where known, what to do."""
