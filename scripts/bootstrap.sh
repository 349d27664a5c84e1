#!/usr/bin/env bash
# Installs everything TigerEx needs into the project (node_modules/, .venv/, .ape/) and then
# runs `tigerex <args>`. Idempotent: a second run with nothing changed takes a second or two.
#   scripts/bootstrap.sh up      install, then start the local chain + deploy + services
#   scripts/bootstrap.sh test    install, then run the whole test suite
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV="$ROOT/.venv"
PYTHON_BIN=${TIGEREX_PYTHON:-python3.11}

step() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[bootstrap] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Prerequisites, each with a one-line fix.
command -v node >/dev/null || die "node not found: install Node.js >= 18 (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm not found: install npm (Debian: apt-get install npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || die "Node.js >= 18 needed, found $(node --version)"
command -v "$PYTHON_BIN" >/dev/null || die "$PYTHON_BIN not found: install Python 3.11 (or set TIGEREX_PYTHON)"
"$PYTHON_BIN" -c 'import venv, ensurepip' 2>/dev/null \
  || die "$PYTHON_BIN lacks venv/ensurepip: apt-get install python3.11-venv"
command -v cmake >/dev/null || die "cmake not found (builds the matching engine): apt-get install cmake"
command -v c++ >/dev/null || die "a C++ compiler is needed (builds the matching engine): apt-get install g++"

hash_files() { cat "$@" 2>/dev/null | sha256sum | cut -c1-64; }

# 1. npm: the Solidity compiler (WebAssembly), Anvil, OpenZeppelin. `npm install`, not
#    `npm ci`: npm 11 leaves other platforms' optional Anvil packages out of the lock file.
npm_stamp="node_modules/.tigerex-stamp"
npm_hash=$(hash_files package.json package-lock.json)
if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_hash" ]; then
  step "npm install (solc, anvil, @openzeppelin/contracts)"
  start=$SECONDS
  npm install --no-audit --no-fund --loglevel=error
  echo "$npm_hash" > "$npm_stamp"
  step "npm install done in $((SECONDS - start)) s"
else
  step "npm packages up to date"
fi

# 2. Python: one virtual environment, everything resolved in one pip install
#    (Ape + celery in two installs break each other's pins).
if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtual environment .venv ($("$PYTHON_BIN" --version))"
  "$PYTHON_BIN" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
# The C++ matching engine is part of the Python distribution; its sources are in the stamp so
# an edit there rebuilds it (incrementally, in build/).
pip_hash=$(hash_files pyproject.toml $(find relayer/matcher -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name 'CMakeLists.txt' \) 2>/dev/null | sort))
pip_stamp="$VENV/.tigerex-stamp"
if [ "$(cat "$pip_stamp" 2>/dev/null)" != "$pip_hash" ]; then
  step "pip install -e .[dev] (Ape, web3, FastAPI, SQLAlchemy, Celery; builds the C++ matcher)"
  start=$SECONDS
  # Build requirements go into the venv so the C++ build directory is reused across installs.
  # --no-build-isolation also builds the few sdists among the dependencies (lazyasd) with the
  # venv's own setuptools, and the one a fresh venv ships (65.x) has no bdist_wheel.
  "$VENV/bin/python" -m pip install --quiet --progress-bar off \
    "scikit-build-core==1.1.2" "nanobind==3.1.0" "setuptools==80.9.0" "wheel==0.45.1"
  # The filter only hides noise; pip's own exit status decides (a failed install must never
  # be stamped as done), whatever grep returns (1 when it had nothing left to print).
  set +e +o pipefail
  "$VENV/bin/python" -m pip install --progress-bar off --no-build-isolation -e ".[dev]" 2>&1 \
    | grep -vE "^(Requirement already satisfied|WARNING: Location 'file:)"
  pip_status=${PIPESTATUS[0]}
  set -e -o pipefail
  [ "$pip_status" -eq 0 ] || die "pip install failed (exit $pip_status); the lines above say why"
  "$VENV/bin/python" -m pip check >/dev/null || die "pip check failed: dependency pins conflict ($VENV/bin/pip check)"
  echo "$pip_hash" > "$pip_stamp"
  step "pip install done in $((SECONDS - start)) s"
else
  step "python packages up to date"
fi

# 3. Keep Ape's data (compiler registration, dependency cache) inside the project, for every
#    Python process of this venv: Ape reads APE_DATA_FOLDER when it is imported, which in a
#    pytest run happens before any conftest, so a .pth file sets it at interpreter start.
site_packages=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cat > "$site_packages/tigerex_env.pth" <<PTH
import os; os.environ.setdefault("TIGEREX_ROOT", "$ROOT"); os.environ.setdefault("APE_DATA_FOLDER", "$ROOT/.ape"); os.environ.setdefault("SOLCX_BINARY_PATH", "$ROOT/.ape/solcx"); os.environ["PATH"] = "$VENV/bin" + os.pathsep + os.environ.get("PATH", "") if "$VENV/bin" not in os.environ.get("PATH", "").split(os.pathsep) else os.environ["PATH"]
PTH

# 4. Register the compiler shim and the Anvil binary (cheap; repairs a moved checkout).
"$VENV/bin/python" -m tigerex.toolchain

if [ $# -eq 0 ]; then
  step "installed. Next: .venv/bin/tigerex --help"
  exit 0
fi
exec "$VENV/bin/tigerex" "$@"
