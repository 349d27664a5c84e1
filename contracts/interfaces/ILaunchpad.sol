// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStakingWeights} from "./IStakingWeights.sol";
import {IVestingVault} from "./IVestingVault.sol";

/// @title ILaunchpad
/// @notice Token sales with staking tiers, pro-rata oversubscription, an optional commit-reveal
///         lottery, refunds when the soft cap is missed, and vesting of the tokens bought.
///
/// Lifecycle of a sale:
///   createSale (SALE_MANAGER_ROLE) -> Active
///   before startTime: depositSaleTokens (anyone; at least tokensFor(hardCap) must arrive),
///                     commitSeed (SALE_MANAGER_ROLE, lottery sales)
///   [startTime, endTime]: buy (KYC level, per-user min/max, commitments may exceed the hard cap)
///   (endTime, endTime + revealWindow]: revealSeed (lottery sales with a committed seed)
///   after endTime: finalize (anyone) -> Succeeded (min(total, hardCap) >= softCap) or Failed
///   Succeeded: settle (each buyer): tokens into a VestingVault schedule, the excess refunded;
///              sweepRemainder once every buyer settled (rounding dust to the treasury)
///   Failed or Cancelled: refund (each buyer, in full)
///   before endTime: cancelSale (SALE_MANAGER_ROLE) -> Cancelled
///
/// Price: `price` payment-token base units buy PRICE_SCALE (1e18) sale-token base units.
///   tokens = floor(filled * 1e18 / price)             (rounded in the project's favour)
///   paid   = ceil(tokens * price / 1e18) <= filled    (what those tokens cost)
///   refund = committed - paid, `filled` rounded down  (rounded in the buyer's favour)
/// so nobody pays for a fraction of a base unit it did not get (paid == filled when price < 1e18).
///
/// Allocation (payment units). A buyer's tier is the highest `i` with
/// `staking.weightAt(poolId, buyer, snapshotTime) >= tierThresholds[i]`, read at the buyer's first
/// purchase; it guarantees `tierAllocations[i]`. The staking contract keeps weights only at
/// snapshot times scheduled in advance, so `createSale` schedules the sale's snapshot there
/// (`staking.scheduleSnapshot(poolId, snapshotTime)`, which needs the launchpad to hold its
/// snapshot role): a sale with tiers needs now <= snapshotTime. Of a commitment `c` with guarantee `cap`, the
/// guaranteed part is `g = min(c, cap)` and the open part `e = c - g`. With `G`, `E` the sums over
/// all buyers and `H` the hard cap:
///   guaranteed fill = g                      if G <= H, else floor(g * H / G)
///   open supply R   = H - min(G, H)
///   open fill       = e                      if E <= R, else floor(e * R / E) (pro rata), or the
///                     lottery's draw when the sale has a revealed lottery seed
///   filled = guaranteed fill + open fill; raised = min(G + E, H) >= sum of every filled.
///
/// Lottery (commit-reveal). The sale manager commits `seedHash = keccak256(abi.encodePacked(seed))`
/// before startTime. Each purchase extends a hash chain of the entries
/// (`entriesHash = keccak256(abi.encode(entriesHash, buyer, amount))`) and gives the buyer's open
/// part the ticket range [offset, offset + e) of [0, E) (one purchase per buyer in a lottery sale,
/// so that each buyer holds one range). After endTime anyone reveals the seed by
/// endTime + revealWindow; `randomness = keccak256(abi.encode(seed, entriesHash, saleId))` and the
/// winning window is the R tickets from `randomness % E`, wrapping around: a buyer's open fill is
/// the overlap of its range with the window, so the open fills add up to exactly R. The seed is
/// fixed before any entry, so the manager cannot steer the draw after seeing the entries, and the
/// buyers cannot predict it. Fallback: if the seed was not committed before the start, or is not
/// revealed by the deadline, the open part is settled pro rata (no blockhash involved). Known
/// limit: a manager who withholds the seed chooses between the draw and pro rata, and a manager
/// colluding with a buyer could grind that buyer's last entry; a VRF would remove both.
///
/// Success: finalize pays `proceeds = raised - reserve`, where the reserve covers rounding in the
/// buyers' favour: per buyer, 2 units when the sale was oversubscribed (each buyer's two pro-rata
/// fills) plus floor(price / 1e18) (a fill's part worth less than one token base unit); it is 0
/// for a sale that was not oversubscribed and has price < 1e18. The proceeds minus the platform
/// fee (`feeBps` of the proceeds, fixed at creation) go to the treasury, the fee to the fee
/// recipient, and the sale tokens not sold (`deposited - tokensFor(raised)`) back to the
/// treasury. What rounding leaves over is swept to the treasury once every buyer settled.
///
/// Fee-on-transfer tokens: purchases and deposits credit what arrived.
interface ILaunchpad {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    enum Status {
        None,
        Active,
        Succeeded,
        Failed,
        Cancelled
    }

