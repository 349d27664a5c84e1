// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStakingWeights} from "./IStakingWeights.sol";

/// @title IStakingPools
/// @notice Several staking pools. Each pool has one staking token and up to `MAX_REWARD_TOKENS`
///         reward tokens, each streamed at a constant rate over a funded period (Synthetix
///         StakingRewards, multi-reward). Positions are flexible (lock option 0: withdraw any time)
///         or locked (lock options 1.., chosen per pool: a duration and a boost multiplier).
///
/// Reward share: a position's weight is `amount * boostBps / 10_000` (rounded down); an account's
/// weight in a pool is the sum over its positions; rewards are shared by weight with a
/// reward-per-weight accumulator settled before every weight change. The same weights are kept at
/// scheduled snapshot times for `IStakingWeights` (launchpad tiers): a holder of SNAPSHOT_ROLE
/// (the launchpad) schedules them, at most MAX_PENDING_SNAPSHOTS still to come per pool.
///
/// Positions: one per (pool, account, lock option). Adding to a locked position restarts its lock
/// for the whole amount (`unlockAt = now + duration`).
///
/// Early exit from a locked position, per pool (`ExitPolicy`, fixed at creation): refused, or
/// charged `penaltyBps` of the amount withdrawn, paid to the treasury or streamed to the pool's
/// stakers (added to the staking token's reward stream of that pool: over the rest of the current
/// period, or carried into the next one).
///
/// @dev Accounting, per token, kept apart so that a staking token that is also a reward token never
///      pays rewards out of principal: `principalOf(token)` (sum of every pool's staked amount) and
///      `rewardReserveOf(token)` (funded and not yet paid). Payouts come out of their own counter
///      (checked arithmetic: a bug reverts instead of eating the other). Anything above the two
///      (a donation, a fee-on-transfer refund) is excess that no one's share depends on; the admin
///      may `sweep` it.
///
///      Precision: a reward rate is kept in reward base units * 1e18 per second and the accumulator
///      in reward base units * 1e18 per unit of weight; every division rounds down, so no more is
///      ever paid than was funded. Division remainders of a funding stay exact in `carry`.
///
///      Periods with zero total weight: the rewards streamed while nobody stakes are not lost and
///      not stuck; they are added to the stream's `carry` and rolled into the next funding of that
///      (pool, token) (`notifyRewardAmount`, also with amount 0 to restart a stream), or taken back
///      by the admin with `recoverCarriedRewards`. Rewards forfeited by an emergency withdrawal go
///      the same way.
///
///      Fee-on-transfer tokens: what actually arrived is credited (stakes and fundings); a transfer
///      that delivers nothing is refused. Withdrawals send the recorded amount; what the token
///      takes on the way out is the token's business.
///
///      Pause: stops stake, withdraw, claim, compound and funding; `emergencyWithdraw` works only
///      while paused and returns every position's principal (locks ignored, no penalty) while
///      forfeiting the account's rewards in that pool.
interface IStakingPools is IStakingWeights {
    /// @notice What an early exit from a locked position costs in a pool.
    enum ExitPolicy {
        Refused, // no early exit at all
        PenaltyToTreasury, // penaltyBps of the amount goes to the treasury
        PenaltyToStakers // penaltyBps of the amount is streamed to the pool's stakers
    }

    /// @notice A lock choice of a pool. Option 0 of every pool is flexible: duration 0, boost 1x.
    struct LockOption {
        uint32 duration;
        uint16 boostBps;
    }

    /// @notice A pool's configuration and totals.
    struct PoolInfo {
        address stakingToken;
        ExitPolicy exitPolicy;
        uint16 penaltyBps;
        uint256 totalStaked;
        uint256 totalWeight;
        LockOption[] lockOptions;
        address[] rewardTokens;
    }

    /// @notice One reward stream of a pool.
    /// @param rateScaled Reward base units * 1e18 per second until `periodFinish`.
    /// @param rewardPerWeightScaled The accumulator: reward base units * 1e18 per unit of weight.
    /// @param carryScaled Rewards * 1e18 not streamed to anyone yet (zero-weight time, funding
    ///        remainders, forfeits, stakers' penalties after the period): streamed by the next
    ///        funding or recovered by the admin.
    struct RewardInfo {
        uint256 rateScaled;
        uint48 periodFinish;
        uint48 lastUpdate;
        uint256 rewardPerWeightScaled;
        uint256 carryScaled;
    }

