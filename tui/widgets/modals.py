"""The modals of tui.md §3.3. Each returns its answer through `dismiss` (None = cancelled)."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from tui.logic.wallets import check_coldkey, check_mnemonic, check_name
from tui.widgets.footer import KeysFooter

WELCOME = """\
[b]Welcome to bitsota-tui[/b]

Mining evolves small machine-learning programs on this machine. Candidates that beat the global SOTA \
are signed with your hotkey and submitted to the relay; validators re-score them and vote.

• Direct mining needs a registered hotkey: btcli subnet register --netuid 94 --wallet.name … --wallet.hotkey …
• Pool mining needs no registration.
• Keys: s start/stop · 1-5 tabs · ctrl+p commands · ? help · q quit.

Press Escape to close; the palette's "User guide" shows this again."""

INVITE_TEXT = ("You're early. Unlock mining access with an invite code dropped during our Twitter events "
               "and giveaways")


class Dialog(ModalScreen):
    """A centred dialog box; Escape cancels; its own footer shows the keys that work inside it."""

    BINDINGS = [Binding("escape", "cancel", "Close", id="modal.cancel", tooltip="Close this dialog")]

    def on_mount(self) -> None:
        self.mount(KeysFooter())

    def action_cancel(self) -> None:
        self.dismiss(None)


class WelcomeModal(Dialog):
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog"):
            yield Static(WELCOME, id="welcome-text")
            yield Button("Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class MessageModal(Dialog):
    """Error details, update notices and selectable copies (the text can be selected and copied)."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self._title, self._text = title, text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog"):
            yield Label(self._title, classes="dialog-title")
            yield TextArea(self._text, read_only=True, id="message-text")
            yield Button("Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class QuitModal(Dialog):
    """Stop & quit (focused default) / Leave running & quit / Cancel; the title says whether a run is mining
    or only services (sidecar, `--local` relay and validator) are left."""

    def __init__(self, mining: bool = True) -> None:
        super().__init__()
        self._title = "Mining is running." if mining else "Mining is stopped; background services are running."

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            with Horizontal(classes="buttons"):
                yield Button("Stop & quit", variant="error", id="stop")
                yield Button("Leave running & quit", id="leave")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#stop", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)


class InviteModal(Dialog):
    """One input, upper-cased, [A-Z0-9], 8-16 characters; `submit(code)` returns an error text or None."""

    def __init__(self, submit: Callable[[str], str | None]) -> None:
        super().__init__()
        self._submit = submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Invite code", classes="dialog-title")
            yield Static(INVITE_TEXT)
            yield Input(placeholder="INVITE CODE", max_length=16, restrict=r"[A-Za-z0-9]*", id="invite-code")
            yield Static("", id="invite-error", classes="error-text")
            with Horizontal(classes="buttons"):
                yield Button("Unlock", variant="primary", id="unlock", disabled=True)
                yield Button("Cancel", id="cancel")

    @on(Input.Changed, "#invite-code")
    def _changed(self, event: Input.Changed) -> None:
        upper = event.value.upper()
        if upper != event.value:
            event.input.value = upper
        self.query_one("#unlock", Button).disabled = len(upper) < 8

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#unlock")
    @on(Input.Submitted, "#invite-code")
    def _unlock(self) -> None:
        code = self.query_one("#invite-code", Input).value.upper()
        if len(code) < 8:
            return
        self.query_one("#unlock", Button).disabled = True
        self.run_worker(lambda: self._check(code), thread=True, exclusive=True)

    def _check(self, code: str) -> None:
        error = self._submit(code)
        self.app.call_from_thread(self._answer, code, error)

    def _answer(self, code: str, error: str | None) -> None:
        if error is None:
            self.dismiss(code)
            return
        self.query_one("#invite-error", Static).update(error)
        self.query_one("#unlock", Button).disabled = False
        self.query_one("#invite-code", Input).focus()


class ColdkeyModal(Dialog):
    """Coldkey address required: Submit (validated) or Skip for now."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Coldkey address required", classes="dialog-title")
            yield Static("Rewards go to your coldkey. Enter its SS58 address (starts with 5).")
            yield Input(placeholder="5…", max_length=48, id="coldkey")
            yield Static("", id="coldkey-error", classes="error-text")
            with Horizontal(classes="buttons"):
                yield Button("Submit", variant="primary", id="submit")
                yield Button("Skip for now", id="skip")

    @on(Button.Pressed, "#skip")
    def _skip(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted, "#coldkey")
    def _submit(self) -> None:
        address = self.query_one("#coldkey", Input).value.strip()
        error = check_coldkey(address)
        if error:
            self.query_one("#coldkey-error", Static).update(error)
            return
        self.dismiss(address)


class PasswordModal(Dialog):
    def __init__(self, wallet_label: str) -> None:
        super().__init__()
        self._label = wallet_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Password for {self._label}", classes="dialog-title")
            yield Input(password=True, id="password")
            with Horizontal(classes="buttons"):
                yield Button("Unlock", variant="primary", id="unlock")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#unlock")
    @on(Input.Submitted, "#password")
    def _unlock(self) -> None:
        self.dismiss(self.query_one("#password", Input).value)