    /// @notice A sale as given to `createSale`.
    /// @param saleToken The token sold (deposited before the start, vested to buyers).
    /// @param paymentToken The token paid (e.g. TUSD).
    /// @param treasury The project's treasury: receives proceeds and unsold tokens.
    /// @param staking Where tier weights are read (address(0): no tiers, everything is open).
    /// @param poolId The staking pool whose weights give the tiers.
    /// @param snapshotTime The weights are read at this time: before startTime and, for a sale
    ///        with tiers, not in the past (it is scheduled on `staking` at creation).
    /// @param startTime First second purchases are accepted.
    /// @param endTime Last second purchases are accepted.
    /// @param price Payment base units per PRICE_SCALE sale-token base units.
    /// @param hardCap Most payment units the sale raises.
    /// @param softCap Below this (min(total committed, hardCap)) the sale fails and refunds all.
    /// @param minBuy Least a buyer's total commitment may be.
    /// @param maxBuy Most a buyer's total commitment may be.
    /// @param kycLevel KYC level every buyer must hold when buying (0: none).
    /// @param lottery Whether the open part is drawn by lottery (see the contract notes).
    /// @param tierThresholds Stake weights, strictly increasing and > 0, giving tiers 0..n-1.
    /// @param tierAllocations The guaranteed allocation (payment units) of each tier.
    /// @param vesting How buyers' tokens vest (`revocable` must be false).
    struct SaleParams {
        address saleToken;
        address paymentToken;
        address treasury;
        IStakingWeights staking;
        uint256 poolId;
        uint64 snapshotTime;
        uint64 startTime;
        uint64 endTime;
        uint128 price;
        uint128 hardCap;
        uint128 softCap;
        uint128 minBuy;
        uint128 maxBuy;
        uint8 kycLevel;
        bool lottery;
        uint256[] tierThresholds;
        uint128[] tierAllocations;
        IVestingVault.ScheduleTerms vesting;
    }

    /// @notice A sale's stored configuration (the tiers are in `tiersOf`).
    struct SaleConfig {
        address saleToken;
        uint64 startTime;
        uint8 kycLevel;
        bool lottery;
        uint16 feeBps;
        address paymentToken;
        uint64 endTime;
        address treasury;
        uint64 snapshotTime;
        IStakingWeights staking;
        uint256 poolId;
        uint128 price;
        uint128 hardCap;
        uint128 softCap;
        uint128 minBuy;
        uint128 maxBuy;
        IVestingVault.ScheduleTerms vesting;
    }

