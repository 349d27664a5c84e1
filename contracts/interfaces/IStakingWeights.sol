// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IStakingWeights
/// @notice Historical staking weight per pool, so a launchpad sale can give allocation tiers from
///         what a buyer had staked at a snapshot time that lies in the past.
/// @dev The weight of a position is its staked amount times its lock boost (basis points,
///      10_000 = 1x; a flexible position has boost 10_000). Weights are checkpointed on every
///      change (OpenZeppelin `Checkpoints.Trace208`, keyed by block timestamp), so a snapshot
///      cannot be gamed by staking after it: `weightAt` only answers for `timepoint < block.timestamp`.
interface IStakingWeights {
    /// @notice `timepoint` is not in the past: its weight can still change.
    error StakingFutureLookup(uint256 timepoint, uint48 nowTimestamp);

    /// @notice `account`'s weight in pool `poolId` at `timepoint` (unix seconds, in the past):
    ///         the sum over its positions of amount * boostBps / 10_000.
    function weightAt(uint256 poolId, address account, uint256 timepoint) external view returns (uint256);

    /// @notice The sum of every account's weight in pool `poolId` at `timepoint` (in the past).
    function totalWeightAt(uint256 poolId, uint256 timepoint) external view returns (uint256);
}
