"""``evesim sweep``'s SIGINT handling: the first Ctrl-C stops the sweep, a later one only ends its grace wait."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import Future

import pytest

from evesim.scenario import sweep
from evesim.scenario.cli import CtrlC


def test_the_first_press_stops_and_leaves_ctrl_c_ignored() -> None:
    before = signal.getsignal(signal.SIGINT)
    handler = CtrlC()
    try:
        with handler.handling(), pytest.raises(KeyboardInterrupt):
            handler(signal.SIGINT, None)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # ignored by the OS, also while exiting
    finally:
        signal.signal(signal.SIGINT, before)


def test_the_previous_handler_comes_back_when_nothing_was_pressed() -> None:
    before = signal.getsignal(signal.SIGINT)
    with CtrlC().handling():
        assert isinstance(signal.getsignal(signal.SIGINT), CtrlC)
    assert signal.getsignal(signal.SIGINT) is before


def test_a_press_ends_the_grace_wait_and_ctrl_c_is_ignored_again_after_it() -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as after the first press
    running: Future[list[dict]] = Future()
    running.set_running_or_notify_cancel()
    seen = []
    main = threading.main_thread().ident
    assert main is not None
    threading.Timer(0.05, lambda: signal.pthread_kill(main, signal.SIGINT)).start()  # a second press, during the wait
    try:
        assert sweep._stop({running}, lambda: seen.append(signal.getsignal(signal.SIGINT))) == []
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
    assert seen == [signal.SIG_IGN]  # the workers were asked to stop before the wait