    /// @notice A sale's running state.
    /// @param participants Buyers with a commitment.
    /// @param settledCount Buyers who settled or were refunded.
    /// @param totalCommitted Sum of commitments (what arrived).
    /// @param guaranteedDemand G: sum of the guaranteed parts.
    /// @param openDemand E: sum of the open parts.
    /// @param tokensDeposited Sale tokens deposited (what arrived).
    /// @param tokensHeld Sale tokens still held for this sale.
    /// @param paymentHeld Payment tokens still held for this sale.
    /// @param raised min(total, hardCap), set by a successful finalize.
    /// @param openSupply R, set at reveal or finalize.
    /// @param lotteryStart The first winning ticket, set at reveal.
    struct SaleState {
        Status status;
        uint32 participants;
        uint32 settledCount;
        bool seedRevealed;
        bool lotteryDrawn;
        uint128 totalCommitted;
        uint128 guaranteedDemand;
        uint128 openDemand;
        uint128 tokensDeposited;
        uint128 tokensHeld;
        uint128 paymentHeld;
        uint128 raised;
        uint128 openSupply;
        uint128 lotteryStart;
        bytes32 seedHash;
        bytes32 entriesHash;
    }

    /// @notice One buyer's participation in a sale.
    /// @param committed What the buyer committed (what arrived).
    /// @param guaranteedCap The buyer's tier allocation (payment units).
    /// @param lotteryOffset First ticket of the buyer's open range (lottery sales).
    /// @param settled Settled (success) or refunded (failure, cancellation).
    struct Participation {
        uint128 committed;
        uint128 guaranteedCap;
        uint128 lotteryOffset;
        bool settled;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice A token or the treasury is the zero address, or the sale and payment tokens are equal.
    error LaunchpadInvalidTokens(address saleToken, address paymentToken, address treasury);
    /// @notice Times must satisfy now < startTime, snapshotTime < startTime < endTime <= vesting start,
    ///         and, for a sale with tiers, now <= snapshotTime.
    error LaunchpadInvalidTimes(uint64 snapshotTime, uint64 startTime, uint64 endTime, uint32 vestingStart);
    /// @notice Need price > 0, softCap <= hardCap, 0 < tokensFor(hardCap) <= type(uint112).max.
    error LaunchpadInvalidCaps(uint128 price, uint128 softCap, uint128 hardCap);
    /// @notice Need minBuy <= maxBuy and maxBuy > 0.
    error LaunchpadInvalidLimits(uint128 minBuy, uint128 maxBuy);
    /// @notice The tier at `index` is invalid (lengths differ, too many, thresholds not increasing
    ///         from > 0, or tiers without a staking source).
    error LaunchpadInvalidTiers(uint256 index);
    /// @notice Buyers' vesting must have tgeBps <= 10_000 and not be revocable.
    error LaunchpadInvalidVesting(uint16 tgeBps, bool revocable);
    /// @notice A KYC level was required but the launchpad has no KYC registry.
    error LaunchpadKYCUnavailable(uint8 kycLevel);
    /// @notice The fee is above MAX_FEE_BPS, or its recipient is the zero address.
    error LaunchpadInvalidFee(uint16 feeBps, address feeRecipient);
    /// @notice No sale has this id.
    error LaunchpadUnknownSale(uint256 saleId);
    /// @notice The sale is not in a status that allows this.
    error LaunchpadWrongStatus(uint256 saleId, Status status);
    /// @notice Purchases are only accepted in [startTime, endTime].
    error LaunchpadNotOpen(uint256 saleId, uint64 startTime, uint64 endTime);
    /// @notice Only allowed before startTime.
    error LaunchpadAlreadyStarted(uint256 saleId, uint64 startTime);
    /// @notice Only allowed after endTime.
    error LaunchpadNotEnded(uint256 saleId, uint64 endTime);
    /// @notice Fewer sale tokens were deposited than the hard cap sells.
    error LaunchpadUnderfunded(uint256 saleId, uint256 deposited, uint256 required);
    /// @notice The buyer lacks the sale's KYC level (missing, revoked or expired).
    error LaunchpadKYCRequired(address buyer, uint8 kycLevel);
    /// @notice Nothing was sent, or nothing arrived.
    error LaunchpadInvalidAmount(uint256 amount, uint256 received);
    /// @notice The buyer's total commitment would be outside [minBuy, maxBuy].
    error LaunchpadAmountOutOfRange(uint256 saleId, uint256 total, uint128 minBuy, uint128 maxBuy);
    /// @notice A lottery sale takes one purchase per buyer.
    error LaunchpadAlreadyEntered(uint256 saleId, address buyer);
    /// @notice The sale has no lottery.
    error LaunchpadNotLottery(uint256 saleId);
    /// @notice A seed hash was already committed (or is zero).
    error LaunchpadInvalidSeedCommitment(uint256 saleId);
    /// @notice The revealed seed does not match the commitment, or none was committed.
    error LaunchpadSeedMismatch(uint256 saleId);
    /// @notice Reveals are accepted in (endTime, deadline], once.
    error LaunchpadRevealClosed(uint256 saleId, uint256 deadline);
    /// @notice The lottery seed may still be revealed until `deadline`; finalize after it.
    error LaunchpadAwaitingReveal(uint256 saleId, uint256 deadline);
    /// @notice The buyer has nothing to settle or refund (never bought, or already done).
    error LaunchpadNothingToSettle(uint256 saleId, address buyer);
    /// @notice Not every buyer has settled yet.
    error LaunchpadNotFullySettled(uint256 saleId, uint32 settledCount, uint32 participants);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A sale was created; `feeBps` is the platform fee fixed for it.
    event SaleCreated(
        uint256 indexed saleId,
        address indexed saleToken,
        address indexed paymentToken,
        SaleParams params,
        uint16 feeBps
    );
    /// @notice `amount` sale tokens arrived from `from`; `totalDeposited` is the sale's new total.
    event SaleTokensDeposited(uint256 indexed saleId, address indexed from, uint256 amount, uint256 totalDeposited);
    /// @notice The lottery seed's hash was committed.
    event SeedCommitted(uint256 indexed saleId, bytes32 seedHash);
    /// @notice `buyer` committed `amount` (what arrived); `committed` is its new total, `guaranteedCap`
    ///         its tier allocation, `lotteryOffset` the first ticket of its open range.
    event Purchased(
        uint256 indexed saleId,
        address indexed buyer,
        uint256 amount,
        uint256 committed,
        uint256 guaranteedCap,
        uint256 lotteryOffset
    );
    /// @notice The seed was revealed; the lottery's winning window starts at `lotteryStart`.
    event SeedRevealed(uint256 indexed saleId, bytes32 seed, bytes32 randomness, uint256 lotteryStart);
    /// @notice The sale ended as `outcome`. On success `raised` was filled, `proceeds - fee` went to
    ///         the treasury and `fee` to the fee recipient; `tokensReturned` unsold tokens went back.
    event SaleFinalized(
        uint256 indexed saleId,
        Status indexed outcome,
        uint256 raised,
        uint256 proceeds,
        uint256 fee,
        uint256 tokensReturned,
        bool lotteryDrawn
    );
    /// @notice The sale was cancelled; `tokensReturned` sale tokens went back to the treasury.
    event SaleCancelled(uint256 indexed saleId, uint256 tokensReturned);
    /// @notice `buyer` got its whole commitment back (failed or cancelled sale).
    event Refunded(uint256 indexed saleId, address indexed buyer, uint256 amount);
    /// @notice `buyer` settled a successful sale: `paid` payment units bought `tokens`, vested in
    ///         the vault's schedule `scheduleId` (0 and no schedule when `tokens` is 0), and
    ///         `refund` (= committed - paid) came back.
    event Settled(
        uint256 indexed saleId,
        address indexed buyer,
        uint256 paid,
        uint256 tokens,
        uint256 refund,
        uint256 scheduleId
    );
    /// @notice What rounding left over went to the treasury after every buyer settled.
    event RemainderSwept(uint256 indexed saleId, uint256 payment, uint256 tokens);
    /// @notice The platform fee for new sales changed.
    event FeeChanged(uint16 feeBps, address feeRecipient);

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Role that creates and cancels sales and commits lottery seeds.
    function SALE_MANAGER_ROLE() external view returns (bytes32);
    /// @notice Role that sets the platform fee and its recipient.
    function FEE_MANAGER_ROLE() external view returns (bytes32);
    /// @notice The price denominator: `price` buys this many sale-token base units.
    function PRICE_SCALE() external view returns (uint256);
    /// @notice Highest platform fee, in basis points.
    function MAX_FEE_BPS() external view returns (uint16);
    /// @notice Most tiers a sale may have.
    function MAX_TIERS() external view returns (uint256);

