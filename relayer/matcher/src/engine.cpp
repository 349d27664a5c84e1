// The matching engine. See engine.hpp for the rules and the canonical state definition.
#include "tigerex/matcher/engine.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>

namespace tigerex::matcher {

namespace {

using i128 = __int128;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

inline int side_index(Side s) noexcept { return static_cast<int>(s); }
inline Side opposite(Side s) noexcept { return s == Side::Buy ? Side::Sell : Side::Buy; }
// Book sides are kept ascending by key with the best level at the back, so inserts and removals
// near the top of the book move few elements.
inline std::int64_t level_key(Side s, Price p) noexcept { return s == Side::Buy ? p : -p; }

inline bool is_limit_priced(OrderType t) noexcept {
    return t == OrderType::Limit || t == OrderType::StopLimit || t == OrderType::TakeProfitLimit;
}
inline bool is_stop_type(OrderType t) noexcept {
    return t != OrderType::Limit && t != OrderType::Market;
}

// One resting order: 64 bytes, one cache line. Price and market live in the order's Level.
struct OrderNode {
    OrderId id;
    OwnerId owner;
    Quantity visible;
    Quantity hidden;   // iceberg reserve
    Quantity display;  // iceberg display size, 0 for a plain order
    OrderId link;      // OCO partner, 0 if none
    std::uint32_t prev;
    std::uint32_t next;  // also the free-list link while the node is unused
    std::uint32_t level;
    std::uint8_t side;
    std::uint8_t stp;
    std::uint8_t flags;
};
static_assert(sizeof(OrderNode) == 64);

struct Level {
    Price price;
    Quantity total;  // sum of visible quantities
    std::uint32_t head;
    std::uint32_t tail;  // also the free-list link while the level is unused
    std::uint32_t count;
    MarketId market;
};

struct StopOrder {
    OrderId id;
    OwnerId owner;
    Price stop_price;  // trigger price, or trailing distance
    Price limit_price;  // limit price, or worst-price bound of market types (0 = none)
    Quantity qty;
    Price watermark;  // trailing: best price seen since placement
    OrderId link;
    OrderType type;
    Side side;
    TimeInForce tif;
    SelfTradePrevention stp;
    std::uint8_t flags;
};

// A side's levels in ascending key order, best at the back. A level that empties below the top
// stays in place (count 0) so the common "move an order a few ticks" does not shift the arrays
// twice; empty levels are popped when they reach the top and compacted when they pile up. The
// back is never empty, so the best level is always levels.back().
struct BookSide {
    std::vector<std::int64_t> keys;
    std::vector<std::uint32_t> levels;
    std::size_t empty = 0;  // number of empty levels kept in the arrays
    IdIndex by_price;       // price -> level, so re-using a known price needs no search
};

struct Market {
    MarketConfig config;
    Price last_price = 0;
    std::uint64_t book_seq = 0;
    BookSide sides[2];
    std::vector<StopOrder> stops;  // placement order
    bool traded = false;           // set when a command traded; triggers run after it
};

// Everything a taker needs while it matches; it only becomes an OrderNode if it rests.
struct Taker {
    OrderId id;
    OwnerId owner;
    Side side;
    bool limit_priced;
    TimeInForce tif;
    Price price;  // limit price, or bound (0 = none) for market types
    Quantity remaining;
    bool quote;
    SelfTradePrevention stp;
    std::uint8_t flags;
    Quantity display;
    OrderId link;  // OCO partner to cancel on the first fill and to link with if it rests
    bool link_established;  // true when re-placing an amended order whose pair already exists
};

inline bool triggers(const StopOrder& s, Price last) noexcept {
    const bool buy = s.side == Side::Buy;
    switch (s.type) {
        case OrderType::StopMarket:
        case OrderType::StopLimit:
            return buy ? last >= s.stop_price : last <= s.stop_price;
        case OrderType::TakeProfitMarket:
        case OrderType::TakeProfitLimit:
            return buy ? last <= s.stop_price : last >= s.stop_price;
        case OrderType::TrailingStopMarket:
            if (s.flags & flags::TrailBps) {
                const i128 lhs = static_cast<i128>(last) * 10000;
                return buy ? lhs >= static_cast<i128>(s.watermark) * (10000 + s.stop_price)
                           : lhs <= static_cast<i128>(s.watermark) * (10000 - s.stop_price);
            }
            return buy ? static_cast<i128>(last) >= static_cast<i128>(s.watermark) + s.stop_price
                       : static_cast<i128>(last) <= static_cast<i128>(s.watermark) - s.stop_price;
        default:
            return false;
    }
}

class WordWriter {
public:
    explicit WordWriter(std::vector<std::uint64_t>& out) : out_(out) {}
    void put(std::int64_t v) { out_.push_back(static_cast<std::uint64_t>(v)); }
    void put(std::uint64_t v) { out_.push_back(v); }

private:
    std::vector<std::uint64_t>& out_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// IdIndex
// ---------------------------------------------------------------------------------------------

IdIndex::IdIndex() { rehash(1024); }

void IdIndex::insert(OrderId key, std::uint32_t value) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    std::size_t i = slot(key);
    while (keys_[i] != 0) i = (i + 1) & mask_;
    keys_[i] = key;
    values_[i] = value;
    ++size_;
}

void IdIndex::assign(OrderId key, std::uint32_t value) noexcept {
    std::size_t i = slot(key);
    while (keys_[i] != key) i = (i + 1) & mask_;
    values_[i] = value;
}

void IdIndex::erase(OrderId key) noexcept {
    std::size_t i = slot(key);
    while (true) {
        if (keys_[i] == 0) return;
        if (keys_[i] == key) break;
        i = (i + 1) & mask_;
    }
    // Backward-shift deletion keeps probe chains intact without tombstones.
    std::size_t j = i;
    while (true) {
        j = (j + 1) & mask_;
        const OrderId k = keys_[j];
        if (k == 0) break;
        const std::size_t home = slot(k);
        const bool stays = (j > i) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            keys_[i] = k;
            values_[i] = values_[j];
            i = j;
        }
    }
    keys_[i] = 0;
    values_[i] = kNil;  // an empty slot maps to kNil, so find(0) is always "absent"
    --size_;
}

std::size_t IdIndex::memory() const noexcept {
    return keys_.capacity() * sizeof(OrderId) + values_.capacity() * sizeof(std::uint32_t);
}

void IdIndex::reserve(std::size_t n) {
    std::size_t cap = keys_.size();
    while (n * 2 > cap) cap *= 2;
    if (cap != keys_.size()) rehash(cap);
}

void IdIndex::rehash(std::size_t capacity) {
    std::vector<OrderId> old_keys(capacity, 0);
    std::vector<std::uint32_t> old_values(capacity, kNil);
    old_keys.swap(keys_);
    old_values.swap(values_);
    mask_ = capacity - 1;
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (std::size_t s = 0; s < old_keys.size(); ++s) {
        if (old_keys[s] == 0) continue;
        std::size_t i = slot(old_keys[s]);
        while (keys_[i] != 0) i = (i + 1) & mask_;
        keys_[i] = old_keys[s];
        values_[i] = old_values[s];
    }
}

// ---------------------------------------------------------------------------------------------
// Engine::Impl
// ---------------------------------------------------------------------------------------------

struct Engine::Impl {
    std::map<MarketId, std::unique_ptr<Market>> markets;
    MarketId cached_market_id = 0;
    Market* cached_market = nullptr;
    std::vector<OrderNode> nodes;
    std::uint32_t free_node = kNil;
    std::vector<Level> levels;
    std::uint32_t free_level = kNil;
    IdIndex index;
    std::unordered_map<OrderId, MarketId> stop_ids;  // pending stops are rare; kept apart
    // Event buffer: grown by doubling, never shrunk, so steady-state emission does not allocate.
    std::vector<Event> event_storage = std::vector<Event>(256);
    std::size_t event_count = 0;
    std::uint32_t command_index = 0;
    std::vector<OrderId> scratch_ids;
    std::vector<std::pair<OrderId, Price>> scratch_fired;

