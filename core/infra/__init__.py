"""The service kit shared by the relay, the pool and the sidecar: settings words and URLs, database set-up,
migrations, ASGI guards, uvicorn serving with timeouts, canonical signatures and the replay ledger.

Each service keeps only what is its own; plumbing that two services need lives here, so a fix is made once.
"""