    /// @notice Creates a sale. Only SALE_MANAGER_ROLE.
    /// @return saleId The new sale's id.
    function createSale(SaleParams calldata params) external returns (uint256 saleId);

    /// @notice Deposits sale tokens for `saleId` (before its start; credits what arrived).
    function depositSaleTokens(uint256 saleId, uint256 amount) external;

    /// @notice Commits the lottery seed's hash, before the start. Only SALE_MANAGER_ROLE.
    function commitSeed(uint256 saleId, bytes32 seedHash) external;

    /// @notice Commits `amount` payment tokens to `saleId` (credits what arrived).
    function buy(uint256 saleId, uint256 amount) external;

    /// @notice Reveals the lottery seed (after the end, by the deadline); anyone who knows it may.
    function revealSeed(uint256 saleId, bytes32 seed) external;

    /// @notice Ends the sale after endTime: Succeeded or Failed. Anyone may call.
    function finalize(uint256 saleId) external;

    /// @notice Cancels an Active sale before its end; buyers then refund in full. Only SALE_MANAGER_ROLE.
    function cancelSale(uint256 saleId) external;

    /// @notice Refunds the caller's whole commitment of a Failed or Cancelled sale.
    function refund(uint256 saleId) external;

    /// @notice Settles the caller's participation in a Succeeded sale: vests its tokens, refunds the excess.
    /// @return scheduleId The vault schedule holding the tokens (meaningless when none were bought).
    function settle(uint256 saleId) external returns (uint256 scheduleId);

