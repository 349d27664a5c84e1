/**
 * @file engine.hpp
 * @brief The deterministic, I/O-free matching engine: many markets, price-time priority.
 *
 * A command goes in, a result code comes out and events are appended to a reusable buffer.
 * Nothing here reads a clock, a file or a random source, so the same commands always give the
 * same events and the same state_hash().
 *
 * Rules (this comment is the contract; tests/relayer/matcher/reference.py implements the same
 * rules independently in Python and the differential tests hold the two to identical events):
 * - Ids: order ids are unique among live orders (resting or pending stop) of the whole engine;
 *   0 is invalid. A command is validated in a fixed order and the first failing check decides
 *   the code; a rejected command emits one Rejected event and changes nothing.
 * - Price-time priority. A taker matches the best opposite level first, FIFO inside a level,
 *   at the maker's price. Each fill emits Fill, then the BookDelta of the maker's level.
 * - Iceberg makers show `display` at a time; when the shown part is used up and reserve remains,
 *   the order is refilled with min(display, reserve) and moved to the back of its level. Book
 *   deltas and depth only ever show visible quantity.
 * - Self-trade prevention uses the taker's mode when maker and taker owners are equal:
 *   cancel-taker stops the taker, cancel-maker cancels that maker and goes on, cancel-both does
 *   both.
 * - FOK: killed (Expired/FokUnfillable, nothing changes) unless the liquidity at reachable
 *   levels, not counting OCO-linked orders and (cancel-maker) same-owner orders, covers the
 *   quantity; with cancel-taker / cancel-both it is also killed if any reachable level holds an
 *   order of the same owner. This makes the precheck exact: a FOK never ends half filled.
 * - Remainders: GTC limit orders rest; IOC and market-type orders expire (Expired/Unfilled).
 *   Market orders ignore `tif`. A market order by quote buys whole lots while its budget lasts.
 * - Stops rest outside the book until triggered by the last trade price L: stop buy L >= stop,
 *   stop sell L <= stop; take-profit buy L <= stop, take-profit sell L >= stop; trailing sell
 *   L <= peak - d (or L <= peak * (1 - bps / 10^4)), trailing buy L >= trough + d (or
 *   L >= trough * (1 + bps / 10^4)), peak/trough starting at L when placed (so a trailing stop
 *   needs a last price). A stop or take-profit whose condition already holds is rejected
 *   (StopWouldTrigger). After a command that traded, pending stops are evaluated in placement
 *   order (trailing watermarks are updated with L first); all that fire are executed in that
 *   order as market / limit takers, then evaluation repeats until nothing fires.
 * - OCO: `link` pairs a new order with a live, unlinked order of the same market, owner and
 *   side (the pair forms when the new order rests or pends). When one leg is filled (even
 *   partly), triggered, or cancelled for any reason, the other leg is cancelled (OcoSibling)
 *   right after that event.
 * - Amend: `qty` is the new remaining quantity. Same price and smaller-or-equal quantity keeps
 *   priority; otherwise the order leaves its level and is placed again (it may trade) at the
 *   back. Pending stops cannot be amended (NotAmendable).
 * - Mass cancel cancels an owner's live orders in ascending order id (markets ascending).
 * - BookDelta seq numbers count up by one per delta and per market, from 1.
 *
 * Canonical state (state_hash and snapshot): a sequence of 64-bit words
 *   n_markets, then per market in ascending id:
 *     id, tick, lot, min_qty, max_qty, min_notional, last_price, book_seq,
 *     for bids (best first) then asks (best first): n_levels, then per level
 *       price, n_orders, then per order in FIFO order: id, owner, visible, hidden, display,
 *       link, stp, flags
 *     n_stops, then per stop in placement order: id, owner, side, type, stop_price,
 *       limit_price, qty, watermark, link, tif, stp, flags
 * state_hash() is 64-bit FNV-1a over those words, each as 8 little-endian bytes (signed values
 * as two's complement). snapshot() is the magic "TGXMSNP1" followed by the same words.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tigerex/matcher/types.hpp"

namespace tigerex::matcher {

/// Returned where a pool index points nowhere.
inline constexpr std::uint32_t kNil = 0xFFFFFFFFu;

/**
 * @brief Open-addressing (linear probing, backward-shift deletion) map from a non-zero 64-bit
 * key (order id, or price) to a pool index. Flat arrays keep a lookup to one or two cache lines
 * and never allocate per entry. Fibonacci hashing (one multiply, top bits) spreads sequential
 * keys evenly, which is what ids and prices mostly are.
 */
