/**
 * @file types.hpp
 * @brief Plain value types of the TigerEx matching engine: ids, units, commands, events, codes.
 *
 * Units
 * -----
 * - Price: an integer in the market's price unit, i.e. quote units per base unit after the
 *   relayer's per-market scaling, so that price * quantity is a quote amount. Every price must
 *   be a positive multiple of the market's tick size.
 * - Quantity: an integer number of base units of the market (the relayer maps 18-decimal token
 *   amounts into engine units with a per-market scale, so 64 bits are enough). Every order
 *   quantity must be a positive multiple of the lot size within [min_qty, max_qty].
 * - Notional = price * quantity, computed in 128 bits. It must be >= min_notional and fit in a
 *   signed 64-bit integer (otherwise the order is rejected with NotionalOverflow).
 * - A market order "by quote" carries a quote budget (same unit as a notional) in `qty`.
 *
 * Commands and events are fixed-size, standard-layout structs so that a NumPy structured array
 * with the same field layout can be handed to the engine without conversion.
 */
#pragma once

#include <cstdint>
#include <type_traits>

namespace tigerex::matcher {

/// Caller-assigned order id; 0 is reserved for "none".
using OrderId = std::uint64_t;
/// Account / owner id used for self-trade prevention and mass cancel.
using OwnerId = std::uint64_t;
/// Market id; each market has its own book and configuration.
using MarketId = std::uint32_t;
/// Price in the market's price unit (a multiple of the tick size).
using Price = std::int64_t;
/// Quantity in the market's base unit (a multiple of the lot size), or a quote budget.
using Quantity = std::int64_t;

/// Order side.
enum class Side : std::uint8_t { Buy = 0, Sell = 1 };

/// Kind of command carried by a Command record.
enum class CommandType : std::uint8_t { Place = 1, Cancel = 2, Amend = 3, MassCancel = 4 };

/// Order type of a Place command.
enum class OrderType : std::uint8_t {
    Limit = 0,
    Market = 1,
    StopMarket = 2,
    StopLimit = 3,
    TakeProfitMarket = 4,
    TakeProfitLimit = 5,
    TrailingStopMarket = 6,
};

/// Time in force of limit-priced orders (ignored by market-type orders, which behave as IOC).
enum class TimeInForce : std::uint8_t { GTC = 0, IOC = 1, FOK = 2 };

/// Self-trade prevention mode of the taker (the maker's mode is not consulted).
enum class SelfTradePrevention : std::uint8_t {
    None = 0,
    CancelTaker = 1,
    CancelMaker = 2,
    CancelBoth = 3,
};

/// Bit flags of a Command.
namespace flags {
inline constexpr std::uint8_t PostOnly = 1;       ///< Limit GTC only: reject if it would take.
inline constexpr std::uint8_t QuoteQuantity = 2;  ///< Market only: `qty` is a quote budget.
inline constexpr std::uint8_t TrailBps = 4;       ///< Trailing stop distance in basis points.
inline constexpr std::uint8_t AllMarkets = 8;     ///< MassCancel only: every market.
inline constexpr std::uint8_t PlaceMask = PostOnly | QuoteQuantity | TrailBps;
}  // namespace flags

/// Type of an Event record.
enum class EventType : std::uint8_t {
    Accepted = 1,
    Rejected = 2,
    Fill = 3,
    Cancelled = 4,
    Triggered = 5,
    Expired = 6,
    Amended = 7,
    BookDelta = 8,
};

/**
 * @brief Stable result / reason codes. 0 is success; 1..63 are rejections (the command changed
 * nothing); 64.. are the reasons carried by Cancelled and Expired events.
 */
enum class Reason : std::uint16_t {
    Ok = 0,
    UnknownMarket = 1,
    DuplicateOrderId = 2,
    UnknownOrder = 3,
    InvalidOrderId = 4,
    InvalidQuantity = 5,
    QuantityNotLotMultiple = 6,
    QuantityOutOfRange = 7,
    InvalidPrice = 8,
    PriceOffTick = 9,
    NotionalTooSmall = 10,
    NotionalOverflow = 11,
    PostOnlyWouldTake = 12,
    InvalidSide = 13,
    InvalidOrderType = 14,
    InvalidTimeInForce = 15,
    InvalidSelfTradePrevention = 16,
    InvalidFlags = 17,
    InvalidIceberg = 18,
    InvalidStopPrice = 19,
    StopWouldTrigger = 20,
    NoReferencePrice = 21,
    InvalidLink = 22,
    NotOwner = 23,
    NotAmendable = 24,
    InvalidCommand = 25,
    MarketExists = 26,
    InvalidMarketConfig = 27,
    // Reasons of Cancelled / Expired events.
    UserCancel = 64,
    SelfTrade = 65,
    OcoSibling = 66,
    MassCancel = 67,
    Unfilled = 68,
    FokUnfillable = 69,
};

/**
 * @brief One command (72 bytes). Field meaning by type:
 * - Place: all fields; `price` is the limit price (limit types) or the worst-price bound of
 *   market types (0 = unbounded); `stop_price` is the trigger price (stop / take-profit) or the
 *   trailing distance (absolute price units, or basis points with flags::TrailBps); `visible` > 0
 *   makes a GTC limit order an iceberg; `link` names a live order of the same market, owner and
 *   side to form an OCO pair with.
 * - Cancel: market, order_id, owner.
 * - Amend: market, order_id, owner, `price` (new price, 0 = unchanged), `qty` (new remaining
 *   quantity, 0 = unchanged).
 * - MassCancel: owner, market (or flags::AllMarkets).
 */
struct Command {
    std::uint8_t type = 0;        ///< CommandType
    std::uint8_t side = 0;        ///< Side
    std::uint8_t order_type = 0;  ///< OrderType
    std::uint8_t tif = 0;         ///< TimeInForce
    std::uint8_t stp = 0;         ///< SelfTradePrevention
    std::uint8_t flags = 0;       ///< flags::*
    std::uint16_t reserved0 = 0;
    MarketId market = 0;
    std::uint32_t reserved1 = 0;
    OrderId order_id = 0;
    OwnerId owner = 0;
    Price price = 0;
    Quantity qty = 0;
    Price stop_price = 0;
    Quantity visible = 0;
    OrderId link = 0;
};
static_assert(sizeof(Command) == 72 && std::is_standard_layout_v<Command>);

/**
 * @brief One event (88 bytes). Field meaning by type:
 * - Accepted: order_id, owner, side, price, qty (as placed), remaining = qty.
 * - Rejected: order_id, owner, side, price, qty copied from the command; reason.
 * - Fill: order_id = taker, maker_id, owner = taker owner, maker_owner, side = taker side,
 *   price (the maker's), qty, remaining = taker remainder (quote budget left for a market order by
 *   quote), maker_remaining = maker remainder including any iceberg reserve.
 * - Cancelled / Expired: order_id, owner, side, price, remaining (quantity removed), reason.
 * - Triggered: order_id, owner, side, price = last trade price that triggered it, qty.
 * - Amended: order_id, owner, side, price and qty = the new price and remaining quantity.
 * - BookDelta: side, price, qty = new aggregate visible quantity at the level (0 = level gone),
 *   seq = the market's book sequence number (incremented by one per delta).
 * `command` is the index of the command in a batch (0 for single calls).
 */
struct Event {
    std::uint8_t type = 0;  ///< EventType
    std::uint8_t side = 0;  ///< Side
    std::uint16_t reason = 0;  ///< Reason
    MarketId market = 0;
    OrderId order_id = 0;
    OrderId maker_id = 0;
    OwnerId owner = 0;
    OwnerId maker_owner = 0;
    Price price = 0;
    Quantity qty = 0;
    Quantity remaining = 0;
    Quantity maker_remaining = 0;
    std::uint64_t seq = 0;
    std::uint32_t command = 0;
    std::uint32_t reserved = 0;
};
static_assert(sizeof(Event) == 88 && std::is_standard_layout_v<Event>);

/// Per-market trading rules.
struct MarketConfig {
    MarketId id = 0;
    Price tick_size = 1;
    Quantity lot_size = 1;
    Quantity min_qty = 1;
    Quantity max_qty = Quantity{1} << 48;
    std::int64_t min_notional = 0;
};

/// Largest max_qty accepted by add_market; keeps level totals far from int64 overflow.
inline constexpr Quantity kMaxQuantityLimit = Quantity{1} << 48;

/// One aggregated price level.
struct LevelView {
    Price price = 0;
    Quantity quantity = 0;  ///< Sum of visible quantities.
    std::uint32_t orders = 0;
};

/// A live order (resting or a pending stop) as seen by queries.
struct OrderView {
    OrderId order_id = 0;
    MarketId market = 0;
    OwnerId owner = 0;
    Side side = Side::Buy;
    OrderType order_type = OrderType::Limit;  ///< Limit for resting orders.
    bool resting = true;                      ///< false: a pending stop / take-profit / trailing.
    Price price = 0;                          ///< Limit price (0 for market-type stops).
    Quantity remaining = 0;                   ///< Visible + hidden.
    Quantity visible = 0;
    Price stop_price = 0;
    Price watermark = 0;  ///< Trailing stops: the best last price since placement, else 0.
    OrderId link = 0;     ///< OCO partner, 0 if none.
};

}  // namespace tigerex::matcher
