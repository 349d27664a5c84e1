"""The ``/earn`` endpoints on a real chain and index: stake, fund, buy, finalize, settle, claim,
and every endpoint shows what the contracts' views say."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from tests.indexer.conftest import chain_config, index_once
from tests.indexer.earn_activity import TUSD, EarnActivity

pytestmark = pytest.mark.anvil


def _get(client: TestClient, path: str, status: int = 200) -> Any:
    response = client.get(path)
    assert response.status_code == status, response.text
    return response.json()


def test_staking_products_positions_and_rewards(
    anvil, suite, database_url, activity: EarnActivity, client: TestClient
) -> None:
    staker, flexible = activity.accounts[1], activity.accounts[2]
    tusd = activity.tusd
    activity.stake(staker, 200 * TUSD, lock_index=1)
    activity.stake(flexible, 50 * TUSD)
    # Fund more rewards into pool 0 (the deploy funded 100,000 TUSD).
    activity.mint_tusd(activity.admin, 5_000 * TUSD)
    activity.send(tusd.functions.approve(activity.staking.address, 5_000 * TUSD))
    activity.send(
        activity.staking.functions.notifyRewardAmount(0, tusd.address, 5_000 * TUSD, 30 * 86400)
    )
    activity.mine_at(activity.now() + 7200)
    activity.claim_rewards(staker)
    activity.mine_at(activity.now() + 600)
    index_once(database_url, chain_config(suite, anvil.url))

    pools = _get(client, "/earn/staking/pools")
    assert [p["pool_id"] for p in pools] == [0]
    pool = pools[0]
    info = activity.staking.functions.poolInfo(0).call()
    assert pool["staking_token"] == tusd.address.lower()
    assert (pool["total_staked"], pool["total_weight"]) == (str(info[3]), str(info[4]))
    assert pool["stakers"] == 2 and pool["exit_policy"] == "penalty_to_stakers"
    assert [(o["duration"], o["boost_bps"]) for o in pool["lock_options"]] == [
        tuple(o) for o in info[5]
    ]
    (stream,) = pool["rewards"]
    apr = activity.staking.functions.aprWad(0, tusd.address).call()
    assert apr > 0 and stream["apr_wad"] == str(apr)
    assert stream["apr_bps_flexible"] == apr // 10**14
    assert pool["lock_options"][1]["apr_bps"] == apr * 12_500 // 10_000 // 10**14
    assert stream["funded_total"] == str(105_000 * TUSD)
    assert _get(client, "/earn/staking/pools/0") == pool

    account = _get(client, f"/earn/staking/accounts/{staker}")
    (position,) = account["positions"]
    on_chain = activity.staking.functions.positionInfo(0, staker, 1).call()
    assert (position["amount"], position["weight"], position["unlock_at"]) == (
        str(on_chain[0]),
        str(on_chain[1]),
        on_chain[2],
    )
    assert position["locked"] is True and position["boost_bps"] == 12_500
    (reward,) = account["rewards"]
    earned = activity.staking.functions.earned(0, staker, tusd.address).call()
    assert earned > 0 and reward["earned"] == str(earned)
    paid = [
        e.args.amount
        for e in activity.staking.events.RewardPaid().get_logs(from_block=0)
        if e.args.account == staker
    ]
    assert len(paid) == 1 and reward["paid"] == str(paid[0])
    nobody = _get(client, f"/earn/staking/accounts/{activity.accounts[6]}")
    assert nobody["positions"] == [] and nobody["rewards"] == []


def test_sale_participation_and_vesting(
    anvil, suite, database_url, activity: EarnActivity, client: TestClient
) -> None:
    buyer_one, buyer_two = activity.accounts[3], activity.accounts[4]
    activity.stake(buyer_one, 200 * TUSD, lock_index=1)  # tier 0: 300 TUSD guaranteed
    activity.attest(buyer_one, buyer_two)
    sale = activity.create_sale(tiers=([100 * TUSD], [300 * TUSD]), kyc_level=1)
    upcoming = activity.create_sale(deposit=False, start_in=86_400)
    activity.buy(sale, buyer_one, 400 * TUSD)
    activity.buy(sale, buyer_two, 900 * TUSD)
    config = chain_config(suite, anvil.url)
    index_once(database_url, config)

    listed = {s["sale_id"]: s for s in _get(client, "/earn/launchpad/sales")}
    assert listed[sale.sale_id]["status"] == "open"
    assert listed[upcoming.sale_id]["status"] == "upcoming"
    assert listed[sale.sale_id]["total_committed"] == str(1_300 * TUSD)
    assert listed[sale.sale_id]["participants"] == 2
    assert [s["sale_id"] for s in _get(client, "/earn/launchpad/sales?status=upcoming")] == [
        upcoming.sale_id
    ]
    pending = _get(client, f"/earn/launchpad/sales/{sale.sale_id}/participants/{buyer_one}")
    assert pending["state"] == "pending" and pending["committed"] == str(400 * TUSD)
    assert pending["guaranteed_cap"] == str(300 * TUSD)

    activity.finalize(sale)
    schedule_id = activity.settle(sale, buyer_one)
    activity.mine_at(sale.vesting_start + 300)
    activity.send(activity.vault.functions.claim(schedule_id), buyer_one)
    activity.mine_at(activity.now() + 100)
    index_once(database_url, config)

    detail = _get(client, f"/earn/launchpad/sales/{sale.sale_id}")
    state = activity.launchpad.functions.saleState(sale.sale_id).call()
    assert detail["status"] == "succeeded" and detail["raised"] == str(state[11])
    assert detail["raised"] == str(1_000 * TUSD) and detail["settled"] == 1
    assert detail["tiers"] == [{"threshold": str(100 * TUSD), "allocation": str(300 * TUSD)}]
    assert int(detail["proceeds"]) - int(detail["fee"]) > 0

    # Settled: the allocation from the Settled event and the vesting schedule it went to.
    one = _get(client, f"/earn/launchpad/sales/{sale.sale_id}/participants/{buyer_one}")
    paid, tokens, refund = activity.launchpad.functions.allocationOf(sale.sale_id, buyer_one).call()
    assert (one["state"], one["allocation_source"]) == ("settled", "indexed")
    assert (one["paid"], one["tokens"], one["refund"]) == (str(paid), str(tokens), str(refund))
    schedule = one["schedule"]
    vault = activity.vault
    stored = vault.functions.scheduleOf(schedule_id, buyer_one).call()
    assert schedule["schedule_id"] == str(schedule_id) and schedule["total"] == str(tokens)
    assert schedule["released"] == str(stored[5]) and int(schedule["released"]) > 0
    assert schedule["claimable"] == str(vault.functions.releasable(schedule_id, buyer_one).call())
    assert schedule["vested"] == str(
        vault.functions.vestedAt(schedule_id, buyer_one, schedule["at"]).call()
    )
    assert _get(client, f"/earn/vesting/{buyer_one}") == [schedule]

    # Not settled yet: the allocation comes from the contract's view.
    two = _get(client, f"/earn/launchpad/sales/{sale.sale_id}/participants/{buyer_two}")
    expected = activity.launchpad.functions.allocationOf(sale.sale_id, buyer_two).call()
    assert (two["state"], two["allocation_source"]) == ("to_settle", "chain:allocationOf")
    assert [two["paid"], two["tokens"], two["refund"]] == [str(v) for v in expected]
    assert int(two["refund"]) > 0 and two["schedule"] is None
    mine = _get(client, f"/earn/launchpad/accounts/{buyer_two}")
    assert [(p["sale_id"], p["state"]) for p in mine] == [(sale.sale_id, "to_settle")]


def test_errors_have_stable_codes(
    anvil, suite, database_url, activity: EarnActivity, client: TestClient
) -> None:
    index_once(database_url, chain_config(suite, anvil.url))
    someone = Web3.to_checksum_address(activity.accounts[5])

    missing = _get(client, "/earn/launchpad/sales/99", 404)
    assert missing == {
        "code": "sale_not_found",
        "message": missing["message"],
        "details": {"sale_id": 99, "chain_id": 31337},
    }
    assert _get(client, "/earn/staking/pools/7", 404)["code"] == "pool_not_found"
    assert _get(client, "/earn/staking/accounts/0x123", 422)["code"] == "request_invalid"
    assert _get(client, "/earn/launchpad/sales?status=bogus", 422)["code"] == "request_invalid"

    sale = activity.create_sale()
    index_once(database_url, chain_config(suite, anvil.url))
    absent = _get(client, f"/earn/launchpad/sales/{sale.sale_id}/participants/{someone}", 404)
    assert absent["code"] == "participation_not_found"
    assert _get(client, f"/earn/vesting/{someone}") == []
