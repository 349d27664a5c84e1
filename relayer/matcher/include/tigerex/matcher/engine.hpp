/**
 * @file engine.hpp
 * @brief The deterministic, I/O-free matching engine: many markets, price-time priority.
 *
 * A command goes in, a result code comes out and events are appended to a reusable buffer.
 * Nothing here reads a clock, a file or a random source, so the same commands always give the
 * same events and the same state_hash().
 *
 * Matching rules (the Python reference model in tests/relayer/matcher/reference.py implements
 * the same rules independently; docs/ of this header are the contract):
 * - Price-time priority. A taker matches the best opposite level first, FIFO inside a level,
 *   at the maker's price. Each fill emits Fill, then the BookDelta of the maker's level.
 * - Iceberg makers show `display` at a time; when the shown part is used up and reserve remains,
 *   the order is refilled with min(display, reserve) and moved to the back of its level.
 * - Self-trade prevention uses the taker's mode when maker and taker owners are equal.
 * - FOK: killed (Expired/FokUnfillable, nothing changes) unless the liquidity at reachable
 *   levels, not counting OCO-linked orders and (cancel-maker) same-owner orders, covers the
 *   quantity; with cancel-taker / cancel-both it is also killed if any reachable level holds an
 *   order of the same owner. This makes the precheck exact: a FOK never ends half filled.
 * - Remainders: GTC limit orders rest; IOC and market-type orders expire (Expired/Unfilled).
 * - Stops: after a command that traded, pending stops are evaluated against the last trade price
 *   L in placement order (trailing watermarks are updated with L first); all that fire are
 *   executed in that order, then evaluation repeats until nothing fires.
 * - OCO: when one leg of a pair is filled (even partly), triggered, or cancelled for any
 *   reason, the other leg is cancelled (reason OcoSibling) right after that event.
 * - Amend: same price and smaller-or-equal quantity keeps priority; otherwise the order leaves
 *   its level and is placed again (it may trade) at the back.
 * - Mass cancel cancels an owner's live orders in ascending order id (markets ascending).
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
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "tigerex/matcher/types.hpp"

namespace tigerex::matcher {

/// Returned where a pool index points nowhere.
inline constexpr std::uint32_t kNil = 0xFFFFFFFFu;

/**
 * @brief Open-addressing (linear probing, backward-shift deletion) map from order id to pool
 * index. Flat arrays keep a lookup to one or two cache lines and never allocate per order.
 */
class IdIndex {
public:
    IdIndex();
    /// @brief Find an id. @param key order id (non-zero). @return pool index or kNil.
    [[nodiscard]] std::uint32_t find(OrderId key) const noexcept;
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
    void rehash(std::size_t capacity);
    std::vector<OrderId> keys_;
    std::vector<std::uint32_t> values_;
    std::size_t mask_ = 0;
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
