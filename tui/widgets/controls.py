"""Mining controls (tui.md §3.1): task type, pool mode, workers, Start/Stop and Save as default."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, RadioButton, RadioSet, Select, Static

TASK_CHOICES = (("CIFAR-10 Binary", "cifar10_binary"), ("MNIST Binary", "mnist_binary"),
                ("Scalar Linear", "scalar_linear"), ("Pool", "pool"))
TASK_LABELS = {value: label for label, value in TASK_CHOICES}
SHORT_SCALAR_NOTICE = "⚠ Needs --local: see logs"
SCALAR_NOTICE = ("Public validators cannot score scalar_linear suites of 128 tasks: use --local, or a test relay "
                 "whose validators run with VALIDATOR_TASK_COUNT <= 8 or scalar_linear_large_suite \"extended\".")


def worker_choices(default: int) -> list[tuple[str, int]]:
    return [(str(n), n) for n in sorted({1, 2, 4, 8, max(1, default)})]


class MiningControls(Vertical):
    class StartStop(Message):
        pass

    class SaveDefault(Message):
        pass

    class TaskChanged(Message):
        def __init__(self, task_type: str) -> None:
            super().__init__()
            self.task_type = task_type

    def __init__(self, task_type: str, workers: int, default_workers: int, pool_mode: str = "task", **kwargs) -> None:
        super().__init__(**kwargs)
        self._task_type, self._workers, self._default = task_type, workers, default_workers
        self._pool_mode = pool_mode

    def compose(self) -> ComposeResult:
        with Horizontal(classes="control-row"):
            yield Label("Task", classes="control-label")
            yield Select(TASK_CHOICES, value=self._task_type, allow_blank=False, compact=True, id="task-type")
        with RadioSet(id="pool-mode"):
            yield RadioButton("Task", value=self._pool_mode != "lease", id="pool-task")
            yield RadioButton("Lease", value=self._pool_mode == "lease", id="pool-lease")
        with Horizontal(classes="control-row"):
            yield Label("Workers", classes="control-label")
            yield Select(worker_choices(self._default), value=self._workers, allow_blank=False, compact=True,
                         id="workers")
        with Vertical(id="control-buttons"):
            yield Button("Start Mining", variant="success", id="start-stop")
            yield Button("Save as default", id="save-default")
        yield Static("", id="task-notice")

    def on_mount(self) -> None:
        self._show_task_extras(self._task_type)

    @property
    def task_type(self) -> str:
        return str(self.query_one("#task-type", Select).value)

    @property
    def pool_mode(self) -> str:
        """`task` or `lease`: which pool coordinator a pool run uses."""
        return "lease" if self.query_one("#pool-lease", RadioButton).value else "task"

    @property
    def worker_count(self) -> int:
        return int(str(self.query_one("#workers", Select).value))  # the select has no blank option

    def set_task_type(self, task_type: str) -> None:
        self.query_one("#task-type", Select).value = task_type

    def set_workers(self, workers: int) -> None:
        select = self.query_one("#workers", Select)
        if workers not in [value for _, value in worker_choices(self._default)]:
            self._default = workers
            select.set_options(worker_choices(workers))
        select.value = workers

    def set_pool_mode(self, mode: str) -> None:
        self.query_one("#pool-lease" if mode == "lease" else "#pool-task", RadioButton).value = True

    def set_running(self, running: bool) -> None:
        button = self.query_one("#start-stop", Button)
        label = "Stop Mining" if running else "Start Mining"
        if str(button.label) == label and self.query_one("#workers", Select).disabled == running:
            return  # unchanged: no repaint
        button.label = label
        button.variant = "error" if running else "success"
        self.query_one("#task-type", Select).disabled = running
        self.query_one("#workers", Select).disabled = running
        self.query_one("#pool-mode", RadioSet).disabled = running

    def show_scalar_notice(self, show: bool) -> None:
        """A one-line notice here; the app logs the full text (SCALAR_NOTICE)."""
        self.query_one("#task-notice", Static).update(SHORT_SCALAR_NOTICE if show else "")

    def _show_task_extras(self, task_type: str) -> None:
        self.query_one("#pool-mode", RadioSet).display = task_type == "pool"

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "task-type" and event.value is not Select.BLANK:
            self._show_task_extras(str(event.value))
            self.post_message(self.TaskChanged(str(event.value)))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.StartStop() if event.button.id == "start-stop" else self.SaveDefault())
