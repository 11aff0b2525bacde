"""Banner weight: what a visitor downloads for the cookie banner, Gardien against its peers.

Each file is compressed on its own with `gzip -9 <file>` (the command, which keeps the file
name in the header: that is how Orejime's published 14,704 B is measured; Python's zlib,
a few bytes off, only when there is no gzip command), and the sizes are summed: script +
stylesheet + one language's strings, French where there is one.

Files counted:
- gardien: gardien/consent/static/consent/gardien.js, gardien.css, minified as
  `gardien collectstatic` serves them (rjsmin, rcssmin), and the `text` object of
  the French configuration document as compact JSON ("fr.json"), built by
  gardien.consent.config.build_document from the Coopo manifest; when that builder cannot
  run, from the fixture bench/peers/gardien-config-coopo-fr.json (said on one line).
- orejime 3.2.1: dist/orejime-standard-fr.js (the script with its French strings built in)
  + dist/orejime-standard.css.
- tarteaucitronjs: tarteaucitron.min.js + tarteaucitron.services.min.js (the services
  catalogue, which tarteaucitron.js always loads) + css/tarteaucitron.min.css
  + lang/tarteaucitron.fr.min.js.
- vanilla-cookieconsent (v3): dist/cookieconsent.umd.js + dist/cookieconsent.css; it ships
  no strings (the site writes its own in the configuration), so none are counted.
- klaro: dist/klaro-no-css.js (Klaro ships no one-language build: every translation is in
  it; its "no-translations" build is no smaller) + dist/klaro.min.css.

The peers are the packages pinned in bench/peers/package.json; `npm install` runs there when
node_modules is missing. Without npm, the peers are skipped and Orejime's published figure
is the baseline.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import rcssmin
import rjsmin

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "gardien" / "consent" / "static" / "consent"
PEERS = ROOT / "bench" / "peers"
MODULES = PEERS / "node_modules"
FIXTURE = PEERS / "gardien-config-coopo-fr.json"
BUDGET = 7000
GZIP = shutil.which("gzip")
OREJIME_PUBLISHED = 14704  # orejime 3.2.1, orejime-standard-fr.js + orejime-standard.css

PEER_FILES = {
    "orejime": ["dist/orejime-standard-fr.js", "dist/orejime-standard.css"],
    "tarteaucitronjs": [
        "tarteaucitron.min.js",
        "tarteaucitron.services.min.js",
        "css/tarteaucitron.min.css",
        "lang/tarteaucitron.fr.min.js",
    ],
    "vanilla-cookieconsent": ["dist/cookieconsent.umd.js", "dist/cookieconsent.css"],
    "klaro": ["dist/klaro-no-css.js", "dist/klaro.min.css"],
}

# Run in a child process: Django is set up there with the project's settings, and a later
# benchmark in this process (bench_vault) stays free to set up its own database.
BUILD_TEXT = """
import json, os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gardien.settings")
django.setup()
from django.conf import settings
from gardien.consent.config import build_document
from gardien.manifest import load_path
document = build_document(load_path(settings.GARDIEN_MANIFEST), 1, "fr", None)
sys.stdout.write(json.dumps(document["text"], ensure_ascii=False))
"""


def gzip_size(path: Path) -> int:
    """Size of `gzip -9 <path>`."""
    if GZIP:
        done = subprocess.run([GZIP, "-9", "-c", str(path)], capture_output=True, check=True)
        return len(done.stdout)
    out = io.BytesIO()
    with gzip.GzipFile(filename=path.name, mode="wb", compresslevel=9, fileobj=out) as f:
        f.write(path.read_bytes())
    return len(out.getvalue())


def french_strings() -> tuple[bytes, str]:
    """The French `text` of the configuration document as served, and where it came from."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", BUILD_TEXT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        done = None
    if done is not None and done.returncode == 0:
        text = json.loads(done.stdout)
        source = "gardien.consent.config.build_document (Coopo manifest)"
    else:
        reason = done.stderr.decode().strip().splitlines()[-1:] if done else ["timed out"]
        print(
            "  the configuration builder did not run "
            f"({' '.join(reason) or 'no reason given'}); French strings from {FIXTURE.name}"
        )
        text = json.loads(FIXTURE.read_text())["text"]
        source = f"bench/peers/{FIXTURE.name}"
    compact = json.dumps(text, ensure_ascii=False, separators=(",", ":")).encode()
    return compact, source


def peers_installed() -> bool:
    """node_modules in bench/peers, installing it first when npm is there."""
    if all((MODULES / package / "package.json").exists() for package in PEER_FILES):
        return True
    npm = shutil.which("npm")
    if npm is None:
        print("  npm is not installed: peers skipped (install Node.js to compare with them)")
        return False
    print("  installing the peers with npm in bench/peers …", flush=True)
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund"], cwd=PEERS, capture_output=True, text=True
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"  npm install failed ({last}): peers skipped")
        return False
    return True


def measure(files: list[Path], base: Path) -> tuple[int, list[dict[str, Any]]]:
    """Total gzip size of ``files``, and each file's size named relative to ``base``."""
    sizes: list[dict[str, Any]] = [
        {"file": str(f.relative_to(base)), "bytes": f.stat().st_size, "gzip": gzip_size(f)}
        for f in files
    ]
    return sum(s["gzip"] for s in sizes), sizes


def run() -> list[dict[str, Any]]:
    strings, source = french_strings()
    with tempfile.TemporaryDirectory() as tmp:
        fr_json = Path(tmp) / "fr.json"
        fr_json.write_bytes(strings)
        code_files = []
        for name, minify in (("gardien.js", rjsmin.jsmin), ("gardien.css", rcssmin.cssmin)):
            served = Path(tmp) / name
            served.write_text(minify((STATIC / name).read_text(encoding="utf-8")))
            code_files.append(served)
        code, code_sizes = measure(code_files, Path(tmp))
        text, text_sizes = measure([fr_json], Path(tmp))
    total = code + text

    peers: list[dict[str, Any]] = []
    baseline = OREJIME_PUBLISHED
    if peers_installed():
        for package, paths in PEER_FILES.items():
            folder = MODULES / package
            version = json.loads((folder / "package.json").read_text())["version"]
            value, files = measure([folder / p for p in paths], MODULES)
            if (package, version) == ("orejime", "3.2.1"):
                baseline = value
            name = f"{package} {version} (js+css+fr), gzip"
            peers.append({"name": name, "value": value, "unit": "B", "files": files})

    verdict = "within" if total <= BUDGET else "OVER"
    print(f"  gardien banner: {total} B, {verdict} the {BUDGET} B budget; strings from {source}")
    gardien = {
        "name": "gardien banner (js+css+fr), gzip",
        "value": total,
        "unit": "B",
        "baseline": baseline,
        "files": code_sizes + text_sizes,
    }
    return [gardien, *peers]


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
