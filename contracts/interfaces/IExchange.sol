// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IExchange
/// @notice TigerEx settlement contract for EIP-712 signed limit orders, with an internal vault.
/// @dev Amounts are exact integers on a per-market grid, computed identically on and off chain:
///      a fill of `q` lots at `p` ticks moves `q * lotSize` base units and `q * p * tickSize`
///      quote units. Only fees divide: `fee = amount * feeBps / 10_000`, rounded down (in the
///      user's favour). Each side pays its fee out of what it receives (the buyer in base, the
///      seller in quote), so a fill never needs more than the exact notional in the vault.
///
///      Vault and withdrawal delay. Users `deposit` tokens (or `depositETH`, wrapped to WETH);
///      fills only move internal balances. Withdrawing takes two steps: `requestWithdrawal`
///      starts a delay (`withdrawalDelay()`, admin-set within [MIN_WITHDRAWAL_DELAY,
///      MAX_WITHDRAWAL_DELAY]) and `withdraw` pays out after it. During the delay the balance
///      stays usable by settlement, so a match the relayer has already made always settles;
///      the relayer sees `WithdrawalRequested` and stops matching those funds. `withdraw` pays
///      `min(requested, balance)`. Trade-off: a user waits `withdrawalDelay` for an exit, and
///      trades settled during the delay can reduce what is paid out; in return the operator
///      never submits a batch that a withdrawal invalidated. Withdrawals (request and payout)
///      keep working while the exchange is paused: users can always exit.
///
///      Signatures: 65-byte ECDSA (high-s rejected) or EIP-1271 for contract signers. A
///      signature is verified at an order's first fill; later fills of the same order hash rely
///      on the recorded fill (as Seaport does). A contract wallet that revokes consent must
///      therefore also `cancelOrder` (or advance its epoch). An EIP-1271 check gets at most
///      `ERC1271_GAS_LIMIT` gas: a contract signer that runs out of it, reverts or returns
///      anything but the magic value has its match skipped (signature invalid), so it cannot
///      grief the rest of a batch.
interface IExchange {
    // ----------------------------------------------------------------------------- TYPES

    /// @notice A signed limit order (EIP-712 type `Order`).
    /// @param maker The signer, whose vault balance pays and receives.
    /// @param marketId The market (see `market`).
    /// @param isBuy True to buy base with quote, false to sell base.
    /// @param priceTicks Limit price in ticks (quote units per lot = priceTicks * tickSize).
    /// @param quantityLots Total quantity in lots, filled over one or more fills.
    /// @param expiry Unix time from which the order can no longer be filled.
    /// @param salt Any value making the order hash unique.
    /// @param epoch Valid only while >= the maker's epoch and the maker's epoch in this market.
    /// @param maxFeeBps Highest fee (maker or taker) the signer accepts, in basis points.
    struct Order {
        address maker;
        uint32 marketId;
        bool isBuy;
        uint64 priceTicks;
        uint64 quantityLots;
        uint64 expiry;
        uint64 salt;
        uint32 epoch;
        uint16 maxFeeBps;
    }

    /// @notice One fill between a resting maker order and a taker order, at the maker's price.
    struct Match {
        Order maker;
        bytes makerSignature;
        Order taker;
        bytes takerSignature;
        uint64 quantityLots;
    }

    /// @notice Market parameters as returned by `market`.
    /// @param base The base token (the traded asset).
    /// @param quote The quote token (the pricing asset).
    /// @param lotSize Base units per lot.
    /// @param tickSize Quote units per lot per price tick.
    /// @param minQuantityLots Smallest order quantity accepted, in lots.
    /// @param makerFeeBps Maker fee in basis points (<= MAX_FEE_BPS).
    /// @param takerFeeBps Taker fee in basis points (<= MAX_FEE_BPS).
    /// @param active False stops all fills in the market.
    /// @param accruedBaseFees Base fees collected by fills and not yet paid out by `collectFees`.
    /// @param accruedQuoteFees Quote fees not yet paid out.
    struct MarketInfo {
        address base;
        address quote;
        uint256 lotSize;
        uint256 tickSize;
        uint256 minQuantityLots;
        uint16 makerFeeBps;
        uint16 takerFeeBps;
        bool active;
        uint256 accruedBaseFees;
        uint256 accruedQuoteFees;
    }

