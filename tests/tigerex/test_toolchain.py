import json
import os
import subprocess
import sys

import pytest

from tigerex import toolchain
from tigerex.errors import ToolchainMissing
from tigerex.paths import project_root


def test_solc_shim_reports_a_version_py_solc_x_can_parse():
    import solcx

    registered = toolchain.register_solc()
    version = solcx.wrapper.get_solc_version(registered)  # runs `<solc> --version`
    assert str(version) == toolchain.solc_version()
    assert registered.name == f"solc-v{toolchain.solc_version()}"


def test_solc_shim_compiles_standard_json_with_imports(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "Base.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n"
        "contract Base { function one() public pure returns (uint256) { return 1; } }\n"
    )
    source = (
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n"
        'import {Base} from "lib/Base.sol";\ncontract Child is Base {}\n'
    )
    request = {
        "language": "Solidity",
        "sources": {"Child.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }
    result = subprocess.run(
        [str(toolchain.SOLC_SHIM), "--standard-json", "--base-path", str(tmp_path)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
    )
    output = json.loads(result.stdout)  # stdout must be pure JSON
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    child = output["contracts"]["Child.sol"]["Child"]
    assert [f["name"] for f in child["abi"]] == ["one"]
    assert len(child["evm"]["bytecode"]["object"]) > 100


def test_large_compiler_output_is_not_truncated():
    # 64 KiB is where an early process.exit() cuts a pipe; this output is far larger.
    body = "".join(
        f"function f{i}() public pure returns (uint256) {{ return {i}; }}\n" for i in range(400)
    )
    request = {
        "language": "Solidity",
        "sources": {
            "Big.sol": {"content": f"pragma solidity ^0.8.0;\ncontract Big {{\n{body}}}\n"}
        },
        "settings": {"outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }
    result = subprocess.run(
        [str(toolchain.SOLC_SHIM), "--standard-json"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(result.stdout) > 64 * 1024
    assert len(json.loads(result.stdout)["contracts"]["Big.sol"]["Big"]["abi"]) == 400


def test_anvil_binary_is_the_native_executable():
    binary = toolchain.anvil_binary()
    assert os.access(binary, os.X_OK)
    assert binary.read_bytes()[:4] == b"\x7fELF"


def test_missing_npm_packages_give_a_one_line_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("TIGEREX_ROOT", str(tmp_path))
    with pytest.raises(ToolchainMissing, match=r"run scripts/bootstrap\.sh"):
        toolchain.anvil_binary()
    with pytest.raises(ToolchainMissing, match="npm package solc is not installed"):
        toolchain.solc_version()


def test_cli_reports_missing_npm_packages_without_traceback(tmp_path):
    env = dict(os.environ, TIGEREX_ROOT=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "tigerex.cli", "node"],
        env=env,
        capture_output=True,
        text=True,
        cwd=project_root(),
        timeout=60,
    )
    assert result.returncode == 1
    assert "error[toolchain_missing]" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
