"""Reading the GUI's lock without Qt: a live holder refuses, a crashed one on this computer does not, one
on another computer cannot be checked and so refuses; --wait waits for the lock to go."""

from __future__ import annotations

import os
import socket

import pytest

from audit_app.services import locks


def _lock(path, pid, host):
    locks.lock_path(path).write_text(f"{pid}\naudit-app\n{host}\nmachine\nboot\n", encoding="utf-8")


def test_no_lock_means_nobody(tmp_path):
    assert locks.holder(tmp_path / "a.audit") is None


def test_a_live_process_here_holds_it_and_is_named(tmp_path):
    path = tmp_path / "a.audit"
    _lock(path, os.getpid(), socket.gethostname())
    locks.who_path(path).write_text('{"name": "Ann Reviewer", "staff_number": "101", "os_account": "ann", '
                                    f'"pid": {os.getpid()}}}', encoding="utf-8")
    found = locks.holder(path)
    assert found == locks.Holder(os.getpid(), socket.gethostname(), "Ann Reviewer (101)", "ann")
    with pytest.raises(locks.AuditInUseError, match=r"Ann Reviewer \(101\) has a.audit open in audit-app on "):
        locks.refuse_if_open(path)


def test_a_crashed_copy_on_this_computer_does_not_block(tmp_path):
    path = tmp_path / "a.audit"
    _lock(path, 2 ** 22 + 12345, socket.gethostname())  # above Linux's default pid_max: no such process
    assert locks.holder(path) is None
    locks.refuse_if_open(path)


def test_a_copy_on_another_computer_cannot_be_checked_so_it_blocks(tmp_path):
    path = tmp_path / "a.audit"
    _lock(path, 4242, "another-pc")
    assert locks.holder(path) == locks.Holder(4242, "another-pc", "", "")
    with pytest.raises(locks.AuditInUseError, match="a.audit is already open in audit-app on another-pc"):
        locks.refuse_if_open(path)


def test_wait_waits_for_the_lock_to_go(tmp_path):
    path = tmp_path / "a.audit"
    _lock(path, 4242, "another-pc")
    slept = []

    def sleep(seconds):  # the window closes while the command waits
        slept.append(seconds)
        locks.lock_path(path).unlink()

    locks.refuse_if_open(path, wait=30, sleep=sleep)
    assert slept