    // ----- lookup -----
    Market* find_market(MarketId id) {
        if (cached_market != nullptr && cached_market_id == id) return cached_market;
        auto it = markets.find(id);
        if (it == markets.end()) return nullptr;
        cached_market_id = id;
        cached_market = it->second.get();
        return cached_market;
    }
    const Market* find_market(MarketId id) const {
        auto it = markets.find(id);
        return it == markets.end() ? nullptr : it->second.get();
    }
    bool is_live(OrderId id) const { return index.find(id) != kNil || stop_ids.count(id) != 0; }
    StopOrder* find_stop(Market& m, OrderId id) {
        for (auto& s : m.stops)
            if (s.id == id) return &s;
        return nullptr;
    }

    // ----- events -----
    [[gnu::always_inline]] Event& emit(EventType type, MarketId market) {
        if (event_count == event_storage.size()) [[unlikely]]
            event_storage.resize(event_storage.size() * 2);
        Event& e = event_storage[event_count++];
        // Field by field: `e = Event{}` compiles to `rep stos`, which costs more than the stores.
        e.type = static_cast<std::uint8_t>(type);
        e.side = 0;
        e.reason = 0;
        e.market = market;
        e.order_id = 0;
        e.maker_id = 0;
        e.owner = 0;
        e.maker_owner = 0;
        e.price = 0;
        e.qty = 0;
        e.remaining = 0;
        e.maker_remaining = 0;
        e.seq = 0;
        e.command = command_index;
        e.reserved = 0;
        return e;
    }
    void emit_order_event(EventType type, MarketId market, OrderId id, OwnerId owner, Side side,
                          Price price, Quantity qty, Quantity remaining, Reason reason) {
        Event& e = emit(type, market);
        e.order_id = id;
        e.owner = owner;
        e.side = static_cast<std::uint8_t>(side);
        e.price = price;
        e.qty = qty;
        e.remaining = remaining;
        e.reason = static_cast<std::uint16_t>(reason);
    }
    [[gnu::always_inline]] void emit_book(Market& m, Side side, Price price, Quantity total) {
        Event& e = emit(EventType::BookDelta, m.config.id);
        e.side = static_cast<std::uint8_t>(side);
        e.price = price;
        e.qty = total;
        e.seq = ++m.book_seq;
    }
    Reason reject(const Command& c, Reason reason) {
        Event& e = emit(EventType::Rejected, c.market);
        e.order_id = c.order_id;
        e.owner = c.owner;
        e.side = c.side;
        e.price = c.price;
        e.qty = c.qty;
        e.reason = static_cast<std::uint16_t>(reason);
        return reason;
    }

    Price price_of(const OrderNode& n) const { return levels[n.level].price; }
    MarketId market_of(const OrderNode& n) const { return levels[n.level].market; }

    // ----- pools -----
    std::uint32_t alloc_node() {
        if (free_node != kNil) {
            const std::uint32_t i = free_node;
            free_node = nodes[i].next;
            return i;
        }
        nodes.emplace_back();
        return static_cast<std::uint32_t>(nodes.size() - 1);
    }
    void free_node_at(std::uint32_t i) {
        nodes[i].id = 0;
        nodes[i].next = free_node;
        free_node = i;
    }
    std::uint32_t alloc_level() {
        if (free_level != kNil) {
            const std::uint32_t i = free_level;
            free_level = levels[i].tail;
            return i;
        }
        levels.emplace_back();
        return static_cast<std::uint32_t>(levels.size() - 1);
    }
    void free_level_at(std::uint32_t i) {
        levels[i].count = 0;
        levels[i].tail = free_level;
        free_level = i;
    }

    // ----- levels -----
    // Position of `key` in a side's ascending key array; scanning from the back first because
    // most activity is near the best price.
    // Lower bound of `key`; branch-free halving (conditional moves) because the comparisons of a
    // book search are unpredictable.
    static std::size_t key_position(const BookSide& bs, std::int64_t key) {
        std::size_t n = bs.keys.size();
        if (n == 0) return 0;
        const std::int64_t* base = bs.keys.data();
        while (n > 1) {
            const std::size_t half = n / 2;
            base += static_cast<std::size_t>(base[half - 1] < key) * half;
            n -= half;
        }
        return static_cast<std::size_t>(base - bs.keys.data()) + (*base < key ? 1 : 0);
    }
    std::uint32_t get_or_create_level(Market& m, Side side, Price price) {
        BookSide& bs = m.sides[side_index(side)];
        const std::uint32_t found = bs.by_price.find(static_cast<std::uint64_t>(price));
        if (found != kNil) {
            if (levels[found].count == 0) --bs.empty;  // revive a kept empty level
            return found;
        }
        const std::int64_t key = level_key(side, price);
        const std::size_t pos = key_position(bs, key);
        const std::uint32_t li = alloc_level();
        bs.by_price.insert(static_cast<std::uint64_t>(price), li);
        Level& lv = levels[li];
        lv.price = price;
        lv.total = 0;
        lv.head = lv.tail = kNil;
        lv.count = 0;
        lv.market = m.config.id;
        bs.keys.insert(bs.keys.begin() + static_cast<std::ptrdiff_t>(pos), key);
        bs.levels.insert(bs.levels.begin() + static_cast<std::ptrdiff_t>(pos), li);
        return li;
    }
    // Called when level li of `side` has just lost its last order.
    void level_emptied(Market& m, Side side, std::uint32_t li) {
        BookSide& bs = m.sides[side_index(side)];
        if (bs.levels.back() != li) {
            ++bs.empty;
            if (bs.empty > 64 && bs.empty * 2 > bs.levels.size()) compact(bs);
            return;
        }
        bs.keys.pop_back();
        bs.levels.pop_back();
        bs.by_price.erase(static_cast<std::uint64_t>(levels[li].price));
        free_level_at(li);
        while (!bs.levels.empty() && levels[bs.levels.back()].count == 0) {
            bs.by_price.erase(static_cast<std::uint64_t>(levels[bs.levels.back()].price));
            free_level_at(bs.levels.back());
            bs.keys.pop_back();
            bs.levels.pop_back();
            --bs.empty;
        }
    }
    void compact(BookSide& bs) {
        std::size_t w = 0;
        for (std::size_t r = 0; r < bs.levels.size(); ++r) {
            if (levels[bs.levels[r]].count == 0) {
                bs.by_price.erase(static_cast<std::uint64_t>(levels[bs.levels[r]].price));
                free_level_at(bs.levels[r]);
                continue;
            }
            bs.keys[w] = bs.keys[r];
            bs.levels[w] = bs.levels[r];
            ++w;
        }
        bs.keys.resize(w);
        bs.levels.resize(w);
        bs.empty = 0;
    }
    void append_to_level(std::uint32_t li, std::uint32_t ni) {
        Level& lv = levels[li];
        OrderNode& n = nodes[ni];
        n.level = li;
        n.next = kNil;
        n.prev = lv.tail;
        if (lv.tail != kNil) nodes[lv.tail].next = ni;
        else lv.head = ni;
        lv.tail = ni;
        ++lv.count;
    }
    void unlink_from_level(std::uint32_t ni) {
        OrderNode& n = nodes[ni];
        Level& lv = levels[n.level];
        if (n.prev != kNil) nodes[n.prev].next = n.next;
        else lv.head = n.next;
        if (n.next != kNil) nodes[n.next].prev = n.prev;
        else lv.tail = n.prev;
        --lv.count;
    }