    /// @notice Sends what rounding left over to the treasury, once every buyer settled.
    function sweepRemainder(uint256 saleId) external;

    /// @notice Sets the platform fee for sales created afterwards. Only FEE_MANAGER_ROLE.
    function setFee(uint16 feeBps, address feeRecipient) external;

    /// @notice A sale's configuration.
    function saleConfig(uint256 saleId) external view returns (SaleConfig memory);
    /// @notice A sale's running state.
    function saleState(uint256 saleId) external view returns (SaleState memory);
    /// @notice A sale's tier thresholds and allocations.
    function tiersOf(uint256 saleId)
        external
        view
        returns (uint256[] memory thresholds, uint128[] memory allocations);
    /// @notice A buyer's participation.
    function participationOf(uint256 saleId, address buyer) external view returns (Participation memory);
    /// @notice The guaranteed allocation `buyer` would get (from its weight at the snapshot).
    function guaranteedAllocationOf(uint256 saleId, address buyer) external view returns (uint256);
    /// @notice A buyer's outcome once the sale is final: payment spent, tokens bought, refund due
    ///         (Failed or Cancelled: 0, 0, the whole commitment).
    function allocationOf(uint256 saleId, address buyer)
        external
        view
        returns (uint256 paid, uint256 tokens, uint256 refundAmount);
    /// @notice Sale tokens `payment` buys in `saleId` (rounded down).
    function tokensFor(uint256 saleId, uint256 payment) external view returns (uint256);
    /// @notice The vesting vault buyers' tokens go to.
    function vestingVault() external view returns (IVestingVault);
    /// @notice Seconds after a sale's end during which its seed may be revealed.
    function revealWindow() external view returns (uint64);
    /// @notice The platform fee for new sales and its recipient.
    function fee() external view returns (uint16 feeBps, address feeRecipient);
    /// @notice The id the next sale will get.
    function nextSaleId() external view returns (uint256);
}
