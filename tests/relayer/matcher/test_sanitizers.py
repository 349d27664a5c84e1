"""Builds the C++ unit tests with AddressSanitizer + UndefinedBehaviorSanitizer and runs them.

The binary replays a deterministic random stream (validate() after every command, a
snapshot/restore round trip half way) plus the behaviour checks in matcher_tests.cpp.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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
    result = subprocess.run(
        [str(build / "matcher_tests"), "20000"],
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
    assert "all passed" in result.stdout