    // Removes a resting order from its level and the index, emits its level's BookDelta and
    // frees the node. The caller emits the order's own event first.
    void remove_resting(Market& m, std::uint32_t ni) {
        OrderNode& n = nodes[ni];
        const std::uint32_t li = n.level;
        const Side side = static_cast<Side>(n.side);
        unlink_from_level(ni);
        Level& lv = levels[li];
        lv.total -= n.visible;
        index.erase(n.id);
        free_node_at(ni);
        emit_book(m, side, lv.price, lv.total);
        if (lv.count == 0) level_emptied(m, side, li);
    }

    // Clears the OCO link stored on a live order.
    void clear_link(Market& m, OrderId id) {
        const std::uint32_t ni = index.find(id);
        if (ni != kNil) {
            nodes[ni].link = 0;
            return;
        }
        if (StopOrder* s = find_stop(m, id)) s->link = 0;
    }

    // Cancels the OCO partner of an order that just filled, triggered or was cancelled.
    void cancel_partner(Market& m, OrderId partner) {
        if (partner == 0) return;
        clear_link(m, partner);
        cancel_live(m, partner, Reason::OcoSibling);
    }

    // Cancels a live order (resting or stop) of market m; emits Cancelled (+ BookDelta), then
    // cancels its OCO partner. Returns false if the id is not live in m.
    bool cancel_live(Market& m, OrderId id, Reason reason) {
        const std::uint32_t ni = index.find(id);
        OrderId partner = 0;
        if (ni != kNil) {
            OrderNode& n = nodes[ni];
            if (market_of(n) != m.config.id) return false;
            partner = n.link;
            emit_order_event(EventType::Cancelled, m.config.id, n.id, n.owner,
                             static_cast<Side>(n.side), price_of(n), 0, n.visible + n.hidden,
                             reason);
            remove_resting(m, ni);
        } else {
            auto it = std::find_if(m.stops.begin(), m.stops.end(),
                                   [id](const StopOrder& s) { return s.id == id; });
            if (it == m.stops.end()) return false;
            partner = it->link;
            emit_order_event(EventType::Cancelled, m.config.id, it->id, it->owner, it->side,
                             it->limit_price, 0, it->qty, reason);
            m.stops.erase(it);
            stop_ids.erase(id);
        }
        cancel_partner(m, partner);
        return true;
    }

    // ----- matching -----
    bool crosses(const Taker& t, Price level_price) const noexcept {
        if (t.price == 0) return true;  // market order without bound
        return t.side == Side::Buy ? level_price <= t.price : level_price >= t.price;
    }

    bool fok_fillable(Market& m, const Taker& t) {
        const BookSide& bs = m.sides[side_index(opposite(t.side))];
        const bool self_blocks = t.stp == SelfTradePrevention::CancelTaker ||
                                 t.stp == SelfTradePrevention::CancelBoth;
        Quantity acc = 0;
        for (std::size_t k = bs.levels.size(); k-- > 0;) {
            const Level& lv = levels[bs.levels[k]];
            if (lv.count == 0) continue;
            if (!crosses(t, lv.price)) return false;
            for (std::uint32_t ni = lv.head; ni != kNil; ni = nodes[ni].next) {
                const OrderNode& n = nodes[ni];
                const bool self = t.stp != SelfTradePrevention::None && n.owner == t.owner;
                if (self && self_blocks) return false;
                if (self || n.link != 0) continue;
                acc += n.visible + n.hidden;
            }
            if (acc >= t.remaining) return true;
        }
        return false;
    }

    // Matches the taker against the opposite side. Returns true if self-trade prevention
    // cancelled the taker.
    bool match(Market& m, Taker& t) {
        BookSide& bs = m.sides[side_index(opposite(t.side))];
        const Side maker_side = opposite(t.side);
        const Quantity lot = m.config.lot_size;
        while (t.remaining > 0 && !bs.levels.empty()) {
            const std::uint32_t li = bs.levels.back();
            const Price price = levels[li].price;
            if (!crosses(t, price)) break;
            const std::uint32_t ni = levels[li].head;
            OrderNode& mk = nodes[ni];
            if (t.stp != SelfTradePrevention::None && mk.owner == t.owner) {
                if (t.stp == SelfTradePrevention::CancelTaker) return true;
                cancel_live(m, mk.id, Reason::SelfTrade);
                if (t.stp == SelfTradePrevention::CancelBoth) return true;
                continue;
            }
            Quantity q;
            if (t.quote) {
                const Quantity affordable = (t.remaining / price) / lot * lot;
                if (affordable == 0) break;
                q = std::min(mk.visible, affordable);
                t.remaining -= q * price;  // cannot overflow: q * price <= t.remaining
            } else {
                q = std::min(mk.visible, t.remaining);
                t.remaining -= q;
            }
            mk.visible -= q;
            Level& lv = levels[li];
            lv.total -= q;
            {
                Event& e = emit(EventType::Fill, m.config.id);
                e.order_id = t.id;
                e.maker_id = mk.id;
                e.owner = t.owner;
                e.maker_owner = mk.owner;
                e.side = static_cast<std::uint8_t>(t.side);
                e.price = price;
                e.qty = q;
                e.remaining = t.remaining;
                e.maker_remaining = mk.visible + mk.hidden;
            }
            m.last_price = price;
            m.traded = true;
            const OrderId maker_partner = mk.link;
            mk.link = 0;
            if (mk.visible == 0) {
                if (mk.hidden > 0) {
                    // Iceberg refill loses time priority: back of the level.
                    const Quantity refill = std::min(mk.display, mk.hidden);
                    mk.hidden -= refill;
                    mk.visible = refill;
                    lv.total += refill;
                    if (lv.count > 1) {
                        unlink_from_level(ni);
                        append_to_level(li, ni);
                    }
                    emit_book(m, maker_side, price, lv.total);
                } else {
                    remove_resting(m, ni);
                }
            } else {
                emit_book(m, maker_side, price, lv.total);
            }
            cancel_partner(m, maker_partner);
            if (t.link != 0) {
                const OrderId partner = t.link;
                t.link = 0;
                cancel_partner(m, partner);
            }
        }
        return false;
    }

