"""Audience beacon weight: the script the banner loads for Gardien's audience measurement,
minified as `gardien collectstatic` serves it (rjsmin) and compressed with `gzip -9`,
against the sizes Plausible and Simple Analytics publish for their own trackers.

The peers are not installed here (their scripts come from their servers, which this
benchmark does not reach), so their figures are the ones they publish, with the source:

- Plausible: "< 1 KB" (1,024 B), the size its site has long given for `script.js`; a later
  article of its website (`_articles/analytics-script-size.md`) gives 2.5 KB for the script
  with its current features.
- Simple Analytics: `light.js` 1.9 KB and `latest.js` 3.7 KB gzip
  (docs.simpleanalytics.com/light).

The target is 1,000 B gzip (issue: "a beacon of at most 1,000 B gzip").
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import rjsmin

ROOT = Path(__file__).resolve().parent.parent
BEACON = ROOT / "gardien" / "audience" / "static" / "audience" / "beacon.js"
TARGET = 1000
PUBLISHED = [
    ("plausible script.js (published: < 1 KB)", 1024),
    ("plausible script.js (published, later article: 2.5 KB)", 2560),
    ("simple analytics light.js (published: 1.9 KB)", 1946),
    ("simple analytics latest.js (published: 3.7 KB)", 3789),
]


def gzip_size(data: bytes) -> int:
    gz = shutil.which("gzip")
    if gz:
        with tempfile.NamedTemporaryFile(suffix=".js") as file:
            file.write(data)
            file.flush()
            done = subprocess.run([gz, "-9", "-c", file.name], capture_output=True, check=True)
            return len(done.stdout)
    return len(gzip.compress(data, 9))


def run() -> list[dict[str, Any]]:
    served = rjsmin.jsmin(BEACON.read_text(encoding="utf-8")).encode()
    size = gzip_size(served)
    verdict = "within" if size <= TARGET else "OVER"
    print(f"  gardien beacon: {size} B gzip ({len(served)} B minified), {verdict} {TARGET} B")
    rows: list[dict[str, Any]] = [
        {
            "name": "gardien audience beacon, minified, gzip",
            "value": size,
            "unit": "B",
            "baseline": PUBLISHED[0][1],
        }
    ]
    rows += [{"name": name, "value": value, "unit": "B"} for name, value in PUBLISHED]
    return rows


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
