// C++ unit tests of the matching engine (no framework: one binary, exit code != 0 on failure).
// Built only with -DTIGEREX_MATCHER_TESTS=ON; the sanitizer build (ASan/UBSan) runs the same
// binary. Usage: matcher_tests [stream_length]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tigerex/matcher/engine.hpp"

using namespace tigerex::matcher;

namespace {

int g_failures = 0;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++g_failures;                                                           \
        }                                                                           \
    } while (0)

Command place(MarketId market, OrderId id, OwnerId owner, Side side, Price price, Quantity qty,
              OrderType type = OrderType::Limit, TimeInForce tif = TimeInForce::GTC) {
    Command c{};
    c.type = static_cast<std::uint8_t>(CommandType::Place);
    c.market = market;
    c.order_id = id;
    c.owner = owner;
    c.side = static_cast<std::uint8_t>(side);
    c.price = price;
    c.qty = qty;
    c.order_type = static_cast<std::uint8_t>(type);
    c.tif = static_cast<std::uint8_t>(tif);
    return c;
}

Engine make_engine() {
    Engine e;
    e.add_market(MarketConfig{1, 1, 1, 1, 1000000, 0});
    e.add_market(MarketConfig{2, 5, 10, 10, 100000, 100});
    return e;
}

std::size_t count(const Engine& e, EventType t) {
    std::size_t n = 0;
    for (const Event& ev : e.events()) n += ev.type == static_cast<std::uint8_t>(t);
    return n;
}

void test_price_time_priority() {
    Engine e = make_engine();
    CHECK(e.execute(place(1, 1, 10, Side::Sell, 101, 5)) == Reason::Ok);
    CHECK(e.execute(place(1, 2, 11, Side::Sell, 100, 5)) == Reason::Ok);
    CHECK(e.execute(place(1, 3, 12, Side::Sell, 100, 5)) == Reason::Ok);
    e.clear_events();
    CHECK(e.execute(place(1, 4, 13, Side::Buy, 101, 12)) == Reason::Ok);
    std::vector<OrderId> makers;
    for (const Event& ev : e.events())
        if (ev.type == static_cast<std::uint8_t>(EventType::Fill)) makers.push_back(ev.maker_id);
    CHECK((makers == std::vector<OrderId>{2, 3, 1}));
    CHECK(e.best_ask(1)->price == 101 && e.best_ask(1)->quantity == 3);
    CHECK(!e.best_bid(1).has_value());
    CHECK(e.validate().empty());
}

void test_rejection_changes_nothing() {
    Engine e = make_engine();
    e.execute(place(2, 1, 1, Side::Buy, 500, 20));
    const auto before = e.state_hash();
    e.clear_events();
    CHECK(e.execute(place(2, 2, 1, Side::Buy, 501, 20)) == Reason::PriceOffTick);
    CHECK(e.execute(place(2, 3, 1, Side::Buy, 500, 15)) == Reason::QuantityNotLotMultiple);
    CHECK(e.execute(place(2, 1, 1, Side::Buy, 500, 20)) == Reason::DuplicateOrderId);
    CHECK(e.execute(place(9, 4, 1, Side::Buy, 500, 20)) == Reason::UnknownMarket);
    CHECK(e.execute(place(2, 5, 1, Side::Buy, 5, 10)) == Reason::NotionalTooSmall);
    CHECK(e.state_hash() == before);
    CHECK(count(e, EventType::Rejected) == 5 && e.events().size() == 5);
}

void test_iceberg_refill_goes_to_back() {
    Engine e = make_engine();
    Command ice = place(1, 1, 1, Side::Sell, 100, 10);
    ice.visible = 3;
    CHECK(e.execute(ice) == Reason::Ok);
    CHECK(e.execute(place(1, 2, 2, Side::Sell, 100, 4)) == Reason::Ok);
    CHECK(e.best_ask(1)->quantity == 7);
    e.clear_events();
    CHECK(e.execute(place(1, 3, 3, Side::Buy, 100, 5)) == Reason::Ok);
    // 3 from the iceberg (refilled to the back), then 2 from order 2.
    std::vector<std::pair<OrderId, Quantity>> fills;
    for (const Event& ev : e.events())
        if (ev.type == static_cast<std::uint8_t>(EventType::Fill))
            fills.emplace_back(ev.maker_id, ev.qty);
    CHECK((fills == std::vector<std::pair<OrderId, Quantity>>{{1, 3}, {2, 2}}));
    CHECK(e.order(1)->remaining == 7 && e.order(1)->visible == 3);
    CHECK(e.validate().empty());
}

void test_stop_triggers_on_last_price() {
    Engine e = make_engine();
    e.execute(place(1, 1, 1, Side::Sell, 100, 5));
    e.execute(place(1, 2, 2, Side::Buy, 100, 1));  // last = 100
    Command stop = place(1, 3, 3, Side::Buy, 0, 2, OrderType::StopMarket);
    stop.stop_price = 105;
    CHECK(e.execute(stop) == Reason::Ok);
    e.execute(place(1, 4, 1, Side::Sell, 105, 5));
    e.clear_events();
    e.execute(place(1, 5, 2, Side::Buy, 105, 5));  // sweeps 100 x4 then 105 x1: last 105
    CHECK(count(e, EventType::Triggered) == 1);
    CHECK(!e.order(3).has_value());
    CHECK(e.validate().empty());
}

