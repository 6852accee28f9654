"""Best fitness over time (issue 12 §3): the engine's best, the best verified score and the global SOTA since
this TUI started, drawn with plotext in braille dots, one sample per poll."""

from __future__ import annotations

import plotext
from rich.text import Text
from textual.widgets import Static

from tui.logic.history import downsample
from tui.widgets.text import show

# series key, legend name, colour: one of the 8 terminal colours, so every theme and terminal shows them
# (plotext takes their numbers; its theme leaves "yellow" by name uncoloured)
SERIES = (("engine", "engine", "yellow"), ("verified", "verified", "green"), ("global", "SOTA", "red"))
ANSI_NUMBERS = {"red": 1, "green": 2, "yellow": 3}


def legend() -> Text:
    text = Text("Best fitness  ")
    for _key, name, colour in SERIES:
        text.append("━ ", colour)
        text.append(f"{name}  ")
    return text


def render_chart(history: dict[str, list], width: int, height: int) -> Text:
    """The chart as text of `width` x `height` cells; a message when nothing has been sampled yet."""
    points = max(2, 2 * (width - 8))  # braille: two dots per cell, less the y-axis labels
    series = {key: downsample(history.get(key, []), points) for key, _name, _colour in SERIES}
    if not any(len(values) > 1 for values in series.values()):
        return Text("Waiting for scores: the chart starts with the first samples.", style="dim")
    plotext.clear_figure()
    plotext.limitsize(False, False)  # plotext would clamp the plot to the size of the process's terminal
    plotext.plotsize(width, height)
    plotext.theme("clear")
    plotext.xticks([])
    for key, _name, colour in SERIES:
        values = series[key]
        if len(values) > 1:
            plotext.plot(values, color=ANSI_NUMBERS[colour], marker="braille")
    return Text.from_ansi(plotext.build())


class FitnessChart(Static):
    def on_mount(self) -> None:
        self.border_title = legend()
        self._history: dict[str, list] = {}
        self._drawn: tuple | None = None

    def show(self, history: dict[str, list]) -> None:
        self._history = history
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width, height = self.content_size
        key = (width, height, tuple(len(v) for v in self._history.values()),
               tuple(v[-1] if v else None for v in self._history.values()))
        if width < 10 or height < 3 or key == self._drawn:
            return
        self._drawn = key
        show(self, render_chart(self._history, width, height), fixed_size=True)
