"""`make audit` (and `make test`): known vulnerabilities in the pinned dependencies, by pip-audit.

Fails on any known vulnerability. When the vulnerability data cannot be reached (no
network, or a package index that serves no such data, as on the development machines)
it says so and passes: an audit that could not look is reported, not faked.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def verdict(report: dict) -> tuple[int, str]:
    """(exit status, what to print) for a pip-audit JSON report."""
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if vulnerable:
        lines = [f"{d['name']} {d.get('version', '')}: {', '.join(v['id'] for v in d['vulns'])}" for d in vulnerable]
        return 1, "audit: known vulnerabilities\n" + "\n".join(lines)
    if dependencies and len(skipped) == len(dependencies):
        return 0, f"audit skipped: no vulnerability data could be reached for the {len(dependencies)} pinned packages"
    audited = len(dependencies) - len(skipped)
    note = f" ({len(skipped)} could not be looked up)" if skipped else ""
    return 0, f"audit: {audited} pinned packages, no known vulnerability{note}"


def main() -> int:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "-r",
        str(ROOT / "requirements.lock"),
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        report = json.loads(done.stdout or "{}")
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        print(f"audit skipped: pip-audit could not run ({type(error).__name__})")
        return 0
    status, message = verdict(report)
    print(message)
    return status


if __name__ == "__main__":
    sys.exit(main())
