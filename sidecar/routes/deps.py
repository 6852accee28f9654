"""What every route group shares: the SidecarState dependency and limit clamping."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sidecar.state import SidecarState


def sidecar_state(request: Request) -> SidecarState:
    return request.app.state.sidecar


State = Annotated[SidecarState, Depends(sidecar_state)]


def clamp(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)
