"""One TLS context per process, shared by every HTTP client we make.

Building a context loads the CA bundle, about 35 ms of CPU; the TUI and the submitter make short-lived
clients on every poll, so each would pay that again and again. The bundle is certifi's, as httpx's own default.
"""

from __future__ import annotations

import functools
import ssl

import certifi


@functools.cache
def client_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())
