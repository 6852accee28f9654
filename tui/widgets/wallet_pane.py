"""The Wallet tab (tui.md §3.2, §4): discovered wallet/hotkey pairs, selecting one (asking for the password
of an encrypted hotkey), creating a TEST hotkey, importing one, and setting the coldkey address."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.logic.files import bitsota_home, read_json_object
from tui.logic.wallets import (
    WalletEntry,
    create_test_keys,
    discover,
    ensure_local_keys,
    find,
    import_hotkey,
    load_keypair,
    search_roots,
    short_address,
)
from tui.messages import WalletSelected
from tui.services.session import WalletLocked
from tui.widgets.modals import ColdkeyModal, ImportModal, MessageModal, NewHotkeyModal, PasswordModal

COLUMNS = ("", "wallet", "hotkey", "address", "coldkey", "source", "encrypted")
ACTIVE = "●"
HELP = "Enter select · n new test hotkey · i import · k set coldkey · c copy address · r rescan"


class WalletPane(Vertical):
    def __init__(self, session, args, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session, self.args = session, args
        self.wallets: list[WalletEntry] = []

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="wallet-help")
        yield DataTable(id="wallet-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#wallet-table", DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column or "active")

    def load_initial(self) -> None:
        """The wallet to start with: the `--local` keys, `--wallet`/`--hotkey`, else the last one used."""
        self.rescan()
        if self.session.keypair is not None:
            return
        if self.session.config.local and not self.args.wallet:
            local_entry = ensure_local_keys()
            self.rescan()  # the first --local run has just created these keys
            self.select(local_entry)
            return
        saved = read_json_object(bitsota_home() / "wallet_settings.json")
        wallet = self.args.wallet or saved.get("last_wallet")
        hotkey = self.args.hotkey or (saved.get("last_hotkey") if not self.args.wallet else None)
        entry = find(self.wallets, wallet, hotkey) if wallet else None
        if entry is not None:
            self.select(entry)

    def rescan(self) -> None:
        self.wallets = discover(search_roots(self.args.wallet_path))
        table = self.query_one("#wallet-table", DataTable)
        table.clear()
        home = str(Path.home())
        active = self.session.wallet.key if self.session.wallet else None
        for entry in self.wallets:
            source = str(entry.root).replace(home, "~", 1)
            label = f"{entry.wallet} (TEST)" if entry.is_test else entry.wallet
            table.add_row(ACTIVE if entry.key == active else "", label, entry.hotkey, entry.address or "-",
                          entry.coldkey or "-", source, "yes" if entry.encrypted else "no", key=entry.key)

    def mark_active(self) -> None:
        """The ● in the first column follows the loaded wallet."""
        table = self.query_one("#wallet-table", DataTable)
        active = self.session.wallet.key if self.session.wallet else None
        for entry in self.wallets:
            if entry.key in table.rows:
                table.update_cell(entry.key, "active", ACTIVE if entry.key == active else "")

    def _password_answer(self, entry: WalletEntry, password: str | None) -> None:
        if password is not None:  # None: the modal was cancelled
            self.select(entry, password)

    def select(self, entry: WalletEntry, password: str | None = None) -> None:
        if entry.encrypted and password is None:
            self.app.push_screen(PasswordModal(f"{entry.wallet}/{entry.hotkey}"),
                                 partial(self._password_answer, entry))
            return
        try:
            keypair = load_keypair(entry, password)
        except Exception as exc:
            self.session.log(f"ERROR: {exc}")
            self.notify(str(exc), severity="error")
            return
        try:
            self.session.use_wallet(entry, keypair, password)
        except WalletLocked as exc:
            self.session.log(f"[warning] {exc}")
            self.notify(str(exc), severity="warning")
            return
        self.session.log(f"Wallet loaded: {entry.wallet}/{entry.hotkey} ({short_address(entry.address)})")
        self.mark_active()
        self.post_message(WalletSelected())

    @on(DataTable.RowSelected, "#wallet-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        entry = next((e for e in self.wallets if e.key == event.row_key.value), None)
        if entry is not None:
            self.select(entry)

    def new_hotkey(self) -> None:
        def create(name: str | None) -> None:
            if not name:
                return
            keys = create_test_keys(name)
            self.rescan()
            self.select(keys.entry)
            self.app.push_screen(MessageModal(
                "TEST keys created: write these mnemonics down now, they are shown once",
                f"coldkey: {keys.coldkey_mnemonic}\nhotkey:  {keys.hotkey_mnemonic}"))

        self.app.push_screen(NewHotkeyModal(), create)

    def import_hotkey(self) -> None:
        def imported(answer) -> None:
            if not answer:
                return
            entry = import_hotkey(*answer)
            self.rescan()
            self.select(entry)
            self.notify(f"Imported {entry.wallet}/{entry.hotkey}")

        self.app.push_screen(ImportModal(), imported)

    def set_coldkey(self) -> None:
        self.app.push_screen(ColdkeyModal(), lambda address: address and self.session.set_coldkey(address))
