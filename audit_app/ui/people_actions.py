"""Actions on who is working at this computer: asked the first time, changed from the People menu,
and recorded on every change they make (an open audit is reopened as the new person). The People
menu is declared at the end."""

from __future__ import annotations

from audit_app.ui.dialogs import IdentityDialog
from audit_app.ui.menu_actions import Command, Menu, Workbench


def ensure_identity(bench: Workbench) -> bool:
    """Ask who is working the first time (returns False if they decline)."""
    if bench.identity is None:
        return change_identity(bench)
    bench.show_identity()
    return True


def change_identity(bench: Workbench) -> bool:
    """Ask who is working; an open audit is closed and opened again for them."""
    dialog = IdentityDialog(bench.identity, bench.window())
    if dialog.exec() != IdentityDialog.DialogCode.Accepted:
        return False
    bench.identity = dialog.identity()
    bench.settings.set_identity(bench.identity)
    if bench.session is not None:
        path = bench.session.path
        bench.close_audit()
        bench.open_audit_file(str(path))
    bench.show_identity()
    return True


MENU = Menu("&People", (Command("&Who is working…", change_identity, "Ctrl+Shift+U"),))