void test_oco_fill_cancels_sibling() {
    Engine e = make_engine();
    e.execute(place(1, 1, 1, Side::Sell, 110, 5));
    Command stop = place(1, 2, 1, Side::Sell, 0, 5, OrderType::StopMarket);
    stop.stop_price = 90;
    stop.link = 1;
    CHECK(e.execute(stop) == Reason::Ok);
    CHECK(e.order(1)->link == 2 && e.order(2)->link == 1);
    e.clear_events();
    e.execute(place(1, 3, 2, Side::Buy, 110, 1));
    CHECK(!e.order(2).has_value());
    bool oco = false;
    for (const Event& ev : e.events())
        oco |= ev.type == static_cast<std::uint8_t>(EventType::Cancelled) && ev.order_id == 2 &&
               ev.reason == static_cast<std::uint16_t>(Reason::OcoSibling);
    CHECK(oco);
    CHECK(e.validate().empty());
}

// Levels emptied below the top are kept and compacted later; the book must look the same as if
// they had been removed at once.
void test_many_levels_emptied_and_reused() {
    Engine e = make_engine();
    for (OrderId id = 1; id <= 300; ++id)
        CHECK(e.execute(place(1, id, 1, Side::Buy, 1000 - static_cast<Price>(id), 1)) == Reason::Ok);
    Command cancel{};
    cancel.type = static_cast<std::uint8_t>(CommandType::Cancel);
    cancel.market = 1;
    cancel.owner = 1;
    for (OrderId id = 2; id <= 290; ++id) {  // empty levels below the best, then compaction
        cancel.order_id = id;
        CHECK(e.execute(cancel) == Reason::Ok);
        CHECK(e.validate().empty());
    }
    CHECK(e.depth(1, Side::Buy, 100).size() == 11);
    CHECK(e.best_bid(1)->price == 999);
    for (OrderId id = 2; id <= 100; ++id)  // reuse emptied prices
        CHECK(e.execute(place(1, 1000 + id, 1, Side::Buy, 1000 - static_cast<Price>(id), 2)) ==
              Reason::Ok);
    CHECK(e.validate().empty());
    CHECK(e.depth(1, Side::Buy, 1000).size() == 110);
    // Sweep the whole side: pops must cascade through any kept empty levels.
    CHECK(e.execute(place(1, 5000, 2, Side::Sell, 1, 1000000, OrderType::Limit,
                          TimeInForce::IOC)) == Reason::Ok);
    CHECK(e.validate().empty());
    CHECK(!e.best_bid(1).has_value());
    CHECK(e.resting_orders() == 0);
}

// xorshift64*: deterministic stream without <random>'s implementation-defined distributions.
struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 2685821657736338717ULL;
    }
    std::int64_t range(std::int64_t lo, std::int64_t hi) {
        return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
};

Command random_command(Rng& r, OrderId& next_id) {
    Command c{};
    const int kind = static_cast<int>(r.range(0, 99));
    c.market = r.range(0, 9) < 8 ? 1 : 2;
    const Price tick = c.market == 1 ? 1 : 5;
    const Quantity lot = c.market == 1 ? 1 : 10;
    c.owner = static_cast<OwnerId>(r.range(1, 4));
    c.side = static_cast<std::uint8_t>(r.range(0, 1));
    c.stp = static_cast<std::uint8_t>(r.range(0, 5) < 3 ? 0 : r.range(1, 3));
    c.price = (100 + r.range(-6, 6)) * tick;
    c.qty = lot * r.range(1, 8);
    if (kind < 45) {
        c.type = static_cast<std::uint8_t>(CommandType::Place);
        c.order_id = next_id++;
        c.tif = static_cast<std::uint8_t>(r.range(0, 5) < 4 ? 0 : r.range(1, 2));
        if (c.tif == 0 && r.range(0, 9) == 0) c.visible = lot;
        if (c.tif == 0 && r.range(0, 19) == 0) c.flags = flags::PostOnly;
        if (r.range(0, 9) == 0) c.link = static_cast<OrderId>(r.range(1, static_cast<std::int64_t>(next_id)));
    } else if (kind < 55) {
        c.type = static_cast<std::uint8_t>(CommandType::Place);
        c.order_id = next_id++;
        c.order_type = static_cast<std::uint8_t>(r.range(1, 6));
        const auto t = static_cast<OrderType>(c.order_type);
        if (t == OrderType::Market) c.price = r.range(0, 1) ? c.price : 0;
        else if (t == OrderType::TrailingStopMarket) c.price = 0, c.stop_price = tick * r.range(1, 3);
        else {
            c.stop_price = c.price;
            c.price = (t == OrderType::StopLimit || t == OrderType::TakeProfitLimit)
                          ? (100 + r.range(-6, 6)) * tick
                          : 0;
        }
        if (r.range(0, 4) == 0) c.link = static_cast<OrderId>(r.range(1, static_cast<std::int64_t>(next_id)));
    } else if (kind < 70) {
        c.type = static_cast<std::uint8_t>(CommandType::Cancel);
        c.order_id = static_cast<OrderId>(r.range(1, static_cast<std::int64_t>(next_id)));
    } else if (kind < 97) {
        c.type = static_cast<std::uint8_t>(CommandType::Amend);
        c.order_id = static_cast<OrderId>(r.range(1, static_cast<std::int64_t>(next_id)));
        if (r.range(0, 1)) c.qty = 0;
        else if (r.range(0, 1)) c.price = 0;
    } else {
        c.type = static_cast<std::uint8_t>(CommandType::MassCancel);
        if (r.range(0, 1)) c.flags = flags::AllMarkets;
    }
    return c;
}