    /// @notice One position.
    struct PositionInfo {
        uint256 amount;
        uint256 weight;
        uint48 unlockAt;
        uint32 lockDuration;
        uint16 boostBps;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    error StakingUnknownPool(uint256 poolId);
    error StakingUnknownLock(uint256 poolId, uint256 lockIndex);
    /// @notice Lock options must have durations increasing in (0, MAX_LOCK_DURATION], boosts in
    ///         [10_000, MAX_BOOST_BPS], at most MAX_LOCK_OPTIONS of them.
    error StakingInvalidLockOption(uint256 index, uint32 duration, uint16 boostBps);
    error StakingTooManyLockOptions(uint256 count, uint256 max);
    /// @notice `lockDurations` and `boostBps` must have the same length.
    error StakingLockLengthMismatch(uint256 durations, uint256 boosts);
    /// @notice Refused needs penaltyBps 0; a penalty policy needs 0 < penaltyBps <= MAX_PENALTY_BPS.
    error StakingInvalidPenalty(ExitPolicy policy, uint16 penaltyBps);
    error StakingInvalidAddress(address account);
    /// @notice Nothing to stake or fund: `amount` was asked, `received` arrived.
    error StakingInvalidAmount(uint256 amount, uint256 received);
    error StakingInsufficientStake(uint256 poolId, address account, uint256 lockIndex, uint256 requested, uint256 staked);
    error StakingLocked(uint256 poolId, address account, uint256 lockIndex, uint48 unlockAt);
    error StakingNotRewardToken(uint256 poolId, address token);
    error StakingRewardTokenExists(uint256 poolId, address token);
    error StakingTooManyRewardTokens(uint256 poolId, uint256 max);
    error StakingInvalidDuration(uint256 duration);
    /// @notice The funding would need a rate beyond the stored range (uint160 scaled units/s).
    error StakingRewardTooLarge(uint256 poolId, address token);
    /// @notice Compounding needs the pool's staking token to be one of its reward tokens.
    error StakingNotCompoundable(uint256 poolId);
    error StakingNothingToCompound(uint256 poolId, address account);
    error StakingNothingToRecover(address token);
    /// @notice Pool `poolId` already has `max` snapshots still to come.
    error StakingTooManySnapshots(uint256 poolId, uint256 max);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Lock option i of the pool is (lockDurations[i], boostBps[i]); option 0 is flexible.
    event PoolCreated(
        uint256 indexed poolId,
        address indexed stakingToken,
        uint32[] lockDurations,
        uint16[] boostBps,
        ExitPolicy exitPolicy,
        uint16 penaltyBps
    );
    event RewardTokenAdded(uint256 indexed poolId, address indexed rewardToken);
    /// @notice A (re)funding: `received` arrived, `rateScaled` (base units * 1e18 per second) runs
    ///         until `periodFinish`; `carriedInScaled` is what earlier periods left over (leftover
    ///         of the running period plus carry), rolled into this one.
    event RewardFunded(
        uint256 indexed poolId,
        address indexed rewardToken,
        uint256 received,
        uint256 carriedInScaled,
        uint256 rateScaled,
        uint48 periodFinish
    );
    /// @notice `amount` arrived into position (poolId, account, lockIndex), which now holds
    ///         `positionAmount` until `unlockAt`; the account's weight in the pool is now
    ///         `accountWeight` and the pool's `totalWeight`.
    event Staked(
        uint256 indexed poolId,
        address indexed account,
        uint256 indexed lockIndex,
        uint256 amount,
        uint256 positionAmount,
        uint48 unlockAt,
        uint256 accountWeight,
        uint256 totalWeight
    );
    /// @notice `amount` left the position: `amount - penalty` was sent to the account, `penalty`
    ///         (early exit) to the treasury or the pool's stakers as the pool's policy says.
    event Withdrawn(
        uint256 indexed poolId,
        address indexed account,
        uint256 indexed lockIndex,
        uint256 amount,
        uint256 penalty,
        uint256 positionAmount,
        uint256 accountWeight,
        uint256 totalWeight
    );
    /// @notice Paused-only exit: the whole position returned, locks ignored, no penalty.
    event EmergencyWithdrawn(
        uint256 indexed poolId, address indexed account, uint256 indexed lockIndex, uint256 amount, uint256 totalWeight
    );
    /// @notice Rewards given up by an emergency withdrawal, added to the stream's carry.
    event RewardForfeited(uint256 indexed poolId, address indexed account, address indexed rewardToken, uint256 amount);
    event RewardPaid(uint256 indexed poolId, address indexed account, address indexed rewardToken, uint256 amount);
    /// @notice `amount` of staking-token rewards restaked into position (poolId, account, lockIndex).
    event Compounded(
        uint256 indexed poolId,
        address indexed account,
        uint256 indexed lockIndex,
        uint256 amount,
        uint256 positionAmount,
        uint48 unlockAt,
        uint256 accountWeight,
        uint256 totalWeight
    );
    event CarriedRewardsRecovered(uint256 indexed poolId, address indexed rewardToken, address indexed to, uint256 amount);
    event ExcessSwept(address indexed token, address indexed to, uint256 amount);
    event TreasuryChanged(address indexed treasury);

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    function REWARD_DISTRIBUTOR_ROLE() external view returns (bytes32);
    function PAUSER_ROLE() external view returns (bytes32);
    /// @notice May schedule snapshots (`scheduleSnapshot`): the launchpad, granted by the admin.
    function SNAPSHOT_ROLE() external view returns (bytes32);
    function MAX_REWARD_TOKENS() external view returns (uint256);
    function MAX_LOCK_OPTIONS() external view returns (uint256);
    function MAX_LOCK_DURATION() external view returns (uint32);
    function MAX_BOOST_BPS() external view returns (uint16);
    function MAX_PENALTY_BPS() external view returns (uint16);
    function MIN_REWARD_DURATION() external view returns (uint256);
    function MAX_REWARD_DURATION() external view returns (uint256);
    /// @notice Most snapshots of one pool scheduled and not yet reached.
    function MAX_PENDING_SNAPSHOTS() external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                                 ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates a pool (admin). Lock option 0 (flexible) is implicit; `lockDurations[i]` /
    ///         `boostBps[i]` become option i + 1. With `PenaltyToStakers`, the staking token is
    ///         registered as the pool's first reward token (the penalties are streamed in it).
    /// @return poolId Pools are numbered from 0.
    function createPool(
        address stakingToken,
        uint32[] calldata lockDurations,
        uint16[] calldata boostBps,
        ExitPolicy exitPolicy,
        uint16 penaltyBps
    ) external returns (uint256 poolId);

