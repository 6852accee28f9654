"""The footer: Textual's, rebuilt only when the keys it shows change. Textual rebuilds it on every focus
change (a tab switch that focuses a table, for one), which costs tens of milliseconds of styling while the
keys shown are usually the same."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen) -> tuple:
    return tuple((binding.key, binding.description, enabled)
                 for _node, binding, enabled, _tooltip in screen.active_bindings.values() if binding.show)


class KeysFooter(Footer):
    _shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = shown_keys(screen)
        if shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        super().bindings_changed(screen)