    /// @notice Why a match was skipped by `settle` (event `MatchSkipped`) or a fill rejected
    ///         (error `ExchangeFillRejected`). Values are stable codes. From 6 on they come in
    ///         pairs: the even value blames the maker order, the next odd value the taker order.
    enum SkipReason {
        None, // 0: not a failure
        MarketInactive, // 1: unknown market or market deactivated
        MarketMismatch, // 2: the two orders are for different markets
        SidesNotOpposite, // 3: both orders buy or both sell
        PricesNotCrossing, // 4: the taker's limit does not reach the maker's price
        QuantityZero, // 5: a fill of zero lots
        MakerSignatureInvalid, // 6
        TakerSignatureInvalid, // 7
        MakerCancelled, // 8
        TakerCancelled, // 9
        MakerExpired, // 10
        TakerExpired, // 11
        MakerEpochStale, // 12: order epoch below the maker's (market) epoch
        TakerEpochStale, // 13
        MakerFeeAboveMax, // 14: the market fee exceeds the order's maxFeeBps
        TakerFeeAboveMax, // 15
        MakerBelowMinQuantity, // 16: order quantity below the market minimum
        TakerBelowMinQuantity, // 17
        MakerOverfill, // 18: fill exceeds the order's remaining quantity
        TakerOverfill, // 19
        MakerInsufficientBalance, // 20: vault balance below what the fill needs
        TakerInsufficientBalance // 21
    }

    // ---------------------------------------------------------------------------- ERRORS

    /// @notice An amount of zero was given where a positive amount is required.
    error ExchangeZeroAmount();

    /// @notice The zero address was given for an admin, WETH or fee recipient.
    error ExchangeZeroAddress();

    /// @notice A deposit would take the contract's holding of `token` above the vault cap.
    error ExchangeDepositCapExceeded(address token, uint256 balance, uint256 cap);

    /// @notice `account` holds `balance` of `token` in the vault but `needed` was requested.
    error ExchangeInsufficientBalance(address token, address account, uint256 balance, uint256 needed);

    /// @notice `withdraw` was called without a pending request.
    error ExchangeNoWithdrawalRequest(address token, address account);

    /// @notice `withdraw` was called before the request's delay elapsed.
    error ExchangeWithdrawalLocked(address token, address account, uint64 unlocksAt);

    /// @notice A withdrawal delay outside [min, max] was requested.
    error ExchangeWithdrawalDelayOutOfBounds(uint32 delay, uint32 min, uint32 max);

    /// @notice `marketId` is already registered (or is the reserved id 0).
    error ExchangeMarketExists(uint32 marketId);

    /// @notice `marketId` is not registered.
    error ExchangeMarketUnknown(uint32 marketId);

    /// @notice Market parameters are invalid (same or zero tokens, zero or too large grid).
    error ExchangeInvalidMarketParams(uint32 marketId);

    /// @notice A fee above MAX_FEE_BPS was requested.
    error ExchangeFeeTooHigh(uint16 feeBps, uint16 maxFeeBps);

    /// @notice Only the order's maker may cancel it.
    error ExchangeNotOrderMaker(bytes32 orderHash, address caller);

    /// @notice The order is already cancelled.
    error ExchangeOrderAlreadyCancelled(bytes32 orderHash);

    /// @notice Epochs only go up.
    error ExchangeEpochNotIncreasing(uint32 current, uint32 requested);

    /// @notice `fillOrder` refused the fill of `orderHash` for `reason`.
    error ExchangeFillRejected(bytes32 orderHash, SkipReason reason);

    /// @notice Ether was sent by something other than the WETH contract.
    error ExchangeEtherRejected(address sender);

    /// @notice Less than `needed` gas was left to run the EIP-1271 check of `signer` with its
    ///         full `ERC1271_GAS_LIMIT`. Reverts rather than skips, so that the sender of a
    ///         transaction cannot have an honest contract signer's match skipped by starving
    ///         it of gas; send the transaction with more gas.
    error ExchangeSignatureCheckGasTooLow(address signer, uint256 needed);

    // ---------------------------------------------------------------------------- EVENTS

    /// @notice `amount` of `token` (what actually arrived) was credited to `account`.
    event Deposited(address indexed token, address indexed account, uint256 amount);

