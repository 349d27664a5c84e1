"""The compiler and node binaries, from npm packages, registered where Ape looks for them.

- Solidity: ``solc.cjs`` (a ``solc``-compatible command on the npm ``solc`` package's JS API) is
  linked as ``$SOLCX_BINARY_PATH/solc-v<version>``, the name py-solc-x and ape-solidity look for.
- Anvil: the real binary inside ``@foundry-rs/anvil-linux-*`` (never the ``npx`` wrapper: killing
  the wrapper's PID leaves Anvil running) is linked into the venv's ``bin/`` as ``anvil``, where
  ape-foundry finds it on PATH.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from tigerex.errors import TigerexError, ToolchainMissing
from tigerex.paths import ape_data_folder, node_modules, project_root

SOLC_SHIM = Path(__file__).with_name("solc.cjs")
_NPM_HINT = "run scripts/bootstrap.sh (or `npm install` in the project root)"


def _npm_package_version(name: str) -> str:
    package_json = node_modules() / name / "package.json"
    try:
        return str(json.loads(package_json.read_text())["version"])
    except FileNotFoundError:
        raise ToolchainMissing(f"npm package {name} is not installed: {_NPM_HINT}") from None


def solc_version() -> str:
    """The version of the npm ``solc`` package, e.g. ``0.8.30``."""
    return _npm_package_version("solc")


def solcx_folder() -> Path:
    return Path(os.environ.get("SOLCX_BINARY_PATH", ape_data_folder() / "solcx"))


def register_solc() -> Path:
    """Link the shim as ``solc-v<version>``; returns the registered path."""
    version = solc_version()
    folder = solcx_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"solc-v{version}"
    if target.is_symlink() and target.resolve() == SOLC_SHIM.resolve():
        return target
    target.unlink(missing_ok=True)
    target.symlink_to(SOLC_SHIM)
    return target


def anvil_binary() -> Path:
    """The native Anvil binary shipped in the platform's optional npm package."""
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform)
    if machine is None or system is None:
        raise ToolchainMissing(f"no Anvil build for {sys.platform}/{platform.machine()}")
    binary = node_modules() / "@foundry-rs" / f"anvil-{system}-{machine}" / "bin" / "anvil"
    if not binary.is_file():
        raise ToolchainMissing(
            f"Anvil binary not found at {binary}: {_NPM_HINT} "
            "(never with --omit=optional: the binary is an optional dependency)"
        )
    return binary


def register_anvil() -> Path:
    """Link the Anvil binary into the running interpreter's ``bin/`` (the venv's)."""
    binary = anvil_binary()
    link = Path(sys.prefix) / "bin" / "anvil"
    if link.is_symlink() and link.resolve() == binary.resolve():
        return link
    link.unlink(missing_ok=True)
    link.symlink_to(binary)
    return link


OPENZEPPELIN = "@openzeppelin/contracts"
# Parts of the npm package that are not Solidity sources. Ape unpacks a dependency's whole folder
# into contracts/.cache and then lists the contracts folder with a 500-file cap
# (ape.managers.project: get_all_files_in_directory(..., max_files=500)); the package's build/
# folder alone holds 257 JSON artifacts, enough to push the project's own sources past the cap
# so that Ape silently finds nothing to compile.
_OPENZEPPELIN_SKIP = frozenset({"build"})


def openzeppelin_view() -> Path:
    """The folder Ape reads OpenZeppelin from: symlinks to the npm package's source folders.

    Ape copies dependencies with ``shutil.copytree``, which follows the links, so the view
    costs nothing on disk and always matches the installed npm version.
    """
    package = node_modules() / OPENZEPPELIN
    if not package.is_dir():
        raise ToolchainMissing(f"npm package {OPENZEPPELIN} is not installed: {_NPM_HINT}")
    view = ape_data_folder() / "npm-views" / "openzeppelin-contracts"
    view.mkdir(parents=True, exist_ok=True)
    wanted = {p.name: p for p in package.iterdir() if p.name not in _OPENZEPPELIN_SKIP}
    for link in view.iterdir():
        if link.name not in wanted or not link.is_symlink() or link.resolve() != wanted[link.name]:
            link.unlink()
    for name, target in wanted.items():
        link = view / name
        if not link.is_symlink():
            link.symlink_to(target.resolve())
    return view


def ensure() -> dict[str, Path]:
    """Register everything; cheap when already done. Raises ToolchainMissing with a fix."""
    return {
        "solc": register_solc(),
        "anvil": register_anvil(),
        "openzeppelin": openzeppelin_view(),
    }


def compile_contracts() -> None:
    """``ape compile``: compiles what changed (a no-op when the build is current), printing Ape's
    progress lines. Raises TigerexError when the compiler reports errors."""
    ensure()
    ape = Path(sys.executable).with_name("ape")
    if not ape.exists():
        raise ToolchainMissing("ape is not installed in this environment: run scripts/bootstrap.sh")
    completed = subprocess.run([str(ape), "compile"], cwd=project_root(), check=False)
    if completed.returncode != 0:
        raise TigerexError("contract compilation failed; see the compiler output above")
