"""Contract-test fixtures. These tests run under Ape's pytest plugin on the in-process chain by
default and on Anvil with ``--network ethereum:local:foundry``; Ape isolates each test with a
chain snapshot, so module fixtures deploy once."""

from ast import literal_eval
from contextlib import contextmanager

import pytest
from ape.exceptions import ContractLogicError, CustomError
from hexbytes import HexBytes

CLOCK_LEAD = 3_600


def clock_start(chain) -> int:
    """Where a stateful example's own clock starts: an hour past the latest block and the pending
    one. The in-process chain's pending block follows the wall clock, and a timestamp set at or
    before it is not honoured (the block is mined at the wall clock's time, or not at all when it
    equals its parent's); Anvil takes any time after the latest block. Only the timeline relative
    to this start decides what the contracts do."""
    return max(chain.blocks.head.timestamp, chain.pending_timestamp) + CLOCK_LEAD


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[2]


@pytest.fixture(scope="session", autouse=True)
def _accounts_first(deployer, alice, bob):
    """Resolve the named accounts before any test, so Ape's snapshots never need rebasing."""


def custom_error(err: ContractLogicError, contract) -> CustomError | None:
    """The custom error of `contract` that `err` carries; None for a panic, a plain revert or
    another contract's error. Ape decodes it on Anvil; its in-process provider leaves revert data
    undecoded when the data holds a 0x27 byte (it reads the data's repr, then quoted with `"`),
    so that data is decoded here."""
    if isinstance(err, CustomError):
        return err
    message = err.revert_message or ""
    if message.startswith(("b'", 'b"')):
        data = HexBytes(literal_eval(message))
    elif message.startswith("0x"):
        data = HexBytes(message)
    else:
        return None
    return contract.provider.network.ecosystem.decode_custom_error(data, contract.address)


@contextmanager
def refused(contract, *names: str, **inputs):
    """The block must revert with one of `contract`'s custom errors `names`, whose arguments
    include `inputs`: how the stateful tests check an action is refused for the reason the model
    predicts and for no other (a revert from a bug fails the example)."""
    try:
        yield
    except ContractLogicError as err:
        error = custom_error(err, contract)
        assert error is not None and error.name in names, f"{err!r}, expected one of {names}"
        assert {name: error.inputs[name] for name in inputs} == inputs, error
        return
    raise AssertionError(f"not refused, expected one of {names}")