    /// @notice Adds a reward token to a pool (admin); it streams nothing until funded.
    function addRewardToken(uint256 poolId, address rewardToken) external;

    /// @notice Funds a reward stream (reward distributor): pulls `amount` of `rewardToken`, credits
    ///         what arrived, and streams it plus what is left of the running period plus the carry
    ///         evenly over `duration` seconds from now. `amount` may be 0 to restream a carry.
    function notifyRewardAmount(uint256 poolId, address rewardToken, uint256 amount, uint256 duration) external;

    /// @notice Takes a stream's carry (whole base units) back to `to` (admin).
    function recoverCarriedRewards(uint256 poolId, address rewardToken, address to) external;

    /// @notice Sends `to` what the contract holds of `token` above staked principal and reward
    ///         reserves (donations) (admin).
    function sweep(address token, address to) external;

    function setTreasury(address treasury) external;
    function pause() external;
    function unpause() external;

    /*//////////////////////////////////////////////////////////////
                                 STAKER
    //////////////////////////////////////////////////////////////*/

    /// @notice Stakes `amount` into the caller's position for lock option `lockIndex` of the pool
    ///         (restarting that position's lock). Credits what arrived.
    function stake(uint256 poolId, uint256 lockIndex, uint256 amount) external;

    /// @notice Withdraws `amount` from the caller's position. Before its unlock time: refused or
    ///         charged the pool's penalty.
    function withdraw(uint256 poolId, uint256 lockIndex, uint256 amount) external;

    /// @notice Pays the caller every reward token of the pool it has earned.
    function claim(uint256 poolId) external;

    /// @notice Restakes the caller's earned staking-token rewards into position `lockIndex`.
    /// @return amount What was restaked.
    function compound(uint256 poolId, uint256 lockIndex) external returns (uint256 amount);

    /// @notice While paused only: returns every position of the caller in the pool, forfeiting
    ///         its rewards there.
    function emergencyWithdraw(uint256 poolId) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function poolCount() external view returns (uint256);
    function poolInfo(uint256 poolId) external view returns (PoolInfo memory);
    function rewardInfo(uint256 poolId, address rewardToken) external view returns (RewardInfo memory);
    function positionInfo(uint256 poolId, address account, uint256 lockIndex)
        external
        view
        returns (PositionInfo memory);

    /// @notice Whether a snapshot of the pool's weights is scheduled (or was taken) at `timepoint`.
    function isSnapshot(uint256 poolId, uint256 timepoint) external view returns (bool);

    /// @notice The pool's scheduled snapshot times not reached yet, earliest first.
    function pendingSnapshots(uint256 poolId) external view returns (uint48[] memory);

    /// @notice The account's current weight in the pool (the sum over its positions).
    function weightOf(uint256 poolId, address account) external view returns (uint256);

    /// @notice What `account` could claim of `rewardToken` from the pool now.
    function earned(uint256 poolId, address account, address rewardToken) external view returns (uint256);

    /// @notice Current APR of a reward stream, price free: reward base units per unit of weight
    ///         per year (365 days), 1e18 fixed point, at the current rate and total weight. A
    ///         position earns `apr * boostBps / 10_000` per staked base unit. When the reward token
    ///         is the staking token, `apr / 1e14` is the APR in basis points of a flexible
    ///         position; otherwise multiply by (reward price / staking price) per base unit off
    ///         chain. 0 when the period is over; 0 when nobody stakes (undefined; see `rewardInfo`).
    function aprWad(uint256 poolId, address rewardToken) external view returns (uint256);

    function principalOf(address token) external view returns (uint256);
    function rewardReserveOf(address token) external view returns (uint256);
    function treasury() external view returns (address);
}
