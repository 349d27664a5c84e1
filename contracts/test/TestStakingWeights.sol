// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IStakingWeights} from "../interfaces/IStakingWeights.sol";

/// @notice Test-only IStakingWeights with weights set directly, so the launchpad's tiers can be
///         tested without staking. Each (pool, account) keeps a list of (from, weight) checkpoints;
///         like the real one it schedules snapshots (anyone may here) and answers only for a
///         scheduled snapshot time in the past. Never deployed by scripts/deploy.py.
contract TestStakingWeights is IStakingWeights {
    struct Checkpoint {
        uint64 from;
        uint192 weight;
    }

    mapping(uint256 poolId => mapping(address account => Checkpoint[] checkpoints)) private _weights;
    mapping(uint256 poolId => Checkpoint[] checkpoints) private _totals;
    mapping(uint256 poolId => mapping(uint256 timepoint => bool scheduled)) private _snapshots;

    /// @notice From `from` on, `account` weighs `weight` in pool `poolId` (checkpoints in time order).
    function setWeight(uint256 poolId, address account, uint64 from, uint192 weight) external {
        Checkpoint[] storage list = _weights[poolId][account];
        uint256 previous = _latest(list, type(uint64).max);
        list.push(Checkpoint(from, weight));
        Checkpoint[] storage totals = _totals[poolId];
        totals.push(Checkpoint(from, uint192(_latest(totals, type(uint64).max) + weight - previous)));
    }

    function scheduleSnapshot(uint256 poolId, uint256 timepoint) external {
        if (timepoint < block.timestamp || timepoint > type(uint48).max) {
            revert StakingInvalidSnapshotTime(poolId, timepoint, uint48(block.timestamp));
        }
        if (_snapshots[poolId][timepoint]) return;
        _snapshots[poolId][timepoint] = true;
        emit SnapshotScheduled(poolId, uint48(timepoint));
    }

    function weightAt(uint256 poolId, address account, uint256 timepoint) external view returns (uint256) {
        _requirePastSnapshot(poolId, timepoint);
        return _latest(_weights[poolId][account], timepoint);
    }

    function totalWeightAt(uint256 poolId, uint256 timepoint) external view returns (uint256) {
        _requirePastSnapshot(poolId, timepoint);
        return _latest(_totals[poolId], timepoint);
    }

    function _requirePastSnapshot(uint256 poolId, uint256 timepoint) private view {
        if (!_snapshots[poolId][timepoint]) revert StakingUnknownSnapshot(poolId, timepoint);
        if (timepoint >= block.timestamp) revert StakingFutureLookup(timepoint, uint48(block.timestamp));
    }

    function _latest(Checkpoint[] storage list, uint256 timepoint) private view returns (uint256) {
        for (uint256 i = list.length; i != 0; --i) {
            if (list[i - 1].from <= timepoint) return list[i - 1].weight;
        }
        return 0;
    }
}
