// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IEscrow
/// @notice P2P trade escrow: a seller locks tokens (or ETH) for a buyer who pays fiat off chain.
///
/// Lifecycle:
///   Open --markPaid (buyer, before paymentDeadline)--> Paid --release (seller)--> Released
///   Open --cancel (buyer any time; seller after paymentDeadline)--> Refunded
///   Paid --openDispute (either party, DISPUTE_DELAY after paid)--> Disputed
///   Disputed --resolve (arbiter, within ARBITRATION_PERIOD)--> Resolved (split in bps)
///   Disputed --claimFallback (anyone, after ARBITRATION_PERIOD)--> Refunded
///   Open | Paid | Disputed --settle (both parties' signatures)--> Resolved (agreed split)
///   Open | Paid | Disputed --release (seller)--> Released
/// Every terminal state pays out exactly `amount` once: the buyer's share minus the fee, the
/// seller's share, and the fee.
///
/// @dev Storage holds one hash of the immutable `EscrowParams` and a packed state word; callers
///      pass the params back (the indexer and API serve them). This keeps `open` to one new
///      storage slot.
///
///      Fallback when the arbiter never rules: the funds go back to the seller, who deposited
///      them. A buyer who really paid fiat is then owed by the platform whose arbiter failed, not
///      by the seller; paying the buyer instead would let a buyer who falsely marks "paid" win by
///      waiting out a slow arbiter.
///
///      Payouts are pushed, and a push that fails (a reverting ETH recipient, a token that blocks
///      the recipient) is credited to `owed` for the recipient to withdraw: no recipient can block
///      the other party's payout.
interface IEscrow {
    enum Status {
        Open, // funded, waiting for the buyer's payment (zero: no storage write on open)
        Paid,
        Disputed,
        Released,
        Refunded,
        Resolved
    }

    /// @notice What an escrow is; hashed into storage at `open`.
    /// @param token The ERC-20 locked, or address(0) for ETH.
    /// @param amount What arrived (fee-on-transfer tokens: the amount actually received).
    /// @param termsHash Hash of the off-chain terms (fiat amount, currency, payment method).
    /// @param paymentDeadline The buyer must mark paid by this time.
    /// @param feeBps Platform fee on the buyer's share, fixed at `open`.
    /// @param kycLevel Level both parties must hold at `open` (0: none).
    /// @param arbiter Who rules a dispute; address(0): any holder of ARBITER_ROLE.
    struct EscrowParams {
        address seller;
        address buyer;
        address token;
        uint256 amount;
        bytes32 termsHash;
        uint64 paymentDeadline;
        uint16 feeBps;
        uint8 kycLevel;
        address arbiter;
    }

    /// @notice A gasless instruction signed by a party and submitted by anyone (e.g. a relayer).
    /// @param action MARK_PAID (buyer), RELEASE (seller) or CANCEL (buyer; seller after the deadline).
    struct Instruction {
        uint256 escrowId;
        uint8 action;
        uint64 deadline;
    }

    /// @notice A split both parties agree on, signed by each.
    struct Settlement {
        uint256 escrowId;
        uint16 buyerBps;
        uint64 deadline;
    }

    error EscrowInvalidParams(uint256 escrowId);
    error EscrowInvalidAmount(uint256 amount, uint256 value);
    error EscrowInvalidBuyer(address buyer);
    error EscrowInvalidWindow(uint64 window);
    error EscrowInvalidBps(uint256 bps);
    error EscrowKYCRequired(address account, uint8 level);
    error EscrowNotParty(uint256 escrowId, address caller);
    error EscrowWrongStatus(uint256 escrowId, Status status);
    error EscrowTooEarly(uint256 escrowId, uint256 availableAt);
    error EscrowTooLate(uint256 escrowId, uint256 deadline);
    error EscrowInvalidSignature(uint256 escrowId, address expectedSigner);
    error EscrowInstructionUsed(bytes32 digest);
    error EscrowUnknownAction(uint8 action);
    error EscrowNothingOwed(address token, address account);
    error EscrowFeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    error EscrowTransferFailed(address token, address to, uint256 amount);

    event EscrowOpened(
        uint256 indexed escrowId,
        address indexed seller,
        address indexed buyer,
        address token,
        uint256 amount,
        bytes32 termsHash,
        uint64 paymentDeadline,
        uint16 feeBps,
        uint8 kycLevel,
        address arbiter
    );
    event EscrowPaid(uint256 indexed escrowId, uint256 disputeAvailableAt);
    event EscrowDisputed(uint256 indexed escrowId, address indexed by, uint256 arbitrationDeadline);
    /// @notice Terminal: `buyerAmount + sellerAmount + fee == amount`.
    event EscrowClosed(
        uint256 indexed escrowId, Status indexed outcome, uint256 buyerAmount, uint256 sellerAmount, uint256 fee
    );
    event PayoutDeferred(address indexed token, address indexed to, uint256 amount);
    event OwedWithdrawn(address indexed token, address indexed to, uint256 amount);
    event FeesWithdrawn(address indexed token, address indexed to, uint256 amount);
    event FeeChanged(uint16 feeBps);

    function ARBITER_ROLE() external view returns (bytes32);
    function FEE_MANAGER_ROLE() external view returns (bytes32);
    function MAX_FEE_BPS() external view returns (uint16);
    function DISPUTE_DELAY() external view returns (uint64);
    function ARBITRATION_PERIOD() external view returns (uint64);

    /// @notice Locks `amount` of `token` (or msg.value of ETH when token is address(0)) for `buyer`.
    /// @return escrowId The new escrow's id.
    /// @return params The stored params (pass them to every later call).
    function open(
        address buyer,
        address token,
        uint256 amount,
        bytes32 termsHash,
        uint64 paymentWindow,
        uint8 kycLevel,
        address arbiter
    ) external payable returns (uint256 escrowId, EscrowParams memory params);

    function markPaid(uint256 escrowId, EscrowParams calldata params) external;
    function release(uint256 escrowId, EscrowParams calldata params) external;
    function cancel(uint256 escrowId, EscrowParams calldata params) external;
    function openDispute(uint256 escrowId, EscrowParams calldata params) external;
    function resolve(uint256 escrowId, EscrowParams calldata params, uint16 buyerBps) external;
    function claimFallback(uint256 escrowId, EscrowParams calldata params) external;
    function settle(
        EscrowParams calldata params,
        Settlement calldata settlement,
        bytes calldata sellerSignature,
        bytes calldata buyerSignature
    ) external;
    function execute(EscrowParams calldata params, Instruction calldata instruction, bytes calldata signature)
        external;

    function withdrawOwed(address token) external;
    function withdrawFees(address token, address to) external;
    function setFeeBps(uint16 feeBps) external;

    function statusOf(uint256 escrowId) external view returns (Status status, uint64 paidAt, uint64 disputedAt);
    function paramsHashOf(uint256 escrowId) external view returns (bytes32);
    function owed(address token, address account) external view returns (uint256);
    function feesAccrued(address token) external view returns (uint256);
    function feeBps() external view returns (uint16);
    function nextEscrowId() external view returns (uint256);
    function hashInstruction(Instruction calldata instruction) external view returns (bytes32);
    function hashSettlement(Settlement calldata settlement) external view returns (bytes32);
}