    /// @notice `account` asked to withdraw `amount` of `token`, payable from `unlocksAt`. A
    ///         new request replaces the previous one. The relayer stops matching these funds.
    event WithdrawalRequested(address indexed token, address indexed account, uint256 amount, uint64 unlocksAt);

    /// @notice `amount` of `token` was paid out of the vault to `account`.
    event Withdrawn(address indexed token, address indexed account, uint256 amount);

    /// @notice A fill settled (by `settle` or `fillOrder`; the latter has takerOrderHash 0).
    /// @param makerFee Paid by the maker, in base if the maker bought, else in quote.
    /// @param takerFee Paid by the taker, in base if the taker bought, else in quote.
    event OrderFilled(
        bytes32 indexed makerOrderHash,
        bytes32 indexed takerOrderHash,
        address indexed maker,
        address taker,
        uint32 marketId,
        uint64 quantityLots,
        uint64 priceTicks,
        uint256 baseAmount,
        uint256 quoteAmount,
        uint256 makerFee,
        uint256 takerFee
    );

    /// @notice A match of a `settle` batch failed its checks; nothing moved.
    event MatchSkipped(bytes32 indexed makerOrderHash, bytes32 indexed takerOrderHash, SkipReason reason);

    /// @notice The maker cancelled one order.
    event OrderCancelled(bytes32 indexed orderHash, address indexed maker);

    /// @notice Every order of `maker` with a lower epoch is void, in every market.
    event EpochAdvanced(address indexed maker, uint32 epoch);

    /// @notice Every order of `maker` in `marketId` with a lower epoch is void.
    event MarketEpochAdvanced(address indexed maker, uint32 indexed marketId, uint32 epoch);

    /// @notice A market was registered.
    event MarketCreated(
        uint32 indexed marketId,
        address indexed base,
        address indexed quote,
        uint256 lotSize,
        uint256 tickSize,
        uint256 minQuantityLots,
        uint16 makerFeeBps,
        uint16 takerFeeBps
    );

    /// @notice A market's fees, minimum quantity or active flag changed.
    event MarketUpdated(
        uint32 indexed marketId, uint16 makerFeeBps, uint16 takerFeeBps, uint256 minQuantityLots, bool active
    );

    /// @notice Accrued fees of `marketId` were paid to `recipient`.
    event FeesCollected(uint32 indexed marketId, address indexed recipient, uint256 baseAmount, uint256 quoteAmount);

    /// @notice The fee recipient changed.
    event FeeRecipientChanged(address indexed previous, address indexed current);

    /// @notice The withdrawal delay changed (pending requests keep their unlock time).
    event WithdrawalDelayChanged(uint32 previous, uint32 current);

    // -------------------------------------------------------------------- USER FUNCTIONS

    /// @notice Pulls `amount` of `token` from the caller (after approval) and credits what
    ///         actually arrived (fee-on-transfer safe). Not while paused.
    function deposit(address token, uint256 amount) external;

    /// @notice Wraps `msg.value` into WETH and credits it. Not while paused.
    function depositETH() external payable;

    /// @notice Starts the withdrawal delay for `amount` of `token` (<= balance), replacing any
    ///         pending request. Works while paused.
    function requestWithdrawal(address token, uint256 amount) external;

    /// @notice Pays `min(requested, balance)` of `token` to the caller once the delay elapsed.
    ///         Works while paused.
    function withdraw(address token) external;

    /// @notice As `withdraw(WETH)`, but unwraps and pays ether.
    function withdrawETH() external;

    /// @notice Fills `quantityLots` of a signed maker order with the caller as taker (at the
    ///         maker's price, taker fee from the caller's proceeds), from vault balances.
    ///         Reverts with `ExchangeFillRejected` when any check fails (the maker order's
    ///         checks with the maker's reasons; `TakerFeeAboveMax` when the market's taker fee
    ///         exceeds `maxTakerFeeBps`; `TakerInsufficientBalance` for the caller's funds).
    ///         Not while paused.
    /// @param maxTakerFeeBps Highest taker fee the caller accepts, in basis points: an admin
    ///        fee change mined before this transaction can never charge the caller more.
    function fillOrder(Order calldata maker, bytes calldata signature, uint64 quantityLots, uint16 maxTakerFeeBps)
        external;

