// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IStakingWeights
/// @notice Staking weight per pool at snapshot times, so a launchpad sale can give allocation
///         tiers from what a buyer had staked at its snapshot.
/// @dev The weight of a position is its staked amount times its lock boost (basis points,
///      10_000 = 1x; a flexible position has boost 10_000). History is kept only at snapshot times
///      scheduled in advance (ERC20Snapshot-style): a weight change that is the first since a
///      scheduled snapshot passed records the value the weight had at it; any other change writes
///      nothing but the live weight. So `weightAt` answers only for a scheduled snapshot time that
///      lies in the past, and staking after the snapshot cannot change the answer.
interface IStakingWeights {
    /// @notice `timepoint` is not in the past: its weight can still change.
    error StakingFutureLookup(uint256 timepoint, uint48 nowTimestamp);
    /// @notice No snapshot was scheduled for pool `poolId` at `timepoint`: no weight is kept for it.
    error StakingUnknownSnapshot(uint256 poolId, uint256 timepoint);
    /// @notice A snapshot must be scheduled for now or later (and fit in 48 bits).
    error StakingInvalidSnapshotTime(uint256 poolId, uint256 timepoint, uint48 nowTimestamp);

    /// @notice A snapshot of pool `poolId`'s weights will be taken at `timepoint` (unix seconds):
    ///         the weights after the last change at or before that second.
    event SnapshotScheduled(uint256 indexed poolId, uint48 timepoint);

    /// @notice Schedules a snapshot of pool `poolId`'s weights at `timepoint` (now or later). Scheduling
    ///         a time already scheduled for the pool does nothing. Restricted to a snapshot role.
    function scheduleSnapshot(uint256 poolId, uint256 timepoint) external;

    /// @notice `account`'s weight in pool `poolId` at `timepoint`, a scheduled snapshot time in the
    ///         past: the sum over its positions of amount * boostBps / 10_000.
    function weightAt(uint256 poolId, address account, uint256 timepoint) external view returns (uint256);

    /// @notice The sum of every account's weight in pool `poolId` at `timepoint`, a scheduled
    ///         snapshot time in the past.
    function totalWeightAt(uint256 poolId, uint256 timepoint) external view returns (uint256);
}