class IdIndex {
public:
    IdIndex();
    /// @brief Find a key. @param key non-zero key. @return pool index or kNil.
    [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept {
        std::size_t i = slot(key);
        while (true) {
            const std::uint64_t k = keys_[i];
            if (k == key) return values_[i];
            if (k == 0) return kNil;
            i = (i + 1) & mask_;
        }
    }
    /// @brief Insert an id that is not present. @param key order id @param value pool index.
    void insert(OrderId key, std::uint32_t value);
    /// @brief Update the value of a present id. @param key order id @param value pool index.
    void assign(OrderId key, std::uint32_t value) noexcept;
    /// @brief Remove an id if present. @param key order id.
    void erase(OrderId key) noexcept;
    /// @return number of ids stored.
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// @return bytes held by the table.
    [[nodiscard]] std::size_t memory() const noexcept;
    /// @brief Pre-size for n ids. @param n expected number of ids.
    void reserve(std::size_t n);

private:
    [[nodiscard]] std::size_t slot(std::uint64_t key) const noexcept {
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
    }
    void rehash(std::size_t capacity);
    std::vector<OrderId> keys_;
    std::vector<std::uint32_t> values_;
    std::size_t mask_ = 0;
    unsigned shift_ = 64;
    std::size_t size_ = 0;
};

/**
 * @brief The matching engine. Not thread-safe; one thread drives one engine.
 */
class Engine {
public:
    Engine();
    ~Engine();
    Engine(Engine&&) noexcept;
    Engine& operator=(Engine&&) noexcept;
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /**
     * @brief Create a market.
     * @param config its id and trading rules (tick, lot > 0; 0 < min_qty <= max_qty <=
     *        kMaxQuantityLimit, both lot multiples; min_notional >= 0).
     * @return Ok, MarketExists or InvalidMarketConfig.
     */
    Reason add_market(const MarketConfig& config);

    /**
     * @brief Execute one command; events are appended to events().
     * @param command the command.
     * @return Ok, or the rejection code (a Rejected event is emitted and nothing changed).
     */
    Reason execute(const Command& command);

    /// @return the events appended since the last clear_events() (valid until the next call).
    [[nodiscard]] std::span<const Event> events() const noexcept;
    /// @brief Empty the event buffer (its capacity is kept for reuse).
    void clear_events() noexcept;
    /// @brief Set the `command` field stamped on subsequent events. @param index batch index.
    void set_command_index(std::uint32_t index) noexcept;

    /// @param market market id @return true if the market exists.
    [[nodiscard]] bool has_market(MarketId market) const;
    /// @return the market configuration, if the market exists. @param market market id.
    [[nodiscard]] std::optional<MarketConfig> market_config(MarketId market) const;
    /// @return ids of all markets, ascending.
    [[nodiscard]] std::vector<MarketId> markets() const;
    /// @param market market id @return best bid level, if any.
    [[nodiscard]] std::optional<LevelView> best_bid(MarketId market) const;
    /// @param market market id @return best ask level, if any.
    [[nodiscard]] std::optional<LevelView> best_ask(MarketId market) const;
    /**
     * @brief Aggregated depth.
     * @param market market id @param side which side @param levels at most this many levels.
     * @return levels from the best price outwards (empty if the market is unknown).
     */
    [[nodiscard]] std::vector<LevelView> depth(MarketId market, Side side,
                                               std::size_t levels) const;
    /// @param order_id id @return the live order (resting or pending stop), if any.
    [[nodiscard]] std::optional<OrderView> order(OrderId order_id) const;
    /**
     * @brief Live orders (resting and pending stops) of one owner in one market.
     * @param market market id @param owner owner id @return orders in ascending id.
     */
    [[nodiscard]] std::vector<OrderView> open_orders(MarketId market, OwnerId owner) const;
    /// @param market market id @return last trade price, if the market has traded.
    [[nodiscard]] std::optional<Price> last_price(MarketId market) const;

    /// @return FNV-1a 64 of the canonical state words (see the file comment).
    [[nodiscard]] std::uint64_t state_hash() const;
    /// @return an empty string if every invariant holds, else a description of the first breach.
    [[nodiscard]] std::string validate() const;
    /// @return the canonical state as bytes ("TGXMSNP1" + words, little endian).
    [[nodiscard]] std::vector<std::uint8_t> snapshot() const;
    /**
     * @brief Replace this engine's state with a snapshot.
     * @param data bytes from snapshot() @param size their length
     * @param error set to a description on failure.
     * @return true on success; on failure the engine is unchanged.
     */
    bool restore(const std::uint8_t* data, std::size_t size, std::string* error);

    /// @return bytes held by the engine's containers (pools, index, level arrays).
    [[nodiscard]] std::size_t memory_usage() const;
    /// @return number of resting orders in all markets.
    [[nodiscard]] std::size_t resting_orders() const noexcept;
    /// @brief Pre-size pools for n resting orders. @param n expected resting orders.
    void reserve(std::size_t n);

    struct Impl;  // internal data, defined in engine.cpp

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace tigerex::matcher