// Runs a random stream with validate() after every command, and checks that a snapshot taken
// half way restores into an engine that produces the same events for the rest of the stream.
void test_random_stream(std::size_t n) {
    Engine e = make_engine();
    Rng r{0x9E3779B97F4A7C15ULL};
    OrderId next_id = 1;
    std::vector<Command> cmds;
    for (std::size_t i = 0; i < n; ++i) cmds.push_back(random_command(r, next_id));
    Engine restored;
    std::size_t half = n / 2;
    for (std::size_t i = 0; i < n; ++i) {
        e.clear_events();
        e.execute(cmds[i]);
        const std::string problem = e.validate();
        if (!problem.empty()) {
            std::fprintf(stderr, "invariant broken after command %zu: %s\n", i, problem.c_str());
            ++g_failures;
            return;
        }
        if (i == half) {
            const auto snap = e.snapshot();
            std::string error;
            CHECK(restored.restore(snap.data(), snap.size(), &error));
            CHECK(restored.state_hash() == e.state_hash());
            CHECK(restored.snapshot() == snap);
        } else if (i > half) {
            restored.clear_events();
            restored.execute(cmds[i]);
            const auto& a = e.events();
            const auto& b = restored.events();
            bool same = a.size() == b.size();
            for (std::size_t k = 0; same && k < a.size(); ++k)
                same = std::memcmp(&a[k], &b[k], sizeof(Event)) == 0;
            if (!same) {
                std::fprintf(stderr, "restored engine diverged at command %zu\n", i);
                ++g_failures;
                return;
            }
        }
    }
    CHECK(restored.state_hash() == e.state_hash());
    // A corrupted snapshot is refused and leaves the engine unchanged.
    auto snap = e.snapshot();
    const auto hash = restored.state_hash();
    snap.resize(snap.size() - 8);
    std::string error;
    CHECK(!restored.restore(snap.data(), snap.size(), &error) && !error.empty());
    CHECK(restored.state_hash() == hash);
}

// Replays a stream written by tests/relayer/matcher/test_sanitizers.py: a count of markets, six
// int64 per market (id, tick, lot, min_qty, max_qty, min_notional), then Command records. Every
// command is followed by validate(); a snapshot round trip runs every 1,000 commands.
bool replay(const char* path) {
    std::ifstream f(path, std::ios::binary);
    std::uint64_t n_markets = 0;
    f.read(reinterpret_cast<char*>(&n_markets), sizeof n_markets);
    Engine e;
    for (std::uint64_t i = 0; i < n_markets && f; ++i) {
        std::int64_t v[6];
        f.read(reinterpret_cast<char*>(v), sizeof v);
        e.add_market(MarketConfig{static_cast<MarketId>(v[0]), v[1], v[2], v[3], v[4], v[5]});
    }
    Command c{};
    std::size_t count = 0;
    while (f.read(reinterpret_cast<char*>(&c), sizeof c)) {
        e.clear_events();
        e.execute(c);
        const std::string problem = e.validate();
        if (!problem.empty()) {
            std::fprintf(stderr, "replay: invariant broken after command %zu: %s\n", count,
                         problem.c_str());
            return false;
        }
        if (++count % 1000 == 0) {
            const auto snap = e.snapshot();
            Engine copy;
            std::string error;
            if (!copy.restore(snap.data(), snap.size(), &error) ||
                copy.state_hash() != e.state_hash()) {
                std::fprintf(stderr, "replay: snapshot round trip failed: %s\n", error.c_str());
                return false;
            }
        }
    }
    std::printf("replayed %zu commands\n", count);
    return count > 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 2 && std::strcmp(argv[1], "--replay") == 0) {
        if (!replay(argv[2])) return 1;
        argc = 1;  // then run the built-in tests as well
    }
    const std::size_t n = argc > 1 ? static_cast<std::size_t>(std::strtoull(argv[1], nullptr, 10))
                                   : 20000;
    test_price_time_priority();
    test_rejection_changes_nothing();
    test_iceberg_refill_goes_to_back();
    test_stop_triggers_on_last_price();
    test_oco_fill_cancels_sibling();
    test_many_levels_emptied_and_reused();
    test_random_stream(n);
    if (g_failures != 0) {
        std::fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    std::printf("matcher_tests: all passed (%zu random commands)\n", n);
    return 0;
}
