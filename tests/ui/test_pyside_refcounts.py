"""Guards a PySide6 defect that crashes long sessions on Python 3.11.

PySide6 6.12.0 drops a reference to None on every call of a method returning nothing (setText,
setEnabled …) and to True on every signal emitted from Python. From Python 3.12 None and True are
immortal and nothing happens; on 3.11 their counts fall until the interpreter aborts ("Fatal
Python error: deallocating None"), after a few hundred answers on the review page. setup.cfg
excludes that release on Python 3.11.
"""

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLineEdit


class _Emitter(QObject):
    happened = Signal(bool)


def test_void_calls_keep_none_alive(qtbot):
    edit = QLineEdit()
    qtbot.addWidget(edit)
    before = sys.getrefcount(None)
    for index in range(1000):
        edit.setText(str(index))
        edit.setEnabled(index % 2 == 0)
    assert sys.getrefcount(None) >= before - 10  # a few may go to caches; the defect loses 2,000


def test_signal_emits_keep_true_alive():
    emitter = _Emitter()
    received = []
    emitter.happened.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(1000):
        emitter.happened.emit(True)
    assert len(received) == 1000
    received.clear()
    assert sys.getrefcount(True) >= before - 10
