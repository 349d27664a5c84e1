"""``python -m tigerex.toolchain``: register the compiler shim, Anvil and the OpenZeppelin view
(used by the bootstrap)."""

import sys

from tigerex.errors import ToolchainMissing
from tigerex.toolchain import ensure, solc_version

try:
    registered = ensure()
except ToolchainMissing as err:
    print(f"error[{err.code}]: {err.message}", file=sys.stderr)
    sys.exit(1)
print(f"[bootstrap] solc {solc_version()} -> {registered['solc']}")
print(f"[bootstrap] anvil -> {registered['anvil']}")
print(f"[bootstrap] OpenZeppelin (Ape dependency view) -> {registered['openzeppelin']}")