class DatasetModal(Dialog):
    """Data set unavailable: the exact error, the data dir, Retry / Cancel."""

    def __init__(self, error: str, data_dir: str) -> None:
        super().__init__()
        self._error, self._data_dir = error, data_dir

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog"):
            yield Label("Data set unavailable", classes="dialog-title")
            yield TextArea(self._error, read_only=True, id="dataset-error")
            yield Static(f"Data directory: {self._data_dir}")
            with Horizontal(classes="buttons"):
                yield Button("Retry", variant="primary", id="retry")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "retry")


class ImportModal(Dialog):
    """Import a hotkey: name, masked mnemonic, optional coldkey; answers (name, mnemonic, coldkey)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog"):
            yield Label("Import hotkey", classes="dialog-title")
            yield Input(placeholder="hotkey name", id="import-name")
            yield Input(placeholder="mnemonic (12-24 words)", password=True, id="import-mnemonic")
            yield Input(placeholder="coldkey address (optional)", id="import-coldkey")
            yield Static("", id="import-error", classes="error-text")
            with Horizontal(classes="buttons"):
                yield Button("Import", variant="primary", id="import")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#import")
    @on(Input.Submitted)
    def _import(self) -> None:
        name = self.query_one("#import-name", Input).value.strip()
        words = " ".join(self.query_one("#import-mnemonic", Input).value.split())
        coldkey = self.query_one("#import-coldkey", Input).value.strip() or None
        error = check_name(name) or check_mnemonic(words) or (check_coldkey(coldkey) if coldkey else None)
        if error:
            self.query_one("#import-error", Static).update(error)
            return
        self.dismiss((name, words, coldkey))


class NewHotkeyModal(Dialog):
    """Create a test hotkey: the wallet name is editable; answers the name."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New TEST hotkey", classes="dialog-title")
            yield Static("Creates an unencrypted coldkey and hotkey in ~/.bitsota/wallets (no chain involved).")
            yield Label("Wallet name (Enter creates it)")
            yield Input(value="bitsota-test", id="new-wallet-name", select_on_focus=False)
            yield Static("", id="new-error", classes="error-text")
            with Horizontal(classes="buttons"):
                yield Button("Create", variant="primary", id="create")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#create")
    @on(Input.Submitted, "#new-wallet-name")
    def _create(self) -> None:
        name = self.query_one("#new-wallet-name", Input).value.strip()
        error = check_name(name)
        if error:
            self.query_one("#new-error", Static).update(error)
            return
        self.dismiss(name)


def relay_answer_text(response: dict | None) -> str:
    """The relay's answer as `key value` pairs, the unknown ones left out; `-` before any answer."""
    if not response:
        return "-"
    return " · ".join(f"{key} {value}" for key, value in response.items() if value not in (None, ""))


class SaveAsModal(Dialog):
    """Where to save a file: the path is editable; an existing file is not overwritten. Answers the path."""

    def __init__(self, title: str, suggested: str) -> None:
        super().__init__()
        self._title, self._suggested = title, suggested

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog"):
            yield Label(self._title, classes="dialog-title")
            yield Input(value=self._suggested, id="save-path", select_on_focus=False)
            yield Static("", id="save-error", classes="error-text")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#save-path")
    def _save(self) -> None:
        from pathlib import Path

        path = Path(self.query_one("#save-path", Input).value.strip()).expanduser()
        error = ("Enter a file name." if not path.name else f"{path} exists: choose another name." if path.exists()
                 else f"{path.parent} is not a directory." if path.parent.exists() and not path.parent.is_dir()
                 else None)
        if error:
            self.query_one("#save-error", Static).update(error)
            return
        self.dismiss(str(path))


class CandidateModal(Dialog):
    """Candidate detail: DSL (read-only, copyable), strict-check issues, suite, relay response; actions."""

    BINDINGS = Dialog.BINDINGS + [Binding("c", "copy", "Copy DSL", id="candidate.copy", tooltip="Copy the DSL")]

    def __init__(self, row, issues: list[str]) -> None:
        super().__init__()
        self.row, self._issues = row, issues

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(classes="dialog wide-dialog"):
            yield Label(f"Candidate #{row.seq} · w{row.worker} iter {row.iteration} · {row.task}",
                        classes="dialog-title")
            yield TextArea(row.candidate.get("algorithm_dsl") or "", read_only=True, id="candidate-dsl")
            with VerticalScroll(id="candidate-facts"):
                yield Static(f"status {row.status} {row.reason}".rstrip())
                yield Static(f"suite {row.suite} · verified {row.verified} · eval {row.eval_score}")
                yield Static("issues: " + ("; ".join(self._issues) if self._issues else "none"))
                yield Static(f"relay answer: {relay_answer_text(row.response)}")
            with Horizontal(classes="buttons"):
                yield Button("Copy DSL", id="copy")
                yield Button("Save as…", id="save")
                yield Button("Re-verify", id="reverify")
                yield Button("Close", variant="primary", id="close")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.row.candidate.get("algorithm_dsl") or "")
        self.notify("DSL copied (OSC 52)")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.dismiss(None if event.button.id == "close" else event.button.id)