    void rest(Market& m, const Taker& t) {
        const std::uint32_t ni = alloc_node();
        const std::uint32_t li = get_or_create_level(m, t.side, t.price);
        OrderNode& n = nodes[ni];
        n.id = t.id;
        n.owner = t.owner;
        n.visible = t.display > 0 ? std::min(t.display, t.remaining) : t.remaining;
        n.hidden = t.remaining - n.visible;
        n.display = t.display;
        n.link = t.link;
        n.side = static_cast<std::uint8_t>(t.side);
        n.stp = static_cast<std::uint8_t>(t.stp);
        n.flags = t.flags & flags::PostOnly;
        append_to_level(li, ni);
        Level& lv = levels[li];
        lv.total += n.visible;
        index.insert(t.id, ni);
        if (t.link != 0) {
            const std::uint32_t pi = index.find(t.link);
            if (pi != kNil) nodes[pi].link = t.id;
            else if (StopOrder* s = find_stop(m, t.link)) s->link = t.id;
        }
        emit_book(m, t.side, t.price, lv.total);
    }

    // Runs a taker to completion: FOK check, matching, then rest or expire.
    void run_taker(Market& m, Taker& t) {
        if (t.limit_priced && t.tif == TimeInForce::FOK && !fok_fillable(m, t)) {
            emit_order_event(EventType::Expired, m.config.id, t.id, t.owner, t.side, t.price, 0,
                             t.remaining, Reason::FokUnfillable);
            return;
        }
        if (match(m, t)) {
            emit_order_event(EventType::Cancelled, m.config.id, t.id, t.owner, t.side, t.price, 0,
                             t.remaining, Reason::SelfTrade);
            // An amended order leaving the book takes its OCO partner with it; a new order's
            // pending link was never formed, so its partner stays.
            if (t.link_established) cancel_partner(m, t.link);
            return;
        }
        if (t.remaining == 0) return;
        if (t.limit_priced && t.tif == TimeInForce::GTC) {
            rest(m, t);
        } else {
            emit_order_event(EventType::Expired, m.config.id, t.id, t.owner, t.side, t.price, 0,
                             t.remaining, Reason::Unfilled);
        }
    }

    void run_triggers(Market& m) {
        while (m.traded && m.last_price != 0 && !m.stops.empty()) {
            m.traded = false;
            const Price last = m.last_price;
            scratch_fired.clear();
            for (auto& s : m.stops) {
                if (s.type == OrderType::TrailingStopMarket) {
                    s.watermark = s.side == Side::Sell ? std::max(s.watermark, last)
                                                       : std::min(s.watermark, last);
                }
                if (triggers(s, last)) scratch_fired.emplace_back(s.id, last);
            }
            if (scratch_fired.empty()) break;
            // Fired ids are looked up again one by one: executing one stop may cancel another
            // (its OCO partner), which erases it from m.stops. run_triggers is never re-entered,
            // so scratch_fired itself stays untouched while we walk it.
            for (const auto& [id, price] : scratch_fired) {
                auto it = std::find_if(m.stops.begin(), m.stops.end(),
                                       [id = id](const StopOrder& s) { return s.id == id; });
                if (it == m.stops.end()) continue;  // cancelled as an OCO partner meanwhile
                const StopOrder s = *it;
                m.stops.erase(it);
                stop_ids.erase(s.id);
                emit_order_event(EventType::Triggered, m.config.id, s.id, s.owner, s.side, price,
                                 s.qty, s.qty, Reason::Ok);
                cancel_partner(m, s.link);
                Taker t;  // every field is assigned below (no zero-fill on the hot path)
                t.id = s.id;
                t.owner = s.owner;
                t.side = s.side;
                t.limit_priced = is_limit_priced(s.type);
                t.tif = s.tif;
                t.price = s.limit_price;
                t.remaining = s.qty;
                t.quote = false;
                t.stp = s.stp;
                t.flags = 0;
                t.display = 0;
                t.link = 0;
                t.link_established = false;
                run_taker(m, t);
            }
            // A fired stop that traded set m.traded again; loop to re-evaluate.
        }
        m.traded = false;
    }

    // ----- validation helpers -----
    // Integer division is slow; most markets use unit ticks or lots after scaling.
    static bool multiple_of(std::int64_t v, std::int64_t unit) noexcept {
        return unit == 1 || v % unit == 0;
    }
    static Reason check_quantity(const MarketConfig& c, Quantity q) {
        if (q <= 0) return Reason::InvalidQuantity;
        if (!multiple_of(q, c.lot_size)) return Reason::QuantityNotLotMultiple;
        if (q < c.min_qty || q > c.max_qty) return Reason::QuantityOutOfRange;
        return Reason::Ok;
    }
    static Reason check_notional(const MarketConfig& c, Price p, Quantity q) {
        const i128 notional = static_cast<i128>(p) * q;
        if (notional > kInt64Max) return Reason::NotionalOverflow;
        if (notional < c.min_notional) return Reason::NotionalTooSmall;
        return Reason::Ok;
    }
    bool would_take(Market& m, Side side, Price price) const {
        const BookSide& bs = m.sides[side_index(opposite(side))];
        if (bs.levels.empty()) return false;
        const Price best = levels[bs.levels.back()].price;
        return side == Side::Buy ? price >= best : price <= best;
    }

