"""devstack's liveness check: a missing pid file means nothing runs, so stopping twice is fine."""

import os
import subprocess
import sys

from devstack.process import pid_alive


def test_no_pid_is_not_alive():
    # read_pid(...) or 0 when the pid file is gone: kill(0) would answer for our own process group.
    assert pid_alive(0) is False


def test_a_running_process_is_alive_and_a_finished_one_is_not():
    assert pid_alive(os.getpid()) is True
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert pid_alive(child.pid) is False
