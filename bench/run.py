"""Run every benchmark in bench/ and print a table; results go to bench/results/*.json.

A benchmark is a module ``bench/bench_*.py`` with a function ``run() -> list[dict]``;
each dict is one measured row: ``{"name": ..., "value": ..., "unit": ..., "baseline": ...}``
where ``baseline`` (optional) is the bare figure measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(names: list[str]) -> list[Path]:
    files = sorted(HERE.glob("bench_*.py"))
    if names:
        files = [f for f in files if f.stem.removeprefix("bench_") in names]
    return files


def load(file: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(file.stem, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(rows: list[dict]) -> str:
    header = ("benchmark", "measure", "value", "baseline", "ratio")
    lines = [header]
    for row in rows:
        baseline = row.get("baseline")
        ratio = f"{row['value'] / baseline:.2f}" if baseline else ""
        lines.append(
            (
                row["bench"],
                row["name"],
                f"{row['value']:.4g} {row['unit']}",
                f"{baseline:.4g} {row['unit']}" if baseline else "",
                ratio,
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )


def main(argv: list[str]) -> int:
    files = discover(argv)
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    if not files:
        print("No benchmark yet: add bench/bench_<name>.py with a run() function.")
        (results_dir / "latest.json").write_text(json.dumps({"rows": []}, indent=2) + "\n")
        print("0 benchmarks run.")
        return 0
    rows: list[dict] = []
    for file in files:
        print(f"running {file.stem} …", flush=True)
        for row in load(file).run():
            rows.append({"bench": file.stem.removeprefix("bench_"), **row})
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rows": rows,
    }
    (results_dir / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table(rows))
    print(
        f"{len(files)} benchmark(s) run, {len(rows)} figure(s); "
        "results in bench/results/latest.json"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