    // ----- commands -----
    Reason place(const Command& c) {
        Market* mp = find_market(c.market);
        if (mp == nullptr) return reject(c, Reason::UnknownMarket);
        Market& m = *mp;
        const MarketConfig& cfg = m.config;
        if (c.order_id == 0) return reject(c, Reason::InvalidOrderId);
        if (c.side > 1) return reject(c, Reason::InvalidSide);
        if (c.order_type > static_cast<std::uint8_t>(OrderType::TrailingStopMarket))
            return reject(c, Reason::InvalidOrderType);
        if (c.tif > static_cast<std::uint8_t>(TimeInForce::FOK))
            return reject(c, Reason::InvalidTimeInForce);
        if (c.stp > static_cast<std::uint8_t>(SelfTradePrevention::CancelBoth))
            return reject(c, Reason::InvalidSelfTradePrevention);
        const auto type = static_cast<OrderType>(c.order_type);
        const auto tif = static_cast<TimeInForce>(c.tif);
        const auto side = static_cast<Side>(c.side);
        const bool limit_priced = is_limit_priced(type);
        if ((c.flags & ~flags::PlaceMask) != 0) return reject(c, Reason::InvalidFlags);
        if ((c.flags & flags::PostOnly) && !(type == OrderType::Limit && tif == TimeInForce::GTC))
            return reject(c, Reason::InvalidFlags);
        if ((c.flags & flags::QuoteQuantity) && type != OrderType::Market)
            return reject(c, Reason::InvalidFlags);
        if ((c.flags & flags::TrailBps) && type != OrderType::TrailingStopMarket)
            return reject(c, Reason::InvalidFlags);
        if (is_live(c.order_id)) return reject(c, Reason::DuplicateOrderId);
        const bool quote = (c.flags & flags::QuoteQuantity) != 0;
        if (quote) {
            if (c.qty <= 0) return reject(c, Reason::InvalidQuantity);
            if (c.qty < cfg.min_notional) return reject(c, Reason::NotionalTooSmall);
        } else if (Reason r = check_quantity(cfg, c.qty); r != Reason::Ok) {
            return reject(c, r);
        }
        if (limit_priced) {
            if (c.price <= 0) return reject(c, Reason::InvalidPrice);
            if (!multiple_of(c.price, cfg.tick_size)) return reject(c, Reason::PriceOffTick);
            if (Reason r = check_notional(cfg, c.price, c.qty); r != Reason::Ok)
                return reject(c, r);
        } else {
            if (c.price < 0) return reject(c, Reason::InvalidPrice);
            if (!multiple_of(c.price, cfg.tick_size)) return reject(c, Reason::PriceOffTick);
        }
        if (c.visible != 0) {
            if (c.visible < 0 || c.visible > c.qty || c.visible % cfg.lot_size != 0 ||
                type != OrderType::Limit || tif != TimeInForce::GTC)
                return reject(c, Reason::InvalidIceberg);
        }
        if (type == OrderType::TrailingStopMarket) {
            if (c.flags & flags::TrailBps) {
                if (c.stop_price <= 0 || c.stop_price >= 10000)
                    return reject(c, Reason::InvalidStopPrice);
            } else if (c.stop_price <= 0) {
                return reject(c, Reason::InvalidStopPrice);
            }
            if (m.last_price == 0) return reject(c, Reason::NoReferencePrice);
        } else if (is_stop_type(type)) {
            if (c.stop_price <= 0 || c.stop_price % cfg.tick_size != 0)
                return reject(c, Reason::InvalidStopPrice);
        } else if (c.stop_price != 0) {
            return reject(c, Reason::InvalidStopPrice);
        }
        StopOrder stop;  // filled only for stop types
        if (is_stop_type(type)) {
            stop.id = c.order_id;
            stop.owner = c.owner;
            stop.stop_price = c.stop_price;
            stop.limit_price = c.price;
            stop.qty = c.qty;
            stop.watermark = m.last_price;
            stop.link = 0;
            stop.type = type;
            stop.side = side;
            stop.tif = tif;
            stop.stp = static_cast<SelfTradePrevention>(c.stp);
            stop.flags = c.flags & flags::TrailBps;
            if (type != OrderType::TrailingStopMarket && m.last_price != 0 &&
                triggers(stop, m.last_price))
                return reject(c, Reason::StopWouldTrigger);
        }
        if (c.link != 0) {
            if (c.link == c.order_id) return reject(c, Reason::InvalidLink);
            const std::uint32_t pi = index.find(c.link);
            if (pi != kNil) {
                const OrderNode& p = nodes[pi];
                if (market_of(p) != c.market || p.owner != c.owner ||
                    p.side != c.side || p.link != 0)
                    return reject(c, Reason::InvalidLink);
            } else {
                const StopOrder* p = find_stop(m, c.link);
                if (p == nullptr || p->owner != c.owner || p->side != side || p->link != 0)
                    return reject(c, Reason::InvalidLink);
            }
        }
        if ((c.flags & flags::PostOnly) && would_take(m, side, c.price))
            return reject(c, Reason::PostOnlyWouldTake);

        emit_order_event(EventType::Accepted, c.market, c.order_id, c.owner, side, c.price, c.qty,
                         c.qty, Reason::Ok);
        if (is_stop_type(type)) {
            stop.link = c.link;
            m.stops.push_back(stop);
            stop_ids.emplace(c.order_id, c.market);
            if (c.link != 0) set_link(m, c.link, c.order_id);
            return Reason::Ok;
        }
        Taker t;  // every field is assigned below (no zero-fill on the hot path)
        t.id = c.order_id;
        t.owner = c.owner;
        t.side = side;
        t.limit_priced = limit_priced;
        t.tif = tif;
        t.price = c.price;
        t.remaining = c.qty;
        t.quote = quote;
        t.stp = static_cast<SelfTradePrevention>(c.stp);
        t.flags = c.flags;
        t.display = c.visible;
        t.link = c.link;
        t.link_established = false;
        run_taker(m, t);
        run_triggers(m);
        return Reason::Ok;
    }

    // Sets the OCO link stored on live order `id` to `partner`.
    void set_link(Market& m, OrderId id, OrderId partner) {
        const std::uint32_t ni = index.find(id);
        if (ni != kNil) {
            nodes[ni].link = partner;
            return;
        }
        if (StopOrder* s = find_stop(m, id)) s->link = partner;
    }

    Reason cancel(const Command& c) {
        Market* mp = find_market(c.market);
        if (mp == nullptr) return reject(c, Reason::UnknownMarket);
        Market& m = *mp;
        const std::uint32_t ni = index.find(c.order_id);
        OwnerId owner;
        if (ni != kNil && market_of(nodes[ni]) == c.market) {
            owner = nodes[ni].owner;
        } else if (const StopOrder* s = (ni == kNil ? find_stop(m, c.order_id) : nullptr)) {
            owner = s->owner;
        } else {
            return reject(c, Reason::UnknownOrder);
        }
        if (owner != c.owner) return reject(c, Reason::NotOwner);
        cancel_live(m, c.order_id, Reason::UserCancel);
        return Reason::Ok;
    }

    Reason amend(const Command& c) {
        Market* mp = find_market(c.market);
        if (mp == nullptr) return reject(c, Reason::UnknownMarket);
        Market& m = *mp;
        const MarketConfig& cfg = m.config;
        const std::uint32_t ni = index.find(c.order_id);
        if (ni == kNil || market_of(nodes[ni]) != c.market) {
            if (ni == kNil && find_stop(m, c.order_id) != nullptr)
                return reject(c, Reason::NotAmendable);
            return reject(c, Reason::UnknownOrder);
        }
        OrderNode& n = nodes[ni];
        if (n.owner != c.owner) return reject(c, Reason::NotOwner);
        const Quantity current = n.visible + n.hidden;
        const Price old_price = price_of(n);
        Price new_price = old_price;
        Quantity new_qty = current;
        if (c.price != 0) {
            if (c.price < 0) return reject(c, Reason::InvalidPrice);
            if (!multiple_of(c.price, cfg.tick_size)) return reject(c, Reason::PriceOffTick);
            new_price = c.price;
        }
        if (c.qty != 0) {
            if (Reason r = check_quantity(cfg, c.qty); r != Reason::Ok) return reject(c, r);
            new_qty = c.qty;
        }
        if (c.price != 0 || c.qty != 0) {
            if (Reason r = check_notional(cfg, new_price, new_qty); r != Reason::Ok)
                return reject(c, r);
        }
        const Side side = static_cast<Side>(n.side);
        if ((n.flags & flags::PostOnly) && would_take(m, side, new_price))
            return reject(c, Reason::PostOnlyWouldTake);

        emit_order_event(EventType::Amended, c.market, n.id, n.owner, side, new_price, new_qty,
                         new_qty, Reason::Ok);
        if (new_price == old_price && new_qty <= current) {
            // Priority kept: shrink in place, reserve first.
            const Quantity new_visible = std::min(n.visible, new_qty);
            const Quantity delta = new_visible - n.visible;
            n.visible = new_visible;
            n.hidden = new_qty - new_visible;
            if (delta != 0) {
                Level& lv = levels[n.level];
                lv.total += delta;
                emit_book(m, side, lv.price, lv.total);
            }
            return Reason::Ok;
        }
        if (!would_take(m, side, new_price)) {
            // The common move: the order cannot trade at its new price, so relink the same node
            // (same events as leaving and re-placing: BookDelta old level, BookDelta new level).
            const std::uint32_t old_level = n.level;
            unlink_from_level(ni);
            Level& old_lv = levels[old_level];
            old_lv.total -= n.visible;
            emit_book(m, side, old_lv.price, old_lv.total);
            if (old_lv.count == 0) level_emptied(m, side, old_level);
            const std::uint32_t li = get_or_create_level(m, side, new_price);
            OrderNode& moved = nodes[ni];
            moved.visible = moved.display > 0 ? std::min(moved.display, new_qty) : new_qty;
            moved.hidden = new_qty - moved.visible;
            append_to_level(li, ni);
            Level& lv = levels[li];
            lv.total += moved.visible;
            emit_book(m, side, new_price, lv.total);
            return Reason::Ok;
        }
        Taker t;  // every field is assigned below (no zero-fill on the hot path)
        t.id = n.id;
        t.owner = n.owner;
        t.side = side;
        t.limit_priced = true;
        t.tif = TimeInForce::GTC;
        t.price = new_price;
        t.remaining = new_qty;
        t.quote = false;
        t.stp = static_cast<SelfTradePrevention>(n.stp);
        t.flags = n.flags;
        t.display = n.display;
        t.link = n.link;  // the partner keeps pointing at this id while it is re-placed
        t.link_established = n.link != 0;
        remove_resting(m, ni);
        run_taker(m, t);
        run_triggers(m);
        return Reason::Ok;
    }

