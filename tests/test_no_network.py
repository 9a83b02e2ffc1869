"""No network: importing, sampling, reviewing, results, verify and the GUI open no network socket.

A Python audit hook (PEP 578) sees every socket the interpreter creates, connects, binds or resolves
a name for; the commands run in a child process with the hook installed first. Local pipes between
the import's two processes (AF_UNIX socket pairs) are not network and are allowed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import ROOT

HOOKED = textwrap.dedent("""
    import json, socket, sys
    seen = []
    def hook(event, args):
        if event == "socket.__new__" and args[1] not in (socket.AF_UNIX,):
            seen.append([event, str(args[1])])
        elif event in ("socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo",
                       "socket.gethostbyname", "socket.getnameinfo"):
            if not (event in ("socket.connect", "socket.bind") and isinstance(args[1], (str, bytes))):  # AF_UNIX paths
                seen.append([event, repr(args[1:])[:80]])
    sys.addaudithook(hook)
    from audit_app.cli import main
    codes = []
    for argv in json.loads(sys.argv[1]):
        try:
            codes.append(main(argv))
        except SystemExit as exc:
            codes.append(exc.code)
    print(json.dumps({"codes": codes, "seen": seen}))
""")


def test_the_commands_open_no_network_socket(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    from synthetic_audit import build

    built = build(tmp_path / "n.audit", files=12, double=2, seed=3)
    audit = str(built.path)
    commands = [
        ["demo", "--path", str(tmp_path / "demo.audit"), "--no-gui"],  # import, sample, reviews, moderation
        ["stats", audit, "--json"], ["agreement", audit, "--json"], ["verify", audit],
        ["backup", audit, str(tmp_path / "copy.audit")],
        ["responses", "import", audit, str(tmp_path / "n-responses.csv")],
    ]
    run = subprocess.run([sys.executable, "-c", HOOKED, json.dumps(commands)], capture_output=True, text=True,
                         cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["seen"] == []
    assert result["codes"][:5] == [0, 0, 0, 0, 0]


def test_the_gui_opens_no_network_socket(tmp_path):
    script = textwrap.dedent(f"""
        import json, socket, sys
        seen = []
        def hook(event, args):
            if event == "socket.__new__" and args[1] != socket.AF_UNIX or event in ("socket.getaddrinfo", "socket.connect") \\
                    and not isinstance(args[1], (str, bytes)):
                seen.append(event)
        sys.addaudithook(hook)
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from audit_app.services.demo import ensure_demo
        from audit_app.ui.main_window import MainWindow
        from audit_app.ui.ui_settings import Identity, UiSettings
        from audit_app.ui.workers import wait_for_tasks
        path = ensure_demo({str(tmp_path / 'g.audit')!r}).path
        settings = UiSettings(QSettings({str(tmp_path / 'ui.ini')!r}, QSettings.Format.IniFormat))
        settings.set_identity(Identity("Pat Lead", "P9", "lead"))
        window = MainWindow(settings)
        window.show()
        window.open_audit_file(str(path))
        window.show_results()
        wait_for_tasks()
        app.processEvents()
        window.close()
        print(json.dumps(seen))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=600,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []
