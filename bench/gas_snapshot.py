"""What every gas benchmark does with its figures: print them against the goals, write the
results file, and write or check the committed snapshot (as v4-core's snapshots/ do).

A bench script measures ``{operation: gas}`` and hands it here; ``--check`` (run by the tests)
only compares and leaves every file alone.
"""

from __future__ import annotations

import argparse
import json
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHAIN = "Ape in-process chain (py-evm), EVM Cancun, solc 0.8.30, 10,000 runs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--write`` / ``--check`` flags every gas benchmark takes."""
    parser.add_argument("--write", action="store_true", help="update the committed snapshot")
    parser.add_argument("--check", action="store_true", help="fail if the snapshot is out of date")


def print_goals(gas: Mapping[str, int], goals: Mapping[str, int]) -> None:
    """One row per operation, with the verdict where the issue set a goal."""
    width = max(len(k) for k in gas)
    print(f"{'operation':<{width}}  {'gas':>9}  goal")
    for name, used in gas.items():
        goal = goals.get(name)
        verdict = "" if goal is None else f"<= {goal:,} {'met' if used <= goal else 'MISSED'}"
        print(f"{name:<{width}}  {used:>9,}  {verdict}")


def results_document(
    gas: Mapping[str, int], goals: Mapping[str, int], anchors: Mapping[str, str]
) -> dict[str, Any]:
    """The results file of a plain per-operation benchmark: when, where, figures, goals."""
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "chain": CHAIN,
        "gas": dict(gas),
        "goals": dict(goals),
        "anchors": dict(anchors),
    }


def finish(
    args: argparse.Namespace,
    gas: Mapping[str, int],
    *,
    script: Path,
    snapshot: Path,
    results: Path,
    results_data: Mapping[str, Any],
) -> int:
    """Write the results (unless checking), write or check the snapshot; the exit status."""
    if not args.check:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(results_data, indent=2) + "\n")
        print(f"wrote {results.relative_to(ROOT)}")
    if args.write:
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(json.dumps(dict(gas), indent=2) + "\n")
        print(f"wrote {snapshot.relative_to(ROOT)}")
    if args.check:
        committed = json.loads(snapshot.read_text()) if snapshot.is_file() else {}
        if committed != dict(gas):
            changed = sorted(
                set(committed) ^ set(gas) | {k for k in gas if committed.get(k) != gas[k]}
            )
            for key in changed:
                print(f"  {key}: snapshot {committed.get(key)} -> measured {gas.get(key)}")
            rerun = f".venv/bin/python {script.resolve().relative_to(ROOT)} --write"
            print(f"gas snapshot out of date: run `{rerun}`")
            return 1
        print("gas snapshot up to date")
    return 0


def main(
    description: str | None,
    script: str,
    measure: Any,
    *,
    snapshot: Path,
    results: Path,
    goals: Mapping[str, int],
    anchors: Mapping[str, str],
) -> int:
    """The whole command line of a plain per-operation gas benchmark."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    args = parser.parse_args()
    gas = measure()
    print_goals(gas, goals)
    return finish(
        args,
        gas,
        script=Path(script),
        snapshot=snapshot,
        results=results,
        results_data=results_document(gas, goals, anchors),
    )