    void collect_owner_ids(const Market& m, OwnerId owner, std::vector<OrderId>& out) const {
        for (const BookSide& bs : m.sides) {
            for (const std::uint32_t li : bs.levels) {
                for (std::uint32_t ni = levels[li].head; ni != kNil; ni = nodes[ni].next)
                    if (nodes[ni].owner == owner) out.push_back(nodes[ni].id);
            }
        }
        for (const auto& s : m.stops)
            if (s.owner == owner) out.push_back(s.id);
    }

    Reason mass_cancel(const Command& c) {
        if ((c.flags & ~flags::AllMarkets) != 0) return reject(c, Reason::InvalidFlags);
        std::vector<Market*> targets;
        if (c.flags & flags::AllMarkets) {
            for (auto& [id, mk] : markets) targets.push_back(mk.get());
        } else {
            Market* mp = find_market(c.market);
            if (mp == nullptr) return reject(c, Reason::UnknownMarket);
            targets.push_back(mp);
        }
        for (Market* m : targets) {
            scratch_ids.clear();
            collect_owner_ids(*m, c.owner, scratch_ids);
            std::sort(scratch_ids.begin(), scratch_ids.end());
            const std::vector<OrderId> ids = scratch_ids;
            for (const OrderId id : ids) cancel_live(*m, id, Reason::MassCancel);
        }
        return Reason::Ok;
    }

    Reason execute(const Command& c) {
        switch (static_cast<CommandType>(c.type)) {
            case CommandType::Place:
                return place(c);
            case CommandType::Cancel:
                return cancel(c);
            case CommandType::Amend:
                return amend(c);
            case CommandType::MassCancel:
                return mass_cancel(c);
        }
        return reject(c, Reason::InvalidCommand);
    }

    // ----- canonical state -----
    void canonical_words(std::vector<std::uint64_t>& out) const {
        WordWriter w(out);
        w.put(static_cast<std::uint64_t>(markets.size()));
        for (const auto& [id, mk] : markets) {
            const Market& m = *mk;
            const MarketConfig& c = m.config;
            w.put(static_cast<std::uint64_t>(c.id));
            w.put(c.tick_size);
            w.put(c.lot_size);
            w.put(c.min_qty);
            w.put(c.max_qty);
            w.put(c.min_notional);
            w.put(m.last_price);
            w.put(m.book_seq);
            for (const BookSide& bs : m.sides) {
                w.put(static_cast<std::uint64_t>(bs.levels.size() - bs.empty));
                for (std::size_t k = bs.levels.size(); k-- > 0;) {
                    const Level& lv = levels[bs.levels[k]];
                    if (lv.count == 0) continue;
                    w.put(lv.price);
                    w.put(static_cast<std::uint64_t>(lv.count));
                    for (std::uint32_t ni = lv.head; ni != kNil; ni = nodes[ni].next) {
                        const OrderNode& n = nodes[ni];
                        w.put(n.id);
                        w.put(n.owner);
                        w.put(n.visible);
                        w.put(n.hidden);
                        w.put(n.display);
                        w.put(n.link);
                        w.put(static_cast<std::uint64_t>(n.stp));
                        w.put(static_cast<std::uint64_t>(n.flags));
                    }
                }
            }
            w.put(static_cast<std::uint64_t>(m.stops.size()));
            for (const auto& s : m.stops) {
                w.put(s.id);
                w.put(s.owner);
                w.put(static_cast<std::uint64_t>(s.side));
                w.put(static_cast<std::uint64_t>(s.type));
                w.put(s.stop_price);
                w.put(s.limit_price);
                w.put(s.qty);
                w.put(s.watermark);
                w.put(s.link);
                w.put(static_cast<std::uint64_t>(s.tif));
                w.put(static_cast<std::uint64_t>(s.stp));
                w.put(static_cast<std::uint64_t>(s.flags));
            }
        }
    }

    std::string validate() const {
        std::size_t resting = 0;
        for (const auto& [id, mk] : markets) {
            const Market& m = *mk;
            const std::string where = "market " + std::to_string(id) + ": ";
            for (int s = 0; s < 2; ++s) {
                const BookSide& bs = m.sides[s];
                if (bs.keys.size() != bs.levels.size()) return where + "key/level arrays differ";
                if (!bs.levels.empty() && levels[bs.levels.back()].count == 0)
                    return where + "empty level at the top of the book";
                std::size_t empty = 0;
                for (std::size_t k = 0; k < bs.levels.size(); ++k) {
                    if (k > 0 && bs.keys[k - 1] >= bs.keys[k]) return where + "levels not sorted";
                    const Level& lv = levels[bs.levels[k]];
                    if (level_key(static_cast<Side>(s), lv.price) != bs.keys[k])
                        return where + "level key mismatch";
                    if (lv.count == 0) {
                        if (lv.head != kNil || lv.tail != kNil || lv.total != 0)
                            return where + "kept empty level is not empty";
                        ++empty;
                        continue;
                    }
                    if (lv.head == kNil) return where + "level without orders";
                    Quantity total = 0;
                    std::uint32_t count = 0;
                    std::uint32_t prev = kNil;
                    for (std::uint32_t ni = lv.head; ni != kNil; ni = nodes[ni].next) {
                        const OrderNode& n = nodes[ni];
                        if (n.prev != prev) return where + "broken prev link";
                        if (n.level != bs.levels[k] || lv.market != id ||
                            n.side != static_cast<std::uint8_t>(s))
                            return where + "order not where it claims to be";
                        if (n.visible <= 0 || n.hidden < 0) return where + "bad order quantity";
                        if (n.display == 0 ? n.hidden != 0 : n.visible > n.display)
                            return where + "bad iceberg quantities";
                        if (lv.price <= 0 || lv.price % m.config.tick_size != 0)
                            return where + "level price off tick";
                        if (index.find(n.id) != ni) return where + "index does not match book";
                        if (n.link != 0 && !link_ok(m, n.id, n.link, n.owner, n.side))
                            return where + "broken OCO link";
                        total += n.visible;
                        ++count;
                        prev = ni;
                        if (count > lv.count) return where + "level count too small";
                    }
                    if (prev != lv.tail) return where + "broken tail";
                    if (count != lv.count) return where + "level count mismatch";
                    if (total != lv.total) return where + "level total != sum of orders";
                    resting += count;
                }
                if (empty != bs.empty) return where + "empty-level count mismatch";
                if (bs.by_price.size() != bs.levels.size()) return where + "price map size";
                for (std::size_t k = 0; k < bs.levels.size(); ++k)
                    if (bs.by_price.find(static_cast<std::uint64_t>(
                            levels[bs.levels[k]].price)) != bs.levels[k])
                        return where + "price map does not match levels";
            }
            const BookSide& bids = m.sides[0];
            const BookSide& asks = m.sides[1];
            if (!bids.levels.empty() && !asks.levels.empty() &&
                levels[bids.levels.back()].price >= levels[asks.levels.back()].price)
                return where + "crossed book";
            for (const auto& s : m.stops) {
                auto it = stop_ids.find(s.id);
                if (it == stop_ids.end() || it->second != id) return where + "stop id map";
                if (index.find(s.id) != kNil) return where + "stop id also resting";
                if (s.link != 0 &&
                    !link_ok(m, s.id, s.link, s.owner, static_cast<std::uint8_t>(s.side)))
                    return where + "broken OCO link on stop";
            }
        }
        if (resting != index.size()) return "index size != resting orders";
        std::size_t stops = 0;
        for (const auto& [id, mk] : markets) stops += mk->stops.size();
        if (stops != stop_ids.size()) return "stop id map size";
        return {};
    }

