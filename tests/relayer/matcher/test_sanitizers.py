"""Builds the C++ unit tests with AddressSanitizer + UndefinedBehaviorSanitizer and runs them.

The binary replays a deterministic random stream (validate() after every command, a
snapshot/restore round trip half way) plus the behaviour checks in matcher_tests.cpp.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.relayer.matcher.streams import MARKETS, make_stream, to_array

MATCHER_SOURCE = Path(__file__).resolve().parents[3] / "relayer" / "matcher"


def _missing_tools() -> str | None:
    for tool in ("cmake", "g++"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed; the sanitizer build needs cmake and g++"
    return None


@pytest.mark.skipif(_missing_tools() is not None, reason=_missing_tools() or "")
def test_cpp_unit_tests_pass_under_asan_and_ubsan(tmp_path: Path) -> None:
    build = tmp_path / "build"
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    subprocess.run(
        [
            "cmake",
            "-S",
            str(MATCHER_SOURCE),
            "-B",
            str(build),
            *generator,
            "-DCMAKE_BUILD_TYPE=Debug",
            "-DTIGEREX_MATCHER_PYTHON=OFF",
            "-DTIGEREX_MATCHER_TESTS=ON",
            "-DTIGEREX_MATCHER_SANITIZE=ON",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    subprocess.run(
        ["cmake", "--build", str(build), "--parallel", "2"],
        check=True,
        capture_output=True,
        text=True,
    )
    # The Python stream generator reaches every order type and flag; replay its streams too.
    stream = tmp_path / "stream.bin"
    with stream.open("wb") as f:
        f.write(struct.pack("<Q", len(MARKETS)))
        for market, tick, lot, min_qty, max_qty, min_notional, _centre in MARKETS:
            f.write(struct.pack("<6q", market, tick, lot, min_qty, max_qty, min_notional))
        f.write(to_array(make_stream(random.Random(31), 3000)).tobytes())
        f.write(to_array(make_stream(random.Random(32), 3000, deep=True)).tobytes())
    result = subprocess.run(
        [str(build / "matcher_tests"), "--replay", str(stream)],
        capture_output=True,
        text=True,
        env={
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
            "UBSAN_OPTIONS": "print_stacktrace=1",
        },
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "runtime error" not in result.stderr  # UBSan findings
    assert "replayed 6000 commands" in result.stdout
    assert "all passed" in result.stdout
