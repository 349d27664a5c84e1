// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ILaunchpad} from "../interfaces/ILaunchpad.sol";
import {IKYCRegistry} from "../interfaces/IKYCRegistry.sol";
import {IStakingWeights} from "../interfaces/IStakingWeights.sol";
import {IVestingVault} from "../interfaces/IVestingVault.sol";

/// @title Launchpad
/// @notice Token sales with staking tiers, pro rata, a commit-reveal lottery and vesting.
/// @dev See ILaunchpad for the rules; contracts/launchpad/README.md for the reasoning.
contract Launchpad is ILaunchpad, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILaunchpad
    bytes32 public constant SALE_MANAGER_ROLE = keccak256("SALE_MANAGER_ROLE");
    /// @inheritdoc ILaunchpad
    bytes32 public constant FEE_MANAGER_ROLE = keccak256("FEE_MANAGER_ROLE");
    /// @inheritdoc ILaunchpad
    uint256 public constant PRICE_SCALE = 1e18;
    /// @inheritdoc ILaunchpad
    uint16 public constant MAX_FEE_BPS = 1_000;
    /// @inheritdoc ILaunchpad
    uint256 public constant MAX_TIERS = 8;
    uint16 private constant _BPS = 10_000;
    /// @dev Each buyer's fill has two rounded-down pro-rata parts, each short by less than 1 unit.
    uint256 private constant _PRO_RATA_RESERVE_PER_BUYER = 2;

    IKYCRegistry private immutable _kyc;
    IVestingVault private immutable _vault;
    uint64 private immutable _revealWindow;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    uint256 private _nextSaleId;
    uint16 private _feeBps;
    address private _feeRecipient;
    mapping(uint256 saleId => SaleConfig config) private _configs;
    mapping(uint256 saleId => SaleState state) private _states;
    mapping(uint256 saleId => uint256[] thresholds) private _tierThresholds;
    mapping(uint256 saleId => uint128[] allocations) private _tierAllocations;
    mapping(uint256 saleId => mapping(address buyer => Participation participation)) private _participations;

    /// @param admin Receives DEFAULT_ADMIN_ROLE, SALE_MANAGER_ROLE and FEE_MANAGER_ROLE.
    /// @param kyc The KYC registry sales with a `kycLevel` are checked against (may be zero: then
    ///        only sales without a KYC requirement can be created).
    /// @param vault The vesting vault; this contract needs its SCHEDULER_ROLE.
    /// @param feeRecipient Receives the platform fee.
    /// @param feeBps_ Platform fee on proceeds of sales created afterwards.
    /// @param revealWindow_ Seconds after a sale's end during which its lottery seed may be revealed.
    constructor(
        address admin,
        IKYCRegistry kyc,
        IVestingVault vault,
        address feeRecipient,
        uint16 feeBps_,
        uint64 revealWindow_
    ) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(SALE_MANAGER_ROLE, admin);
        _grantRole(FEE_MANAGER_ROLE, admin);
        _kyc = kyc;
        _vault = vault;
        _revealWindow = revealWindow_;
        _setFee(feeBps_, feeRecipient);
    }

    /*//////////////////////////////////////////////////////////////
                              SALE SET-UP
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILaunchpad
    /// @dev The snapshot is scheduled on the staking contract last, after every effect and the
    ///      event (the manager chose that contract; this one needs its snapshot role).
    function createSale(SaleParams calldata params)
        external
        onlyRole(SALE_MANAGER_ROLE)
        returns (uint256 saleId)
    {
        _validate(params);
        saleId = _nextSaleId++;
        SaleConfig storage config = _configs[saleId];
        config.saleToken = params.saleToken;
        config.startTime = params.startTime;
        config.kycLevel = params.kycLevel;
        config.lottery = params.lottery;
        config.feeBps = _feeBps;
        config.paymentToken = params.paymentToken;
        config.endTime = params.endTime;
        config.treasury = params.treasury;
        config.snapshotTime = params.snapshotTime;
        config.staking = params.staking;
        config.poolId = params.poolId;
        config.price = params.price;
        config.hardCap = params.hardCap;
        config.softCap = params.softCap;
        config.minBuy = params.minBuy;
        config.maxBuy = params.maxBuy;
        config.vesting = params.vesting;
        _tierThresholds[saleId] = params.tierThresholds;
        _tierAllocations[saleId] = params.tierAllocations;
        _states[saleId].status = Status.Active;
        emit SaleCreated(saleId, params.saleToken, params.paymentToken, params, _feeBps);
        // Tiers read the weights at the snapshot, which the staking contract keeps only for times
        // scheduled before they come.
        if (params.tierThresholds.length != 0) params.staking.scheduleSnapshot(params.poolId, params.snapshotTime);
    }

    /// @inheritdoc ILaunchpad
    /// @dev Tokens are pulled before being credited so that exactly what arrived counts
    ///      (fee-on-transfer tokens); the reentrancy guard covers the gap.
    function depositSaleTokens(uint256 saleId, uint256 amount) external nonReentrant {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _requireStatus(saleId, Status.Active);
        if (block.timestamp >= config.startTime) revert LaunchpadAlreadyStarted(saleId, config.startTime);
        uint256 received = _pull(config.saleToken, amount);
        uint128 total = (uint256(state.tokensDeposited) + received).toUint128();
        state.tokensDeposited = total;
        state.tokensHeld += uint128(received); // cannot truncate: received <= total, a uint128
        emit SaleTokensDeposited(saleId, msg.sender, received, total);
    }

    /// @inheritdoc ILaunchpad
    function commitSeed(uint256 saleId, bytes32 seedHash) external onlyRole(SALE_MANAGER_ROLE) {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _requireStatus(saleId, Status.Active);
        if (!config.lottery) revert LaunchpadNotLottery(saleId);
        if (block.timestamp >= config.startTime) revert LaunchpadAlreadyStarted(saleId, config.startTime);
        if (seedHash == bytes32(0) || state.seedHash != bytes32(0)) revert LaunchpadInvalidSeedCommitment(saleId);
        state.seedHash = seedHash;
        emit SeedCommitted(saleId, seedHash);
    }

    /*//////////////////////////////////////////////////////////////
                                  SALE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILaunchpad
    /// @dev The payment is pulled before the limits are checked, because they apply to what
    ///      arrived; a failed check reverts the pull with everything else.
    function buy(uint256 saleId, uint256 amount) external nonReentrant {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _requireStatus(saleId, Status.Active);
        if (block.timestamp < config.startTime || block.timestamp > config.endTime) {
            revert LaunchpadNotOpen(saleId, config.startTime, config.endTime);
        }
        uint256 required = _tokensFor(config, config.hardCap);
        if (state.tokensDeposited < required) revert LaunchpadUnderfunded(saleId, state.tokensDeposited, required);
        uint8 kycLevel = config.kycLevel;
        if (kycLevel != 0 && !_kyc.hasLevel(msg.sender, kycLevel)) revert LaunchpadKYCRequired(msg.sender, kycLevel);
        Participation storage participation = _participations[saleId][msg.sender];
        uint256 before = participation.committed;
        if (before != 0 && config.lottery) revert LaunchpadAlreadyEntered(saleId, msg.sender);
        if (amount == 0) revert LaunchpadInvalidAmount(amount, 0);

        uint256 received = _pull(config.paymentToken, amount);
        uint256 committed = before + received;
        if (committed < config.minBuy || committed > config.maxBuy) {
            revert LaunchpadAmountOutOfRange(saleId, committed, config.minBuy, config.maxBuy);
        }

        uint256 cap;
        if (before == 0) {
            cap = _guaranteedAllocation(saleId, config, msg.sender);
            // Cannot truncate: a tier allocation is a uint128.
            participation.guaranteedCap = uint128(cap);
            state.participants += 1;
        } else {
            cap = participation.guaranteedCap;
        }
        // Split the added commitment into its guaranteed and open parts.
        uint256 guaranteedAdded = Math.min(committed, cap) - Math.min(before, cap);
        uint256 openAdded = received - guaranteedAdded;
        uint256 lotteryOffset = state.openDemand;
        // Cannot truncate: every sum below is at most the total committed, checked by toUint128.
        state.totalCommitted = (uint256(state.totalCommitted) + received).toUint128();
        state.guaranteedDemand += uint128(guaranteedAdded);
        state.openDemand += uint128(openAdded);
        state.paymentHeld += uint128(received);
        participation.committed = uint128(committed);
        if (config.lottery) {
            participation.lotteryOffset = uint128(lotteryOffset);
            state.entriesHash = keccak256(abi.encode(state.entriesHash, msg.sender, received));
        }
        emit Purchased(saleId, msg.sender, received, committed, cap, lotteryOffset);
    }

    /// @inheritdoc ILaunchpad
    function revealSeed(uint256 saleId, bytes32 seed) external {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _requireStatus(saleId, Status.Active);
        if (!config.lottery) revert LaunchpadNotLottery(saleId);
        uint256 deadline = uint256(config.endTime) + _revealWindow;
        if (block.timestamp <= config.endTime || block.timestamp > deadline || state.seedRevealed) {
            revert LaunchpadRevealClosed(saleId, deadline);
        }
        bytes32 seedHash = state.seedHash;
        if (seedHash == bytes32(0) || keccak256(abi.encodePacked(seed)) != seedHash) {
            revert LaunchpadSeedMismatch(saleId);
        }
        // The entries are final (the sale has ended) and the seed was fixed before the first of
        // them: neither the manager nor the buyers chose this value knowing the other's input.
        bytes32 randomness = keccak256(abi.encode(seed, state.entriesHash, saleId));
        uint256 openDemand = state.openDemand;
        uint256 lotteryStart = openDemand == 0 ? 0 : uint256(randomness) % openDemand;
        state.seedRevealed = true;
        state.lotteryStart = uint128(lotteryStart); // cannot truncate: < openDemand, a uint128
        emit SeedRevealed(saleId, seed, randomness, lotteryStart);
    }

    /// @inheritdoc ILaunchpad
    function finalize(uint256 saleId) external nonReentrant {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _requireStatus(saleId, Status.Active);
        if (block.timestamp <= config.endTime) revert LaunchpadNotEnded(saleId, config.endTime);
        uint256 hardCap = config.hardCap;
        uint256 openSupply = hardCap - Math.min(state.guaranteedDemand, hardCap);
        bool drawn = _lotteryDrawn(saleId, config, state, openSupply);
        uint256 raised = Math.min(state.totalCommitted, hardCap);
        if (raised < config.softCap) {
            _fail(saleId, config, state);
        } else {
            _succeed(saleId, config, state, raised, openSupply, drawn);
        }
    }

    /// @inheritdoc ILaunchpad
    function cancelSale(uint256 saleId) external nonReentrant onlyRole(SALE_MANAGER_ROLE) {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _requireStatus(saleId, Status.Active);
        // An ended sale can only be finalized: the manager cannot void a result it dislikes.
        if (block.timestamp > config.endTime) revert LaunchpadWrongStatus(saleId, Status.Active);
        uint256 tokensBack = state.tokensHeld;
        state.status = Status.Cancelled;
        state.tokensHeld = 0;
        emit SaleCancelled(saleId, tokensBack);
        if (tokensBack != 0) IERC20(config.saleToken).safeTransfer(config.treasury, tokensBack);
    }

    /*//////////////////////////////////////////////////////////////
                          REFUNDS AND SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILaunchpad
    function refund(uint256 saleId) external nonReentrant {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _states[saleId];
        Status status = state.status;
        if (status != Status.Failed && status != Status.Cancelled) revert LaunchpadWrongStatus(saleId, status);
        Participation storage participation = _participations[saleId][msg.sender];
        uint256 amount = participation.committed;
        if (amount == 0 || participation.settled) revert LaunchpadNothingToSettle(saleId, msg.sender);
        participation.settled = true;
        state.settledCount += 1;
        state.paymentHeld -= uint128(amount); // cannot truncate: committed is a uint128
        emit Refunded(saleId, msg.sender, amount);
        IERC20(config.paymentToken).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ILaunchpad
    function settle(uint256 saleId) external nonReentrant returns (uint256 scheduleId) {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _requireStatus(saleId, Status.Succeeded);
        Participation storage participation = _participations[saleId][msg.sender];
        uint256 committed = participation.committed;
        if (committed == 0 || participation.settled) revert LaunchpadNothingToSettle(saleId, msg.sender);
        (uint256 paid, uint256 tokens) = _outcome(config, state, participation);
        uint256 refundAmount = committed - paid;
        participation.settled = true;
        state.settledCount += 1;
        // Cannot truncate: refundAmount <= committed, tokens <= tokensFor(raised), both uint128.
        state.paymentHeld -= uint128(refundAmount);
        state.tokensHeld -= uint128(tokens);
        if (refundAmount != 0) IERC20(config.paymentToken).safeTransfer(msg.sender, refundAmount);
        if (tokens != 0) scheduleId = _vault.createSchedule(msg.sender, config.saleToken, tokens, config.vesting);
        // After the calls only because it carries the id the vault assigned; every state change
        // came first and the guard blocks reentry.
        emit Settled(saleId, msg.sender, paid, tokens, refundAmount, scheduleId);
    }

    /// @inheritdoc ILaunchpad
    function sweepRemainder(uint256 saleId) external nonReentrant {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _requireStatus(saleId, Status.Succeeded);
        if (state.settledCount != state.participants) {
            revert LaunchpadNotFullySettled(saleId, state.settledCount, state.participants);
        }
        uint256 payment = state.paymentHeld;
        uint256 tokens = state.tokensHeld;
        state.paymentHeld = 0;
        state.tokensHeld = 0;
        emit RemainderSwept(saleId, payment, tokens);
        if (payment != 0) IERC20(config.paymentToken).safeTransfer(config.treasury, payment);
        if (tokens != 0) IERC20(config.saleToken).safeTransfer(config.treasury, tokens);
    }

    /// @inheritdoc ILaunchpad
    /// @dev Applies to sales created afterwards: each sale keeps the fee it was created with.
    function setFee(uint16 feeBps_, address feeRecipient) external onlyRole(FEE_MANAGER_ROLE) {
        _setFee(feeBps_, feeRecipient);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILaunchpad
    function saleConfig(uint256 saleId) external view returns (SaleConfig memory) {
        return _config(saleId);
    }

    /// @inheritdoc ILaunchpad
    function saleState(uint256 saleId) external view returns (SaleState memory) {
        _config(saleId);
        return _states[saleId];
    }

    /// @inheritdoc ILaunchpad
    function tiersOf(uint256 saleId)
        external
        view
        returns (uint256[] memory thresholds, uint128[] memory allocations)
    {
        _config(saleId);
        return (_tierThresholds[saleId], _tierAllocations[saleId]);
    }

    /// @inheritdoc ILaunchpad
    function participationOf(uint256 saleId, address buyer) external view returns (Participation memory) {
        return _participations[saleId][buyer];
    }

    /// @inheritdoc ILaunchpad
    function guaranteedAllocationOf(uint256 saleId, address buyer) external view returns (uint256) {
        return _guaranteedAllocation(saleId, _config(saleId), buyer);
    }

    /// @inheritdoc ILaunchpad
    function allocationOf(uint256 saleId, address buyer)
        external
        view
        returns (uint256 paid, uint256 tokens, uint256 refundAmount)
    {
        SaleConfig storage config = _config(saleId);
        SaleState storage state = _states[saleId];
        Participation storage participation = _participations[saleId][buyer];
        Status status = state.status;
        if (status == Status.Succeeded) {
            (paid, tokens) = _outcome(config, state, participation);
            return (paid, tokens, participation.committed - paid);
        }
        if (status == Status.Failed || status == Status.Cancelled) return (0, 0, participation.committed);
        revert LaunchpadWrongStatus(saleId, status);
    }

    /// @inheritdoc ILaunchpad
    function tokensFor(uint256 saleId, uint256 payment) external view returns (uint256) {
        return _tokensFor(_config(saleId), payment);
    }

    /// @inheritdoc ILaunchpad
    function vestingVault() external view returns (IVestingVault) {
        return _vault;
    }

    /// @inheritdoc ILaunchpad
    function revealWindow() external view returns (uint64) {
        return _revealWindow;
    }

    /// @inheritdoc ILaunchpad
    function fee() external view returns (uint16 feeBps, address feeRecipient) {
        return (_feeBps, _feeRecipient);
    }

    /// @inheritdoc ILaunchpad
    function nextSaleId() external view returns (uint256) {
        return _nextSaleId;
    }

    function kycRegistry() external view returns (IKYCRegistry) {
        return _kyc;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Whether the open part is settled by the lottery's draw; reverts while a committed
    ///      seed may still be revealed. Not revealed in time: pro rata (false).
    function _lotteryDrawn(uint256 saleId, SaleConfig storage config, SaleState storage state, uint256 openSupply)
        private
        view
        returns (bool)
    {
        if (!config.lottery || state.openDemand <= openSupply || state.seedHash == bytes32(0)) return false;
        if (state.seedRevealed) return true;
        uint256 deadline = uint256(config.endTime) + _revealWindow;
        if (block.timestamp <= deadline) revert LaunchpadAwaitingReveal(saleId, deadline);
        return false;
    }

    /// @dev How many payment units per buyer the refunds may exceed `total - raised` by: the
    ///      rounding of the two pro-rata parts when oversubscribed, plus what a fill pays for less
    ///      than one sale-token base unit (at most floor(price / 1e18); zero when price < 1e18).
    function _reservePerBuyer(SaleConfig storage config, SaleState storage state) private view returns (uint256) {
        uint256 proRata = state.totalCommitted > config.hardCap ? _PRO_RATA_RESERVE_PER_BUYER : 0;
        return proRata + config.price / PRICE_SCALE;
    }

    function _fail(uint256 saleId, SaleConfig storage config, SaleState storage state) private {
        uint256 tokensBack = state.tokensHeld;
        state.status = Status.Failed;
        state.tokensHeld = 0;
        emit SaleFinalized(saleId, Status.Failed, 0, 0, 0, tokensBack, false);
        if (tokensBack != 0) IERC20(config.saleToken).safeTransfer(config.treasury, tokensBack);
    }

    function _succeed(
        uint256 saleId,
        SaleConfig storage config,
        SaleState storage state,
        uint256 raised,
        uint256 openSupply,
        bool drawn
    ) private {
        uint256 reserve = Math.min(raised, uint256(state.participants) * _reservePerBuyer(config, state));
        uint256 tokensSold = _tokensFor(config, raised);
        uint256 proceeds;
        uint256 tokensBack;
        unchecked {
            // Cannot underflow: reserve <= raised; tokensSold <= tokensFor(hardCap) <= tokensHeld
            // (buying required that deposit, and nothing left the sale before finalize).
            proceeds = raised - reserve;
            tokensBack = state.tokensHeld - tokensSold;
        }
        uint256 platformFee = proceeds * config.feeBps / _BPS;
        state.status = Status.Succeeded;
        // Cannot truncate: each is at most a uint128 it is derived from.
        state.raised = uint128(raised);
        state.openSupply = uint128(openSupply);
        state.lotteryDrawn = drawn;
        state.paymentHeld -= uint128(proceeds);
        state.tokensHeld = uint128(tokensSold);
        emit SaleFinalized(saleId, Status.Succeeded, raised, proceeds, platformFee, tokensBack, drawn);

        IERC20 paymentToken = IERC20(config.paymentToken);
        if (platformFee != 0) paymentToken.safeTransfer(_feeRecipient, platformFee);
        if (proceeds != platformFee) paymentToken.safeTransfer(config.treasury, proceeds - platformFee);
        IERC20 saleToken = IERC20(config.saleToken);
        if (tokensBack != 0) saleToken.safeTransfer(config.treasury, tokensBack);
        // The vault pulls each buyer's tokens at settle.
        if (tokensSold != 0) saleToken.forceApprove(address(_vault), type(uint256).max);
    }

    function _validate(SaleParams calldata p) private view {
        if (
            p.saleToken == address(0) || p.paymentToken == address(0) || p.treasury == address(0)
                || p.saleToken == p.paymentToken
        ) revert LaunchpadInvalidTokens(p.saleToken, p.paymentToken, p.treasury);
        uint256 tiers = p.tierThresholds.length;
        if (
            p.startTime <= block.timestamp || p.snapshotTime >= p.startTime || p.endTime <= p.startTime
                || p.vesting.start < p.endTime || (tiers != 0 && p.snapshotTime < block.timestamp)
        ) revert LaunchpadInvalidTimes(p.snapshotTime, p.startTime, p.endTime, p.vesting.start);
        if (p.price == 0 || p.hardCap == 0 || p.softCap > p.hardCap) {
            revert LaunchpadInvalidCaps(p.price, p.softCap, p.hardCap);
        }
        // Some tokens must be for sale, and no buyer's tokens may exceed what a vault schedule holds.
        uint256 tokensAtHardCap = Math.mulDiv(p.hardCap, PRICE_SCALE, p.price);
        if (tokensAtHardCap == 0 || tokensAtHardCap > type(uint112).max) {
            revert LaunchpadInvalidCaps(p.price, p.softCap, p.hardCap);
        }
        if (p.maxBuy == 0 || p.minBuy > p.maxBuy) revert LaunchpadInvalidLimits(p.minBuy, p.maxBuy);
        if (p.vesting.tgeBps > _BPS || p.vesting.revocable) {
            revert LaunchpadInvalidVesting(p.vesting.tgeBps, p.vesting.revocable);
        }
        if (p.kycLevel != 0 && address(_kyc) == address(0)) revert LaunchpadKYCUnavailable(p.kycLevel);
        if (tiers != p.tierAllocations.length || tiers > MAX_TIERS) revert LaunchpadInvalidTiers(tiers);
        if (tiers != 0 && address(p.staking) == address(0)) revert LaunchpadInvalidTiers(0);
        uint256 previous;
        for (uint256 i; i < tiers; ++i) {
            if (p.tierThresholds[i] <= previous) revert LaunchpadInvalidTiers(i);
            previous = p.tierThresholds[i];
        }
    }

    function _config(uint256 saleId) private view returns (SaleConfig storage config) {
        config = _configs[saleId];
        if (config.saleToken == address(0)) revert LaunchpadUnknownSale(saleId);
    }

    function _requireStatus(uint256 saleId, Status expected) private view returns (SaleState storage state) {
        state = _states[saleId];
        if (state.status != expected) revert LaunchpadWrongStatus(saleId, state.status);
    }

    function _setFee(uint16 feeBps_, address feeRecipient) private {
        if (feeBps_ > MAX_FEE_BPS || feeRecipient == address(0)) revert LaunchpadInvalidFee(feeBps_, feeRecipient);
        _feeBps = feeBps_;
        _feeRecipient = feeRecipient;
        emit FeeChanged(feeBps_, feeRecipient);
    }

    /// @dev Pulls `amount` from the caller and returns what arrived.
    function _pull(address token, uint256 amount) private returns (uint256 received) {
        if (amount == 0) revert LaunchpadInvalidAmount(amount, 0);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        received = IERC20(token).balanceOf(address(this)) - before;
        if (received == 0) revert LaunchpadInvalidAmount(amount, 0);
    }

    function _tokensFor(SaleConfig storage config, uint256 payment) private view returns (uint256) {
        // Rounded down: in the project's favour.
        return Math.mulDiv(payment, PRICE_SCALE, config.price);
    }

    function _guaranteedAllocation(uint256 saleId, SaleConfig storage config, address buyer)
        private
        view
        returns (uint256)
    {
        IStakingWeights staking = config.staking;
        if (address(staking) == address(0)) return 0;
        uint256[] storage thresholds = _tierThresholds[saleId];
        uint256 tiers = thresholds.length;
        if (tiers == 0) return 0;
        uint256 weight = staking.weightAt(config.poolId, buyer, config.snapshotTime);
        for (uint256 i = tiers; i != 0; --i) {
            if (weight >= thresholds[i - 1]) return _tierAllocations[saleId][i - 1];
        }
        return 0;
    }

    /// @dev What a buyer pays and gets: its fill buys floor(fill * 1e18 / price) tokens, which
    ///      cost ceil(tokens * price / 1e18) <= fill; the rest of the commitment is refunded.
    function _outcome(SaleConfig storage config, SaleState storage state, Participation storage participation)
        private
        view
        returns (uint256 paid, uint256 tokens)
    {
        tokens = _tokensFor(config, _filled(config, state, participation));
        paid = Math.mulDiv(tokens, config.price, PRICE_SCALE, Math.Rounding.Ceil);
    }

    /// @dev The payment units of `participation` that the allocation fills (ILaunchpad: Allocation).
    function _filled(SaleConfig storage config, SaleState storage state, Participation storage participation)
        private
        view
        returns (uint256)
    {
        uint256 committed = participation.committed;
        uint256 hardCap = config.hardCap;
        uint256 guaranteedDemand = state.guaranteedDemand;
        uint256 guaranteed = Math.min(committed, participation.guaranteedCap);
        uint256 open = committed - guaranteed;
        uint256 guaranteedFill =
            guaranteedDemand <= hardCap ? guaranteed : Math.mulDiv(guaranteed, hardCap, guaranteedDemand);
        uint256 openDemand = state.openDemand;
        uint256 openSupply = state.openSupply;
        uint256 openFill;
        if (openDemand <= openSupply) {
            openFill = open;
        } else if (state.lotteryDrawn) {
            openFill = _lotteryFill(participation.lotteryOffset, open, state.lotteryStart, openSupply, openDemand);
        } else {
            openFill = Math.mulDiv(open, openSupply, openDemand);
        }
        return guaranteedFill + openFill;
    }

    /// @dev Overlap of the tickets [offset, offset + count) with the winning window of `supply`
    ///      tickets from `start`, wrapping around at `demand` (supply < demand, start < demand).
    function _lotteryFill(uint256 offset, uint256 count, uint256 start, uint256 supply, uint256 demand)
        private
        pure
        returns (uint256 fill)
    {
        uint256 end = start + supply;
        fill = _overlap(offset, offset + count, start, Math.min(end, demand));
        if (end > demand) fill += _overlap(offset, offset + count, 0, end - demand);
    }

    function _overlap(uint256 a0, uint256 a1, uint256 b0, uint256 b1) private pure returns (uint256) {
        uint256 lo = Math.max(a0, b0);
        uint256 hi = Math.min(a1, b1);
        return hi > lo ? hi - lo : 0;
    }
}