    bool link_ok(const Market& m, OrderId id, OrderId partner, OwnerId owner,
                 std::uint8_t side) const {
        const std::uint32_t pi = index.find(partner);
        if (pi != kNil) {
            const OrderNode& p = nodes[pi];
            return market_of(p) == m.config.id && p.link == id && p.owner == owner &&
                   p.side == side;
        }
        for (const auto& s : m.stops)
            if (s.id == partner)
                return s.link == id && s.owner == owner &&
                       static_cast<std::uint8_t>(s.side) == side;
        return false;
    }

    OrderView view_of(const OrderNode& n) const {
        OrderView v;
        v.order_id = n.id;
        v.market = market_of(n);
        v.owner = n.owner;
        v.side = static_cast<Side>(n.side);
        v.order_type = OrderType::Limit;
        v.resting = true;
        v.price = price_of(n);
        v.remaining = n.visible + n.hidden;
        v.visible = n.visible;
        v.link = n.link;
        return v;
    }
    static OrderView view_of(const StopOrder& s, MarketId market) {
        OrderView v;
        v.order_id = s.id;
        v.market = market;
        v.owner = s.owner;
        v.side = s.side;
        v.order_type = s.type;
        v.resting = false;
        v.price = s.limit_price;
        v.remaining = s.qty;
        v.visible = 0;
        v.stop_price = s.stop_price;
        v.watermark = s.type == OrderType::TrailingStopMarket ? s.watermark : 0;
        v.link = s.link;
        return v;
    }
};

// ---------------------------------------------------------------------------------------------
// Engine
// ---------------------------------------------------------------------------------------------

Engine::Engine() : impl_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

std::span<const Event> Engine::events() const noexcept {
    return {impl_->event_storage.data(), impl_->event_count};
}
void Engine::clear_events() noexcept { impl_->event_count = 0; }
void Engine::set_command_index(std::uint32_t index) noexcept { impl_->command_index = index; }
std::size_t Engine::resting_orders() const noexcept { return impl_->index.size(); }

Reason Engine::add_market(const MarketConfig& c) {
    if (impl_->markets.count(c.id) != 0) return Reason::MarketExists;
    if (c.tick_size <= 0 || c.lot_size <= 0 || c.min_qty <= 0 || c.min_qty > c.max_qty ||
        c.max_qty > kMaxQuantityLimit || c.min_qty % c.lot_size != 0 ||
        c.max_qty % c.lot_size != 0 || c.min_notional < 0)
        return Reason::InvalidMarketConfig;
    auto m = std::make_unique<Market>();
    m->config = c;
    impl_->markets.emplace(c.id, std::move(m));
    impl_->cached_market = nullptr;
    return Reason::Ok;
}

Reason Engine::execute(const Command& command) { return impl_->execute(command); }

bool Engine::has_market(MarketId market) const { return impl_->find_market(market) != nullptr; }

std::optional<MarketConfig> Engine::market_config(MarketId market) const {
    const Market* m = impl_->find_market(market);
    if (m == nullptr) return std::nullopt;
    return m->config;
}

std::vector<MarketId> Engine::markets() const {
    std::vector<MarketId> out;
    for (const auto& [id, m] : impl_->markets) out.push_back(id);
    return out;
}

std::optional<LevelView> Engine::best_bid(MarketId market) const {
    auto d = depth(market, Side::Buy, 1);
    if (d.empty()) return std::nullopt;
    return d.front();
}

std::optional<LevelView> Engine::best_ask(MarketId market) const {
    auto d = depth(market, Side::Sell, 1);
    if (d.empty()) return std::nullopt;
    return d.front();
}

std::vector<LevelView> Engine::depth(MarketId market, Side side, std::size_t n) const {
    std::vector<LevelView> out;
    const Market* m = impl_->find_market(market);
    if (m == nullptr) return out;
    const BookSide& bs = m->sides[side_index(side)];
    for (std::size_t k = bs.levels.size(); k-- > 0 && out.size() < n;) {
        const Level& lv = impl_->levels[bs.levels[k]];
        if (lv.count == 0) continue;
        out.push_back(LevelView{lv.price, lv.total, lv.count});
    }
    return out;
}

std::optional<OrderView> Engine::order(OrderId order_id) const {
    const std::uint32_t ni = impl_->index.find(order_id);
    if (ni != kNil) return impl_->view_of(impl_->nodes[ni]);
    auto it = impl_->stop_ids.find(order_id);
    if (it == impl_->stop_ids.end()) return std::nullopt;
    const Market* m = impl_->find_market(it->second);
    for (const auto& s : m->stops)
        if (s.id == order_id) return Impl::view_of(s, m->config.id);
    return std::nullopt;
}

std::vector<OrderView> Engine::open_orders(MarketId market, OwnerId owner) const {
    std::vector<OrderView> out;
    const Market* m = impl_->find_market(market);
    if (m == nullptr) return out;
    std::vector<OrderId> ids;
    impl_->collect_owner_ids(*m, owner, ids);
    std::sort(ids.begin(), ids.end());
    for (const OrderId id : ids) out.push_back(*order(id));
    return out;
}

std::optional<Price> Engine::last_price(MarketId market) const {
    const Market* m = impl_->find_market(market);
    if (m == nullptr || m->last_price == 0) return std::nullopt;
    return m->last_price;
}

std::uint64_t Engine::state_hash() const {
    std::vector<std::uint64_t> words;
    impl_->canonical_words(words);
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const std::uint64_t w : words) {
        for (int b = 0; b < 8; ++b) {
            h ^= (w >> (8 * b)) & 0xff;
            h *= 0x100000001b3ULL;
        }
    }
    return h;
}

std::string Engine::validate() const { return impl_->validate(); }

static constexpr char kSnapshotMagic[8] = {'T', 'G', 'X', 'M', 'S', 'N', 'P', '1'};

