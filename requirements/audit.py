"""Runs pip-audit against the runtime lock and says plainly what it could and could not check.

pip-audit skips each package it cannot look up and still ends with "No known vulnerabilities
found", even when it looked up none: a machine that reaches no vulnerability database would
then read as a clean audit. This script reads pip-audit's JSON report instead and exits with
0 only when every locked package was checked and none is known vulnerable.

Exit codes: 0 every package checked, none vulnerable; 1 a known vulnerability; 2 some or all
packages could not be checked (no verdict for them), or pip-audit failed.

Usage: python requirements/audit.py PIP_AUDIT LOCK [pip-audit options, e.g. -s osv]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CLEAN, VULNERABLE, UNCHECKED = 0, 1, 2


def verdict(report: dict[str, Any]) -> tuple[int, list[str]]:
    """The exit code and the lines to print for a pip-audit JSON report.

    A vulnerability is reported even when other packages went unchecked: it is the one
    finding that needs acting on first.
    """
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    checked = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in checked if d.get("vulns")]
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            lines.append(
                f"VULNERABLE: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})"
            )
    if not checked:
        lines.append(
            f"NOTHING WAS CHECKED: none of the {len(dependencies)} locked packages could be "
            "looked up in a vulnerability database (is it reachable from this machine?). "
            "This is not a pass."
        )
        for dep in skipped:
            lines.append(f"  not checked: {dep['skip_reason']}")
        return (VULNERABLE if vulnerable else UNCHECKED), lines
    if skipped:
        lines.append(
            f"INCOMPLETE: {len(skipped)} of {len(dependencies)} locked packages could not be "
            "checked; no verdict for them:"
        )
        lines.extend(f"  not checked: {dep['skip_reason']}" for dep in skipped)
    if vulnerable:
        return VULNERABLE, lines
    if skipped:
        lines.append(f"No known vulnerability in the {len(checked)} packages checked.")
        return UNCHECKED, lines
    lines.append(f"Every locked package checked ({len(checked)}): no known vulnerability.")
    return CLEAN, lines


def main(argv: list[str]) -> int:
    pip_audit, lock, *extra = argv
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [pip_audit, "-r", lock, "--require-hashes", "--disable-pip", "--progress-spinner",
                   "off", "-f", "json", "-o", str(out), *extra]  # fmt: skip
        # Its own output ends with "No known vulnerabilities found" even when it checked
        # nothing: it is shown only when pip-audit failed. It exits 1 on a vulnerability too:
        # the report, when written, decides.
        done = subprocess.run(command, check=False, capture_output=True, text=True)  # noqa: S603
        if not out.exists():
            sys.stderr.write(done.stdout + done.stderr)
            print(
                f"pip-audit failed (exit {done.returncode}): nothing was checked.", file=sys.stderr
            )
            return UNCHECKED
        report = json.loads(out.read_text())
    code, lines = verdict(report)
    print("\n".join(lines), file=sys.stdout if code == CLEAN else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