    /// @notice Cancels one order. Only its maker.
    function cancelOrder(Order calldata order) external;

    /// @notice Voids every order of the caller with an epoch below `epoch` (must increase).
    function advanceEpoch(uint32 epoch) external;

    /// @notice Voids every order of the caller in `marketId` with an epoch below `epoch`.
    function advanceMarketEpoch(uint32 marketId, uint32 epoch) external;

    // -------------------------------------------------------------------------- OPERATOR

    /// @notice Settles a batch of matches. Only OPERATOR_ROLE; not while paused. A match that
    ///         fails a check emits `MatchSkipped` and moves nothing; the batch never reverts
    ///         for a failing match.
    function settle(Match[] calldata matches) external;

    // ----------------------------------------------------------------------------- ADMIN

    /// @notice Registers a market. Only DEFAULT_ADMIN_ROLE.
    /// @dev lotSize < 2**96 and tickSize < 2**64 keep every amount far from overflow.
    function createMarket(
        uint32 marketId,
        address base,
        address quote,
        uint256 lotSize,
        uint256 tickSize,
        uint256 minQuantityLots,
        uint16 makerFeeBps,
        uint16 takerFeeBps
    ) external;

    /// @notice Changes fees, minimum quantity and the active flag. Only DEFAULT_ADMIN_ROLE.
    ///         Tokens and grid never change (signed orders refer to them).
    function updateMarket(
        uint32 marketId,
        uint16 makerFeeBps,
        uint16 takerFeeBps,
        uint256 minQuantityLots,
        bool active
    ) external;

    /// @notice Pays a market's accrued fees to the fee recipient. Anyone may call.
    function collectFees(uint32 marketId) external;

    /// @notice Sets the fee recipient. Only DEFAULT_ADMIN_ROLE.
    function setFeeRecipient(address recipient) external;

    /// @notice Sets the withdrawal delay within bounds. Only DEFAULT_ADMIN_ROLE.
    function setWithdrawalDelay(uint32 delay) external;

    /// @notice Stops settle, fillOrder and deposits (not withdrawals). Only PAUSER_ROLE.
    function pause() external;

    /// @notice Resumes. Only PAUSER_ROLE.
    function unpause() external;

    // ----------------------------------------------------------------------------- VIEWS

    /// @notice Highest fee a market may charge, in basis points.
    function MAX_FEE_BPS() external view returns (uint16);

    /// @notice Role allowed to call `settle`.
    function OPERATOR_ROLE() external view returns (bytes32);

    /// @notice Role allowed to pause and unpause.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Most gas one EIP-1271 `isValidSignature` call may use during settlement.
    function ERC1271_GAS_LIMIT() external view returns (uint256);

    /// @notice The WETH contract used by depositETH / withdrawETH.
    function weth() external view returns (address);

    /// @notice The EIP-712 domain separator (name "TigerEx", version "1").
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /// @notice The EIP-712 digest of `order` (what the maker signs).
    function hashOrder(Order calldata order) external view returns (bytes32);

    /// @notice Lots filled so far of the order with digest `orderHash`.
    function filled(bytes32 orderHash) external view returns (uint64);

    /// @notice True once the order was cancelled by its maker.
    function cancelled(bytes32 orderHash) external view returns (bool);

    /// @notice The vault balance of `account` in `token`.
    function balanceOf(address token, address account) external view returns (uint256);

    /// @notice The pending withdrawal request of `account` in `token` (0, 0 if none).
    function pendingWithdrawal(address token, address account)
        external
        view
        returns (uint256 amount, uint64 unlocksAt);

    /// @notice The current epoch of `maker` (orders below it are void).
    function epoch(address maker) external view returns (uint32);

    /// @notice The current epoch of `maker` in `marketId`.
    function marketEpoch(address maker, uint32 marketId) external view returns (uint32);

    /// @notice The parameters and accrued fees of `marketId` (base = 0 if unknown).
    function market(uint32 marketId) external view returns (MarketInfo memory);

    /// @notice The fee recipient.
    function feeRecipient() external view returns (address);

    /// @notice The current withdrawal delay in seconds.
    function withdrawalDelay() external view returns (uint32);
}