std::vector<std::uint8_t> Engine::snapshot() const {
    std::vector<std::uint64_t> words;
    impl_->canonical_words(words);
    std::vector<std::uint8_t> out(8 + words.size() * 8);
    std::memcpy(out.data(), kSnapshotMagic, 8);
    for (std::size_t i = 0; i < words.size(); ++i)
        for (int b = 0; b < 8; ++b)
            out[8 + i * 8 + static_cast<std::size_t>(b)] =
                static_cast<std::uint8_t>(words[i] >> (8 * b));
    return out;
}

namespace {
class WordReader {
public:
    WordReader(const std::uint8_t* data, std::size_t words) : data_(data), n_(words) {}
    bool get(std::uint64_t& v) {
        if (i_ >= n_) return false;
        v = 0;
        for (int b = 0; b < 8; ++b) v |= static_cast<std::uint64_t>(data_[i_ * 8 + b]) << (8 * b);
        ++i_;
        return true;
    }
    bool get(std::int64_t& v) {
        std::uint64_t u;
        if (!get(u)) return false;
        v = static_cast<std::int64_t>(u);
        return true;
    }
    [[nodiscard]] bool done() const { return i_ == n_; }

private:
    const std::uint8_t* data_;
    std::size_t n_;
    std::size_t i_ = 0;
};
}  // namespace

bool Engine::restore(const std::uint8_t* data, std::size_t size, std::string* error) {
    auto fail = [error](const char* msg) {
        if (error != nullptr) *error = msg;
        return false;
    };
    if (size < 8 || (size - 8) % 8 != 0 || std::memcmp(data, kSnapshotMagic, 8) != 0)
        return fail("not a matcher snapshot");
    WordReader r(data + 8, (size - 8) / 8);
    Engine fresh;
    Impl& im = *fresh.impl_;
    std::uint64_t n_markets;
    if (!r.get(n_markets)) return fail("truncated snapshot");
    for (std::uint64_t mi = 0; mi < n_markets; ++mi) {
        MarketConfig cfg;
        std::uint64_t id;
        std::int64_t last;
        std::uint64_t seq;
        if (!r.get(id) || !r.get(cfg.tick_size) || !r.get(cfg.lot_size) || !r.get(cfg.min_qty) ||
            !r.get(cfg.max_qty) || !r.get(cfg.min_notional) || !r.get(last) || !r.get(seq))
            return fail("truncated snapshot");
        if (id > 0xFFFFFFFFull) return fail("bad market id");
        cfg.id = static_cast<MarketId>(id);
        if (fresh.add_market(cfg) != Reason::Ok) return fail("bad market configuration");
        Market& m = *im.markets.at(cfg.id);
        m.last_price = last;
        m.book_seq = seq;
        for (int s = 0; s < 2; ++s) {
            const Side side = static_cast<Side>(s);
            std::uint64_t n_levels;
            if (!r.get(n_levels)) return fail("truncated snapshot");
            for (std::uint64_t k = 0; k < n_levels; ++k) {
                std::int64_t price;
                std::uint64_t count;
                if (!r.get(price) || !r.get(count)) return fail("truncated snapshot");
                if (count == 0) return fail("empty level");
                if (price <= 0) return fail("bad level price");
                BookSide& bs = m.sides[s];
                // Levels arrive best first; the best must end up at the back.
                const std::int64_t key = level_key(side, price);
                if (!bs.keys.empty() && key >= bs.keys.front()) return fail("levels not sorted");
                const std::uint32_t li = im.alloc_level();
                Level& lv = im.levels[li];
                lv.price = price;
                lv.total = 0;
                lv.head = lv.tail = kNil;
                lv.count = 0;
                lv.market = cfg.id;
                bs.keys.insert(bs.keys.begin(), key);
                bs.levels.insert(bs.levels.begin(), li);
                bs.by_price.insert(static_cast<std::uint64_t>(price), li);
                for (std::uint64_t o = 0; o < count; ++o) {
                    OrderNode n{};
                    std::uint64_t stp;
                    std::uint64_t fl;
                    if (!r.get(n.id) || !r.get(n.owner) || !r.get(n.visible) ||
                        !r.get(n.hidden) || !r.get(n.display) || !r.get(n.link) ||
                        !r.get(stp) || !r.get(fl))
                        return fail("truncated snapshot");
                    if (n.id == 0 || im.is_live(n.id)) return fail("bad or duplicate order id");
                    if (stp > 3 || fl > 0xff) return fail("bad order attributes");
                    n.side = static_cast<std::uint8_t>(s);
                    n.stp = static_cast<std::uint8_t>(stp);
                    n.flags = static_cast<std::uint8_t>(fl);
                    const std::uint32_t ni = im.alloc_node();
                    im.nodes[ni] = n;
                    im.append_to_level(li, ni);
                    im.levels[li].total += n.visible;
                    im.index.insert(n.id, ni);
                }
            }
        }
        std::uint64_t n_stops;
        if (!r.get(n_stops)) return fail("truncated snapshot");
        for (std::uint64_t k = 0; k < n_stops; ++k) {
            StopOrder s{};
            std::uint64_t side, type, tif, stp, fl;
            if (!r.get(s.id) || !r.get(s.owner) || !r.get(side) || !r.get(type) ||
                !r.get(s.stop_price) || !r.get(s.limit_price) || !r.get(s.qty) ||
                !r.get(s.watermark) || !r.get(s.link) || !r.get(tif) || !r.get(stp) ||
                !r.get(fl))
                return fail("truncated snapshot");
            if (side > 1 || type > 6 || !is_stop_type(static_cast<OrderType>(type)) || tif > 2 ||
                stp > 3 || fl > 0xff)
                return fail("bad stop attributes");
            if (s.id == 0 || im.is_live(s.id)) return fail("bad or duplicate order id");
            s.side = static_cast<Side>(side);
            s.type = static_cast<OrderType>(type);
            s.tif = static_cast<TimeInForce>(tif);
            s.stp = static_cast<SelfTradePrevention>(stp);
            s.flags = static_cast<std::uint8_t>(fl);
            m.stops.push_back(s);
            im.stop_ids.emplace(s.id, cfg.id);
        }
    }
    if (!r.done()) return fail("trailing bytes in snapshot");
    std::string problem = im.validate();
    if (!problem.empty()) {
        if (error != nullptr) *error = "snapshot breaks an invariant: " + problem;
        return false;
    }
    im.event_storage = std::move(impl_->event_storage);
    im.event_count = 0;
    impl_ = std::move(fresh.impl_);
    return true;
}

std::size_t Engine::memory_usage() const {
    std::size_t bytes = impl_->nodes.capacity() * sizeof(OrderNode) +
                        impl_->levels.capacity() * sizeof(Level) + impl_->index.memory() +
                        impl_->event_storage.capacity() * sizeof(Event);
    for (const auto& [id, m] : impl_->markets) {
        bytes += sizeof(Market);
        for (const BookSide& bs : m->sides)
            bytes += bs.keys.capacity() * sizeof(std::int64_t) +
                     bs.levels.capacity() * sizeof(std::uint32_t) + bs.by_price.memory();
        bytes += m->stops.capacity() * sizeof(StopOrder);
    }
    return bytes;
}

void Engine::reserve(std::size_t n) {
    impl_->nodes.reserve(n);
    impl_->index.reserve(n);
}

}  // namespace tigerex::matcher
