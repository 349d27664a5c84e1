import ape
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

MEMO = b"\x01" * 32


@pytest.fixture(scope="module")
def tusd(project, deployer):
    return deployer.deploy(project.TigerUSD, deployer)


@pytest.fixture(scope="module")
def minter(accounts, tusd, deployer):
    gateway = accounts[5]
    tusd.grantRole(tusd.MINTER_ROLE(), gateway, sender=deployer)
    return gateway


def test_metadata_and_roles(tusd, deployer):
    assert (tusd.name(), tusd.symbol(), tusd.decimals()) == ("TigerEx USD", "TUSD", 6)
    assert tusd.hasRole(tusd.DEFAULT_ADMIN_ROLE(), deployer)
    assert tusd.hasRole(tusd.PAUSER_ROLE(), deployer)
    # The admin is not a minter until granted: minting is the gateway's job only.
    assert not tusd.hasRole(tusd.MINTER_ROLE(), deployer)


def test_minter_mints_with_memo(tusd, minter, alice):
    receipt = tusd.mint(alice, 250_000_000, MEMO, sender=minter)
    assert tusd.balanceOf(alice) == 250_000_000
    assert receipt.events[-1] == tusd.Minted(minter, alice, 250_000_000, MEMO)


def test_mint_reverts_when_caller_is_not_minter(tusd, deployer, alice):
    role = tusd.MINTER_ROLE()
    with ape.reverts(tusd.AccessControlUnauthorizedAccount, account=deployer, neededRole=role):
        tusd.mint(alice, 1, MEMO, sender=deployer)
    assert tusd.totalSupply() == 0


def test_mint_reverts_on_zero_amount(tusd, minter, alice):
    with ape.reverts(tusd.TigerUSDInvalidAmount, amount=0):
        tusd.mint(alice, 0, MEMO, sender=minter)


def test_mint_reverts_to_zero_address(tusd, minter):
    with ape.reverts(tusd.ERC20InvalidReceiver):
        tusd.mint(ape.utils.ZERO_ADDRESS, 1, MEMO, sender=minter)


def test_minter_burns_own_balance(tusd, minter):
    tusd.mint(minter, 100, MEMO, sender=minter)
    receipt = tusd.burn(40, MEMO, sender=minter)
    assert tusd.balanceOf(minter) == 60
    assert tusd.totalSupply() == 60
    assert receipt.events[-1] == tusd.Burned(minter, minter, 40, MEMO)


def test_burn_from_spends_allowance(tusd, minter, alice):
    tusd.mint(alice, 100, MEMO, sender=minter)
    tusd.approve(minter, 70, sender=alice)
    tusd.burnFrom(alice, 70, MEMO, sender=minter)
    assert tusd.balanceOf(alice) == 30
    assert tusd.allowance(alice, minter) == 0


def test_burn_from_reverts_without_allowance(tusd, minter, alice):
    tusd.mint(alice, 100, MEMO, sender=minter)
    with ape.reverts(tusd.ERC20InsufficientAllowance, spender=minter, allowance=0, needed=1):
        tusd.burnFrom(alice, 1, MEMO, sender=minter)
    assert tusd.balanceOf(alice) == 100


def test_burn_reverts_for_non_minter_even_with_allowance(tusd, minter, alice, bob):
    tusd.mint(alice, 100, MEMO, sender=minter)
    tusd.approve(bob, 100, sender=alice)
    with ape.reverts(tusd.AccessControlUnauthorizedAccount):
        tusd.burnFrom(alice, 1, MEMO, sender=bob)


def test_pause_stops_transfers_mints_and_burns(tusd, deployer, minter, alice, bob):
    tusd.mint(alice, 100, MEMO, sender=minter)
    tusd.pause(sender=deployer)
    with ape.reverts(tusd.EnforcedPause):
        tusd.transfer(bob, 1, sender=alice)
    with ape.reverts(tusd.EnforcedPause):
        tusd.mint(alice, 1, MEMO, sender=minter)
    with ape.reverts(tusd.EnforcedPause):
        tusd.burn(1, MEMO, sender=minter)
    tusd.unpause(sender=deployer)
    tusd.transfer(bob, 1, sender=alice)
    assert tusd.balanceOf(bob) == 1


def test_pause_reverts_when_caller_is_not_pauser(tusd, alice):
    with ape.reverts(tusd.AccessControlUnauthorizedAccount):
        tusd.pause(sender=alice)


def test_permit_sets_allowance_from_an_eip712_signature(tusd, chain, minter, bob):
    owner = Account.create()
    deadline = chain.pending_timestamp + 3600
    message = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": "TigerEx USD",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": tusd.address,
        },
        "message": {
            "owner": owner.address,
            "spender": bob.address,
            "value": 500,
            "nonce": 0,
            "deadline": deadline,
        },
    }
    signed = owner.sign_message(encode_typed_data(full_message=message))
    # r and s as 32 big-endian bytes: Ape pads a shorter int (leading zero byte, 1 in 256
    # signatures) on the right for a bytes32 argument, which turned s into a high-s value.
    r, s = signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
    tusd.permit(owner.address, bob, 500, deadline, signed.v, r, s, sender=bob)
    assert tusd.allowance(owner.address, bob) == 500
    assert tusd.nonces(owner.address) == 1
    # The same signature cannot be used twice: the nonce moved on.
    with ape.reverts(tusd.ERC2612InvalidSigner):
        tusd.permit(owner.address, bob, 500, deadline, signed.v, r, s, sender=bob)
