// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IStakingPools} from "../interfaces/IStakingPools.sol";
import {IStakingWeights} from "../interfaces/IStakingWeights.sol";

/// @title StakingPools
/// @notice Multi-pool, multi-reward staking with flexible and boosted locked positions, and the
///         weights at scheduled snapshot times for the launchpad. See IStakingPools and
///         contracts/staking/README.md for the accounting, the snapshots and the hard cases.
contract StakingPools is IStakingPools, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IStakingPools
    bytes32 public constant REWARD_DISTRIBUTOR_ROLE = keccak256("REWARD_DISTRIBUTOR_ROLE");
    /// @inheritdoc IStakingPools
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc IStakingPools
    bytes32 public constant SNAPSHOT_ROLE = keccak256("SNAPSHOT_ROLE");
    /// @inheritdoc IStakingPools
    uint256 public constant MAX_REWARD_TOKENS = 4;
    /// @inheritdoc IStakingPools
    uint256 public constant MAX_LOCK_OPTIONS = 7;
    /// @inheritdoc IStakingPools
    uint32 public constant MAX_LOCK_DURATION = 4 * 365 days;
    /// @inheritdoc IStakingPools
    uint16 public constant MAX_BOOST_BPS = 50_000;
    /// @inheritdoc IStakingPools
    uint16 public constant MAX_PENALTY_BPS = 5_000;
    /// @inheritdoc IStakingPools
    uint256 public constant MIN_REWARD_DURATION = 1 hours;
    /// @inheritdoc IStakingPools
    uint256 public constant MAX_REWARD_DURATION = 4 * 365 days;
    /// @inheritdoc IStakingPools
    uint256 public constant MAX_PENDING_SNAPSHOTS = 8;

    uint16 private constant _BPS = 10_000;
    /// @dev Rates and the accumulator carry 18 extra decimals, so that rounding loses less than
    ///      one base unit per 1e18 units of weight per update.
    uint256 private constant _PRECISION = 1e18;
    uint256 private constant _YEAR = 365 days;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev Three slots, each read once by a stake or a withdrawal: the configuration, the totals
    ///      (the only pool slot they write), and what every settlement reads (the first reward
    ///      token and the snapshot cursors, which only move when a scheduled snapshot is passed).
    ///      A pool's totals are kept in 128 bits each: 3.4e38 base units, far above any supply.
    struct Pool {
        address stakingToken;
        ExitPolicy exitPolicy;
        uint16 penaltyBps;
        uint8 lockCount; // including the flexible option 0
        uint8 rewardCount;
        uint128 totalStaked;
        uint128 totalWeight;
        address firstRewardToken; // reward token 0; the others are in _rewardTokens
        // The latest scheduled snapshot before the pool's last pass (0: none) and the earliest
        // one at or after it (0: none), which is _pendingSnapshots[poolId][0].
        uint48 lastSnapshot;
        uint48 nextSnapshot;
    }

    /// @dev Slot 0 is what every update writes, slot 1 what it reads (written by fundings), then
    ///      the carry. The accumulator is kept in 208 bits: it grows by at most
    ///      rewards * 1e18 / totalWeight, so even at a total weight of 1 it would take more than
    ///      1e44 reward base units to fill it; should it ever overflow, the update reverts and
    ///      `emergencyWithdraw` (which runs no stream) still returns every principal.
    struct Stream {
        uint208 rewardPerWeightScaled;
        uint48 lastUpdate;
        uint160 rateScaled;
        uint48 periodFinish;
        uint256 carryScaled;
    }

    struct AccountReward {
        uint256 paidPerWeightScaled;
        uint256 accrued;
    }

    struct Position {
        uint208 amount;
        uint48 unlockAt;
    }

    /// @dev An account's live weight in a pool (at most the pool's total, so 128 bits) and when it
    ///      first and last changed (0: never), which decide whether a change must record history.
    struct AccountWeight {
        uint128 weight;
        uint48 firstChange;
        uint48 lastChange;
    }

    address private _treasury;
    uint256 private _poolCount;
    mapping(uint256 poolId => Pool pool) private _pools;
    mapping(uint256 poolId => mapping(uint256 lockIndex => LockOption option)) private _lockOptions;
    mapping(uint256 poolId => mapping(uint256 index => address token)) private _rewardTokens;
    mapping(uint256 poolId => mapping(address token => Stream stream)) private _streams;
    mapping(uint256 poolId => mapping(address account => mapping(address token => AccountReward reward))) private
        _accountRewards;
    mapping(uint256 poolId => mapping(address account => mapping(uint256 lockIndex => Position position))) private
        _positions;
    mapping(uint256 poolId => mapping(address account => AccountWeight weight)) private _accountWeights;
    mapping(address token => uint256 amount) private _rewardReserve;
    // Snapshots: the times scheduled per pool, the ones not passed yet by the pool (ascending,
    // zeros after the last), and the weights at them, keyed by the latest snapshot each value
    // held for (see _valueAt).
    mapping(uint256 poolId => mapping(uint256 timepoint => bool scheduled)) private _isSnapshot;
    mapping(uint256 poolId => uint48[MAX_PENDING_SNAPSHOTS] times) private _pendingSnapshots;
    mapping(uint256 poolId => mapping(address account => Checkpoints.Trace208 weights)) private _accountHistory;
    mapping(uint256 poolId => Checkpoints.Trace208 weights) private _totalHistory;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (pools, reward tokens, treasury, recoveries, and
    ///        granting SNAPSHOT_ROLE to the launchpad), REWARD_DISTRIBUTOR_ROLE, PAUSER_ROLE and
    ///        SNAPSHOT_ROLE.
    /// @param treasury_ Receives early-exit penalties of pools with `PenaltyToTreasury`.
    constructor(address admin, address treasury_) {
        if (admin == address(0)) revert StakingInvalidAddress(admin);
        if (treasury_ == address(0)) revert StakingInvalidAddress(treasury_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REWARD_DISTRIBUTOR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(SNAPSHOT_ROLE, admin);
        _treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    /*//////////////////////////////////////////////////////////////
                                  ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IStakingPools
    function createPool(
        address stakingToken,
        uint32[] calldata lockDurations,
        uint16[] calldata boostBps,
        ExitPolicy exitPolicy,
        uint16 penaltyBps
    ) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint256 poolId) {
        if (stakingToken == address(0)) revert StakingInvalidAddress(stakingToken);
        uint256 count = lockDurations.length;
        if (boostBps.length != count) revert StakingLockLengthMismatch(count, boostBps.length);
        if (count > MAX_LOCK_OPTIONS) revert StakingTooManyLockOptions(count, MAX_LOCK_OPTIONS);
        if (exitPolicy == ExitPolicy.Refused ? penaltyBps != 0 : (penaltyBps == 0 || penaltyBps > MAX_PENALTY_BPS)) {
            revert StakingInvalidPenalty(exitPolicy, penaltyBps);
        }

        poolId = _poolCount++;
        uint32[] memory durations = new uint32[](count + 1);
        uint16[] memory boosts = new uint16[](count + 1);
        // Option 0 (flexible) is not stored: _lockOption answers it without a storage read.
        boosts[0] = _BPS;
        for (uint256 i; i < count; ++i) {
            uint32 duration = lockDurations[i];
            uint16 boost = boostBps[i];
            if (
                duration <= durations[i] || duration > MAX_LOCK_DURATION || boost < _BPS || boost > MAX_BOOST_BPS
            ) revert StakingInvalidLockOption(i + 1, duration, boost);
            durations[i + 1] = duration;
            boosts[i + 1] = boost;
            _lockOptions[poolId][i + 1] = LockOption({duration: duration, boostBps: boost});
        }
        Pool storage pool = _pools[poolId];
        pool.stakingToken = stakingToken;
        pool.exitPolicy = exitPolicy;
        pool.penaltyBps = penaltyBps;
        // Cannot truncate: count <= MAX_LOCK_OPTIONS.
        pool.lockCount = uint8(count + 1);
        emit PoolCreated(poolId, stakingToken, durations, boosts, exitPolicy, penaltyBps);
        // Stakers' penalties are streamed in the staking token, so it must be a reward token.
        if (exitPolicy == ExitPolicy.PenaltyToStakers) _addRewardToken(poolId, pool, stakingToken);
    }

    /// @inheritdoc IStakingPools
    function addRewardToken(uint256 poolId, address rewardToken) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (rewardToken == address(0)) revert StakingInvalidAddress(rewardToken);
        Pool storage pool = _pool(poolId);
        if (_rewardIndex(poolId, pool, rewardToken) != type(uint256).max) {
            revert StakingRewardTokenExists(poolId, rewardToken);
        }
        _addRewardToken(poolId, pool, rewardToken);
    }

    /// @inheritdoc IStakingPools
    /// @dev The stream is settled at the current total weight before its rate changes. The
    ///      division remainder of the new rate stays in the carry, so nothing is lost to rounding.
    ///      The token is pulled first to credit what arrived; the reentrancy guard covers the gap.
    function notifyRewardAmount(uint256 poolId, address rewardToken, uint256 amount, uint256 duration)
        external
        nonReentrant
        whenNotPaused
        onlyRole(REWARD_DISTRIBUTOR_ROLE)
    {
        Pool storage pool = _pool(poolId);
        if (_rewardIndex(poolId, pool, rewardToken) == type(uint256).max) {
            revert StakingNotRewardToken(poolId, rewardToken);
        }
        if (duration < MIN_REWARD_DURATION || duration > MAX_REWARD_DURATION) revert StakingInvalidDuration(duration);
        uint256 received;
        if (amount != 0) {
            received = _pull(rewardToken, amount);
            if (received == 0) revert StakingInvalidAmount(amount, 0);
        }

        Stream storage stream = _streams[poolId][rewardToken];
        _updateStream(stream, pool.totalWeight);
        uint256 carriedIn = stream.carryScaled;
        uint256 finish = stream.periodFinish;
        if (block.timestamp < finish) carriedIn += (finish - block.timestamp) * stream.rateScaled;
        uint256 total = received * _PRECISION + carriedIn;
        if (total == 0) revert StakingInvalidAmount(amount, 0);
        uint256 rate = total / duration;
        if (rate > type(uint160).max) revert StakingRewardTooLarge(poolId, rewardToken);
        uint48 periodFinish = SafeCast.toUint48(block.timestamp + duration);

        stream.rateScaled = uint160(rate);
        stream.lastUpdate = uint48(block.timestamp);
        stream.periodFinish = periodFinish;
        unchecked {
            // Cannot underflow: rate * duration <= total by the floor division above.
            stream.carryScaled = total - rate * duration;
        }
        _rewardReserve[rewardToken] += received;
        emit RewardFunded(poolId, rewardToken, received, carriedIn, rate, periodFinish);
    }

    /// @inheritdoc IStakingPools
    function recoverCarriedRewards(uint256 poolId, address rewardToken, address to)
        external
        nonReentrant
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        Pool storage pool = _pool(poolId);
        if (_rewardIndex(poolId, pool, rewardToken) == type(uint256).max) {
            revert StakingNotRewardToken(poolId, rewardToken);
        }
        if (to == address(0)) revert StakingInvalidAddress(to);
        Stream storage stream = _streams[poolId][rewardToken];
        // Zero-weight time up to now becomes carry first.
        _updateStream(stream, pool.totalWeight);
        uint256 amount = stream.carryScaled / _PRECISION;
        if (amount == 0) revert StakingNothingToRecover(rewardToken);
        stream.carryScaled -= amount * _PRECISION;
        _rewardReserve[rewardToken] -= amount;
        emit CarriedRewardsRecovered(poolId, rewardToken, to, amount);
        IERC20(rewardToken).safeTransfer(to, amount);
    }

    /// @inheritdoc IStakingPools
    function sweep(address token, address to) external nonReentrant onlyRole(DEFAULT_ADMIN_ROLE) {
        if (to == address(0)) revert StakingInvalidAddress(to);
        uint256 balance = IERC20(token).balanceOf(address(this));
        uint256 owed = _principalOf(token) + _rewardReserve[token];
        if (balance <= owed) revert StakingNothingToRecover(token);
        uint256 excess = balance - owed;
        emit ExcessSwept(token, to, excess);
        IERC20(token).safeTransfer(to, excess);
    }

    /// @inheritdoc IStakingPools
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert StakingInvalidAddress(treasury_);
        _treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    /// @inheritdoc IStakingPools
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IStakingPools
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////
                                SNAPSHOTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IStakingWeights
    /// @dev Passing the snapshots already reached first (recording the pool's total at them) keeps
    ///      the pending list to snapshots still to come, so the cap never counts a past one.
    function scheduleSnapshot(uint256 poolId, uint256 timepoint) external onlyRole(SNAPSHOT_ROLE) {
        Pool storage pool = _pool(poolId);
        if (timepoint < block.timestamp || timepoint > type(uint48).max) {
            revert StakingInvalidSnapshotTime(poolId, timepoint, uint48(block.timestamp));
        }
        if (_isSnapshot[poolId][timepoint]) return; // another sale uses the same time
        _passSnapshots(poolId, pool);
        uint48[MAX_PENDING_SNAPSHOTS] memory pending = _pendingSnapshots[poolId];
        if (pending[MAX_PENDING_SNAPSHOTS - 1] != 0) revert StakingTooManySnapshots(poolId, MAX_PENDING_SNAPSHOTS);
        // Insert in order: from the insertion point on, each entry moves one place up.
        // Cannot truncate: checked above.
        uint48 carried = uint48(timepoint);
        for (uint256 i; carried != 0; ++i) {
            uint48 here = pending[i];
            if (here == 0 || here > carried) (pending[i], carried) = (carried, here);
        }
        _pendingSnapshots[poolId] = pending;
        _isSnapshot[poolId][timepoint] = true;
        pool.nextSnapshot = pending[0];
        emit SnapshotScheduled(poolId, uint48(timepoint));
    }

    /*//////////////////////////////////////////////////////////////
                                 STAKER
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IStakingPools
    /// @dev The token is pulled first to credit what arrived (fee-on-transfer tokens); the
    ///      reentrancy guard covers the gap. Rewards are settled at the old weights before the
    ///      position grows.
    function stake(uint256 poolId, uint256 lockIndex, uint256 amount) external nonReentrant whenNotPaused {
        Pool storage pool = _pool(poolId);
        LockOption memory lock = _lockOption(poolId, pool, lockIndex);
        if (amount == 0) revert StakingInvalidAmount(0, 0);
        uint256 received = _pull(pool.stakingToken, amount);
        if (received == 0) revert StakingInvalidAmount(amount, 0);

        pool.totalStaked = SafeCast.toUint128(pool.totalStaked + received);
        (uint256 accountWeight, uint256 totalWeight) = _settle(poolId, pool, msg.sender);
        _grow(poolId, pool, lockIndex, lock, received, accountWeight, totalWeight, false);
    }

    /// @inheritdoc IStakingPools
    function withdraw(uint256 poolId, uint256 lockIndex, uint256 amount) external nonReentrant whenNotPaused {
        Pool storage pool = _pool(poolId);
        (uint256 oldAmount, uint16 boostBps, uint256 penalty) = _checkWithdrawal(poolId, pool, lockIndex, amount);
        (uint256 newAmount, uint256 accountWeight, uint256 totalWeight) =
            _shrink(poolId, pool, lockIndex, boostBps, oldAmount, amount);
        address token = pool.stakingToken;
        // Cannot truncate: amount <= the position's amount <= totalStaked, a uint128.
        pool.totalStaked -= uint128(amount);
        bool toTreasury = pool.exitPolicy == ExitPolicy.PenaltyToTreasury;
        if (penalty != 0 && !toTreasury) {
            // The penalty moves from principal to the pool's reward stream in the same token.
            _rewardReserve[token] += penalty;
            _streamExtra(_streams[poolId][token], penalty * _PRECISION);
        }
        emit Withdrawn(poolId, msg.sender, lockIndex, amount, penalty, newAmount, accountWeight, totalWeight);

        IERC20(token).safeTransfer(msg.sender, amount - penalty);
        if (penalty != 0 && toTreasury) IERC20(token).safeTransfer(_treasury, penalty);
    }

    /// @inheritdoc IStakingPools
    function claim(uint256 poolId) external nonReentrant whenNotPaused {
        Pool storage pool = _pool(poolId);
        uint256 count = pool.rewardCount;
        _settle(poolId, pool, msg.sender);
        address[] memory tokens = new address[](count);
        uint256[] memory amounts = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            address token = _rewardToken(poolId, pool, i);
            AccountReward storage reward = _accountRewards[poolId][msg.sender][token];
            uint256 amount = reward.accrued;
            if (amount == 0) continue;
            reward.accrued = 0;
            _rewardReserve[token] -= amount;
            tokens[i] = token;
            amounts[i] = amount;
            emit RewardPaid(poolId, msg.sender, token, amount);
        }
        // Interactions after every effect.
        for (uint256 i; i < count; ++i) {
            if (amounts[i] != 0) IERC20(tokens[i]).safeTransfer(msg.sender, amounts[i]);
        }
    }

    /// @inheritdoc IStakingPools
    /// @dev No token moves: the amount leaves the reward reserve and joins the principal.
    function compound(uint256 poolId, uint256 lockIndex) external nonReentrant whenNotPaused returns (uint256 amount) {
        Pool storage pool = _pool(poolId);
        LockOption memory lock = _lockOption(poolId, pool, lockIndex);
        address token = pool.stakingToken;
        if (_rewardIndex(poolId, pool, token) == type(uint256).max) revert StakingNotCompoundable(poolId);
        (uint256 accountWeight, uint256 totalWeight) = _settle(poolId, pool, msg.sender);
        AccountReward storage reward = _accountRewards[poolId][msg.sender][token];
        amount = reward.accrued;
        if (amount == 0) revert StakingNothingToCompound(poolId, msg.sender);
        reward.accrued = 0;
        _rewardReserve[token] -= amount;
        pool.totalStaked = SafeCast.toUint128(pool.totalStaked + amount);
        _grow(poolId, pool, lockIndex, lock, amount, accountWeight, totalWeight, true);
    }

    /// @inheritdoc IStakingPools
    /// @dev Deliberately does not run the reward streams (an emergency may be a bug there): the
    ///      time since a stream's last update is later shared by the remaining weight, and what the
    ///      account had earned up to that update is forfeited into the carry, so nothing is stuck.
    function emergencyWithdraw(uint256 poolId) external nonReentrant whenPaused {
        Pool storage pool = _pool(poolId);
        uint256 accountWeight = _accountWeights[poolId][msg.sender].weight;
        uint256 totalWeight = pool.totalWeight - accountWeight;

        uint256 rewardCount = pool.rewardCount;
        for (uint256 i; i < rewardCount; ++i) {
            address token = _rewardToken(poolId, pool, i);
            Stream storage stream = _streams[poolId][token];
            AccountReward storage reward = _accountRewards[poolId][msg.sender][token];
            uint256 perWeight = stream.rewardPerWeightScaled;
            uint256 forfeited =
                reward.accrued + Math.mulDiv(accountWeight, perWeight - reward.paidPerWeightScaled, _PRECISION);
            reward.accrued = 0;
            reward.paidPerWeightScaled = perWeight;
            if (forfeited != 0) {
                stream.carryScaled += forfeited * _PRECISION;
                emit RewardForfeited(poolId, msg.sender, token, forfeited);
            }
        }

        uint256 total;
        uint256 lockCount = pool.lockCount;
        for (uint256 i; i < lockCount; ++i) {
            uint256 amount = _positions[poolId][msg.sender][i].amount;
            if (amount == 0) continue;
            delete _positions[poolId][msg.sender][i];
            total += amount;
            emit EmergencyWithdrawn(poolId, msg.sender, i, amount, totalWeight);
        }
        if (total == 0) revert StakingInsufficientStake(poolId, msg.sender, 0, 1, 0);
        _recordWeights(poolId, pool, msg.sender, 0, totalWeight);
        address token = pool.stakingToken;
        // Cannot truncate: total is the sum of the account's positions, part of totalStaked.
        pool.totalStaked -= uint128(total);
        IERC20(token).safeTransfer(msg.sender, total);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IStakingWeights
    function weightAt(uint256 poolId, address account, uint256 timepoint) external view returns (uint256) {
        uint48 snapshot = _pastSnapshot(poolId, timepoint);
        AccountWeight storage current = _accountWeights[poolId][account];
        uint256 firstChange = current.firstChange;
        // Never staked by then: the account's first change came after the snapshot (or never).
        if (firstChange == 0 || firstChange > snapshot) return 0;
        return _valueAt(_accountHistory[poolId][account], snapshot, current.weight);
    }

    /// @inheritdoc IStakingWeights
    function totalWeightAt(uint256 poolId, uint256 timepoint) external view returns (uint256) {
        uint48 snapshot = _pastSnapshot(poolId, timepoint);
        return _valueAt(_totalHistory[poolId], snapshot, _pools[poolId].totalWeight);
    }

    /// @inheritdoc IStakingPools
    function isSnapshot(uint256 poolId, uint256 timepoint) external view returns (bool) {
        return _isSnapshot[poolId][timepoint];
    }

    /// @inheritdoc IStakingPools
    function pendingSnapshots(uint256 poolId) external view returns (uint48[] memory times) {
        uint48[MAX_PENDING_SNAPSHOTS] memory pending = _pendingSnapshots[poolId];
        // Entries the pool has not passed yet may lie in the past: leave those out.
        uint256 first;
        while (first < MAX_PENDING_SNAPSHOTS && pending[first] != 0 && pending[first] < block.timestamp) ++first;
        uint256 end = first;
        while (end < MAX_PENDING_SNAPSHOTS && pending[end] != 0) ++end;
        times = new uint48[](end - first);
        for (uint256 i = first; i < end; ++i) {
            times[i - first] = pending[i];
        }
    }

    /// @inheritdoc IStakingPools
    function poolCount() external view returns (uint256) {
        return _poolCount;
    }

    /// @inheritdoc IStakingPools
    function poolInfo(uint256 poolId) external view returns (PoolInfo memory info) {
        Pool storage pool = _pool(poolId);
        info.stakingToken = pool.stakingToken;
        info.exitPolicy = pool.exitPolicy;
        info.penaltyBps = pool.penaltyBps;
        info.totalStaked = pool.totalStaked;
        info.totalWeight = pool.totalWeight;
        info.lockOptions = new LockOption[](pool.lockCount);
        for (uint256 i; i < info.lockOptions.length; ++i) {
            info.lockOptions[i] = _lockOption(poolId, pool, i);
        }
        info.rewardTokens = new address[](pool.rewardCount);
        for (uint256 i; i < info.rewardTokens.length; ++i) {
            info.rewardTokens[i] = _rewardToken(poolId, pool, i);
        }
    }

    /// @inheritdoc IStakingPools
    function rewardInfo(uint256 poolId, address rewardToken) external view returns (RewardInfo memory) {
        Stream storage stream = _streams[poolId][rewardToken];
        return RewardInfo({
            rateScaled: stream.rateScaled,
            periodFinish: stream.periodFinish,
            lastUpdate: stream.lastUpdate,
            rewardPerWeightScaled: stream.rewardPerWeightScaled,
            carryScaled: stream.carryScaled
        });
    }

    /// @inheritdoc IStakingPools
    function positionInfo(uint256 poolId, address account, uint256 lockIndex)
        external
        view
        returns (PositionInfo memory)
    {
        Pool storage pool = _pool(poolId);
        LockOption memory lock = _lockOption(poolId, pool, lockIndex);
        Position storage position = _positions[poolId][account][lockIndex];
        uint256 amount = position.amount;
        return PositionInfo({
            amount: amount,
            weight: _weight(amount, lock.boostBps),
            unlockAt: position.unlockAt,
            lockDuration: lock.duration,
            boostBps: lock.boostBps
        });
    }

    /// @inheritdoc IStakingPools
    function weightOf(uint256 poolId, address account) external view returns (uint256) {
        return _accountWeights[poolId][account].weight;
    }

    /// @inheritdoc IStakingPools
    function earned(uint256 poolId, address account, address rewardToken) external view returns (uint256) {
        Stream storage stream = _streams[poolId][rewardToken];
        uint256 totalWeight = _pools[poolId].totalWeight;
        uint256 perWeight = stream.rewardPerWeightScaled;
        uint256 until = Math.min(block.timestamp, stream.periodFinish);
        if (totalWeight != 0 && until > stream.lastUpdate) {
            perWeight += uint256(stream.rateScaled) * (until - stream.lastUpdate) / totalWeight;
        }
        AccountReward storage reward = _accountRewards[poolId][account][rewardToken];
        uint256 accountWeight = _accountWeights[poolId][account].weight;
        return reward.accrued + accountWeight * (perWeight - reward.paidPerWeightScaled) / _PRECISION;
    }

    /// @inheritdoc IStakingPools
    function aprWad(uint256 poolId, address rewardToken) external view returns (uint256) {
        Stream storage stream = _streams[poolId][rewardToken];
        uint256 totalWeight = _pools[poolId].totalWeight;
        if (block.timestamp >= stream.periodFinish || totalWeight == 0) return 0;
        // rateScaled is already reward units * 1e18 per second.
        return uint256(stream.rateScaled) * _YEAR / totalWeight;
    }

    /// @inheritdoc IStakingPools
    function principalOf(address token) external view returns (uint256) {
        return _principalOf(token);
    }

    /// @inheritdoc IStakingPools
    function rewardReserveOf(address token) external view returns (uint256) {
        return _rewardReserve[token];
    }

    /// @inheritdoc IStakingPools
    function treasury() external view returns (address) {
        return _treasury;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _pool(uint256 poolId) private view returns (Pool storage pool) {
        pool = _pools[poolId];
        if (pool.stakingToken == address(0)) revert StakingUnknownPool(poolId);
    }

    /// @dev Staked principal is kept per pool only (one storage write less per stake and
    ///      withdrawal); the per-token sum is for views and the admin's `sweep`.
    function _principalOf(address token) private view returns (uint256 total) {
        uint256 count = _poolCount;
        for (uint256 poolId; poolId < count; ++poolId) {
            Pool storage pool = _pools[poolId];
            if (pool.stakingToken == token) total += pool.totalStaked;
        }
    }

    /// @dev Option 0 is the same flexible option in every pool, answered without a storage read.
    function _lockOption(uint256 poolId, Pool storage pool, uint256 lockIndex)
        private
        view
        returns (LockOption memory)
    {
        if (lockIndex >= pool.lockCount) revert StakingUnknownLock(poolId, lockIndex);
        if (lockIndex == 0) return LockOption({duration: 0, boostBps: _BPS});
        return _lockOptions[poolId][lockIndex];
    }

    /// @dev Reward token 0 shares a slot with the snapshot cursors (read by every settlement).
    function _rewardToken(uint256 poolId, Pool storage pool, uint256 index) private view returns (address) {
        return index == 0 ? pool.firstRewardToken : _rewardTokens[poolId][index];
    }

    /// @dev type(uint256).max when `token` is not a reward token of the pool.
    function _rewardIndex(uint256 poolId, Pool storage pool, address token) private view returns (uint256) {
        uint256 count = pool.rewardCount;
        for (uint256 i; i < count; ++i) {
            if (_rewardToken(poolId, pool, i) == token) return i;
        }
        return type(uint256).max;
    }

    function _addRewardToken(uint256 poolId, Pool storage pool, address token) private {
        uint256 count = pool.rewardCount;
        if (count >= MAX_REWARD_TOKENS) revert StakingTooManyRewardTokens(poolId, MAX_REWARD_TOKENS);
        if (count == 0) pool.firstRewardToken = token;
        else _rewardTokens[poolId][count] = token;
        // Cannot truncate: count < MAX_REWARD_TOKENS.
        pool.rewardCount = uint8(count + 1);
        emit RewardTokenAdded(poolId, token);
    }

    function _weight(uint256 amount, uint16 boostBps) private pure returns (uint256) {
        return amount * boostBps / _BPS;
    }

    /// @dev `timepoint` as a snapshot of the pool that has been taken.
    function _pastSnapshot(uint256 poolId, uint256 timepoint) private view returns (uint48) {
        if (!_isSnapshot[poolId][timepoint]) revert StakingUnknownSnapshot(poolId, timepoint);
        if (timepoint >= block.timestamp) revert StakingFutureLookup(timepoint, uint48(block.timestamp));
        // Cannot truncate: only times that fit in 48 bits are scheduled.
        return uint48(timepoint);
    }

    /// @dev The value at snapshot `snapshot` (taken) of a weight whose history holds, for each
    ///      change that was the first after a snapshot, the value before it keyed by the latest
    ///      snapshot it held for. The value at `snapshot` is therefore the one recorded under the
    ///      first key at or after it; with none, the weight has not changed since: `current`.
    function _valueAt(Checkpoints.Trace208 storage history, uint48 snapshot, uint256 current)
        private
        view
        returns (uint256)
    {
        (bool exists, uint48 latestKey,) = history.latestCheckpoint();
        if (exists && latestKey >= snapshot) return history.lowerLookup(snapshot);
        return current;
    }

    /// @dev Pulls `amount` and returns what arrived.
    function _pull(address token, uint256 amount) private returns (uint256) {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        return IERC20(token).balanceOf(address(this)) - before;
    }

    /// @dev Runs every reward stream of the pool up to now and credits `account` at its current
    ///      weight. Returns the account's and the pool's current weights.
    function _settle(uint256 poolId, Pool storage pool, address account)
        private
        returns (uint256 accountWeight, uint256 totalWeight)
    {
        accountWeight = _accountWeights[poolId][account].weight;
        totalWeight = pool.totalWeight;
        uint256 rewardCount = pool.rewardCount;
        for (uint256 i; i < rewardCount; ++i) {
            address token = _rewardToken(poolId, pool, i);
            uint256 perWeight = _updateStream(_streams[poolId][token], totalWeight);
            AccountReward storage reward = _accountRewards[poolId][account][token];
            uint256 paid = reward.paidPerWeightScaled;
            if (perWeight != paid) {
                if (accountWeight != 0) reward.accrued += accountWeight * (perWeight - paid) / _PRECISION;
                reward.paidPerWeightScaled = perWeight;
            }
        }
    }

    /// @dev Streams the time since the last update: to the accumulator, or to the carry when
    ///      nobody stakes. The floor division never hands out more than was streamed.
    function _updateStream(Stream storage stream, uint256 totalWeight) private returns (uint256 perWeight) {
        perWeight = stream.rewardPerWeightScaled;
        uint256 last = stream.lastUpdate;
        uint256 until = Math.min(block.timestamp, stream.periodFinish);
        if (until <= last) return perWeight;
        uint256 streamed = uint256(stream.rateScaled) * (until - last);
        if (totalWeight == 0) {
            stream.carryScaled += streamed;
        } else {
            perWeight += streamed / totalWeight;
        }
        // One write of the slot both live in. Cannot truncate: until <= periodFinish, a uint48.
        stream.rewardPerWeightScaled = SafeCast.toUint208(perWeight);
        stream.lastUpdate = uint48(until);
    }

    /// @dev Adds `amountScaled` to an up-to-date stream: over the rest of the running period
    ///      (remainder to the carry), or to the carry when no period runs.
    function _streamExtra(Stream storage stream, uint256 amountScaled) private {
        uint256 finish = stream.periodFinish;
        if (block.timestamp < finish) {
            uint256 remaining = finish - block.timestamp;
            uint256 total = amountScaled + stream.carryScaled;
            uint256 extraRate = total / remaining;
            uint256 rate = stream.rateScaled + extraRate;
            if (rate <= type(uint160).max) {
                stream.rateScaled = uint160(rate);
                stream.carryScaled = total - extraRate * remaining;
                return;
            }
        }
        stream.carryScaled += amountScaled;
    }

    /// @dev Adds `amount` to the caller's position (restarting its lock), records the new
    ///      weights and emits `Staked` or `Compounded`.
    function _grow(
        uint256 poolId,
        Pool storage pool,
        uint256 lockIndex,
        LockOption memory lock,
        uint256 amount,
        uint256 accountWeight,
        uint256 totalWeight,
        bool compounded
    ) private {
        Position storage position = _positions[poolId][msg.sender][lockIndex];
        uint256 oldAmount = position.amount;
        uint256 positionAmount = oldAmount + amount;
        uint48 unlockAt = lock.duration == 0 ? 0 : SafeCast.toUint48(block.timestamp + lock.duration);
        position.amount = SafeCast.toUint208(positionAmount);
        position.unlockAt = unlockAt;
        uint256 weightGain = _weight(positionAmount, lock.boostBps) - _weight(oldAmount, lock.boostBps);
        accountWeight += weightGain;
        totalWeight += weightGain;
        _recordWeights(poolId, pool, msg.sender, accountWeight, totalWeight);
        if (compounded) {
            emit Compounded(poolId, msg.sender, lockIndex, amount, positionAmount, unlockAt, accountWeight, totalWeight);
        } else {
            emit Staked(poolId, msg.sender, lockIndex, amount, positionAmount, unlockAt, accountWeight, totalWeight);
        }
    }

    /// @dev Checks a withdrawal of `amount` from the caller's position; returns the position's
    ///      amount, its boost and the early-exit penalty (0 once unlocked).
    function _checkWithdrawal(uint256 poolId, Pool storage pool, uint256 lockIndex, uint256 amount)
        private
        view
        returns (uint256 oldAmount, uint16 boostBps, uint256 penalty)
    {
        boostBps = _lockOption(poolId, pool, lockIndex).boostBps;
        if (amount == 0) revert StakingInvalidAmount(0, 0);
        Position storage position = _positions[poolId][msg.sender][lockIndex];
        oldAmount = position.amount;
        if (amount > oldAmount) revert StakingInsufficientStake(poolId, msg.sender, lockIndex, amount, oldAmount);
        uint48 unlockAt = position.unlockAt;
        if (block.timestamp < unlockAt) {
            if (pool.exitPolicy == ExitPolicy.Refused) revert StakingLocked(poolId, msg.sender, lockIndex, unlockAt);
            penalty = amount * pool.penaltyBps / _BPS;
        }
    }

    /// @dev Settles rewards, takes `amount` out of the caller's position (deleting it when empty)
    ///      and records the new weights.
    function _shrink(
        uint256 poolId,
        Pool storage pool,
        uint256 lockIndex,
        uint16 boostBps,
        uint256 oldAmount,
        uint256 amount
    ) private returns (uint256 newAmount, uint256 accountWeight, uint256 totalWeight) {
        (accountWeight, totalWeight) = _settle(poolId, pool, msg.sender);
        unchecked {
            // Cannot underflow: the caller checked amount <= oldAmount.
            newAmount = oldAmount - amount;
        }
        if (newAmount == 0) {
            delete _positions[poolId][msg.sender][lockIndex];
        } else {
            // Cannot truncate: newAmount < oldAmount, which fit.
            _positions[poolId][msg.sender][lockIndex].amount = uint208(newAmount);
        }
        // Weights are floor(amount * boost / BPS), so the position's weight shrinks by the
        // difference of the two floors; the sums stay exact.
        uint256 weightDrop = _weight(oldAmount, boostBps) - _weight(newAmount, boostBps);
        accountWeight -= weightDrop;
        totalWeight -= weightDrop;
        _recordWeights(poolId, pool, msg.sender, accountWeight, totalWeight);
    }

    /// @dev Stores the new weights of `account` and the pool. A change that is the first since a
    ///      scheduled snapshot was reached first records the value before it, which is the value at
    ///      every snapshot since the previous change: once for the pool (_passSnapshots), once for
    ///      the account when its last change came at or before the latest snapshot passed. Any
    ///      other change writes only the two live slots.
    function _recordWeights(
        uint256 poolId,
        Pool storage pool,
        address account,
        uint256 accountWeight,
        uint256 totalWeight
    ) private {
        uint256 lastSnapshot = _passSnapshots(poolId, pool);
        pool.totalWeight = SafeCast.toUint128(totalWeight);
        AccountWeight storage current = _accountWeights[poolId][account];
        uint48 firstChange = current.firstChange;
        uint48 now_ = uint48(block.timestamp);
        if (firstChange == 0) {
            // A first change needs no history: before it the weight was 0 (weightAt knows).
            firstChange = now_;
        } else if (current.lastChange <= lastSnapshot) {
            _accountHistory[poolId][account].push(uint48(lastSnapshot), current.weight);
        }
        // Cannot truncate: an account's weight is part of the pool's total, a uint128.
        _accountWeights[poolId][account] =
            AccountWeight({weight: uint128(accountWeight), firstChange: firstChange, lastChange: now_});
    }

    /// @dev Moves the pool past the scheduled snapshots it has reached since its last pass,
    ///      recording its total weight (unchanged since then) under the latest of them. Returns
    ///      the latest snapshot before now (0: none).
    function _passSnapshots(uint256 poolId, Pool storage pool) private returns (uint256 lastSnapshot) {
        uint256 next = pool.nextSnapshot;
        lastSnapshot = pool.lastSnapshot;
        if (next == 0 || next >= block.timestamp) return lastSnapshot;
        uint48[MAX_PENDING_SNAPSHOTS] memory pending = _pendingSnapshots[poolId];
        uint256 passed = 1; // pending[0] == next, reached
        while (passed < MAX_PENDING_SNAPSHOTS && pending[passed] != 0 && pending[passed] < block.timestamp) {
            ++passed;
        }
        lastSnapshot = pending[passed - 1];
        uint48[MAX_PENDING_SNAPSHOTS] memory rest;
        for (uint256 i = passed; i < MAX_PENDING_SNAPSHOTS; ++i) {
            rest[i - passed] = pending[i];
        }
        _pendingSnapshots[poolId] = rest;
        _totalHistory[poolId].push(uint48(lastSnapshot), pool.totalWeight);
        pool.lastSnapshot = uint48(lastSnapshot);
        pool.nextSnapshot = rest[0];
    }
}
