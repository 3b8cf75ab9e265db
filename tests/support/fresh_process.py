"""Settings as a new process reads them from its environment.

Only the settings module is run, not ``django.setup()``: no setting depends on the apps, and
loading them (``manage.py shell``) cost each such process 0.94 s of CPU, against 0.30 s; ten of
them a run.
"""

import ast
import subprocess
import sys
from collections.abc import Mapping, Sequence

from tests.conftest import ROOT


def settings_in_a_fresh_process(names: Sequence[str], env: Mapping[str, str]) -> dict[str, object]:
    """The named settings of a new process started with exactly ``env`` (plus the settings module)."""
    script = f"from django.conf import settings; print(repr({{n: getattr(settings, n) for n in {tuple(names)!r}}}))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])
