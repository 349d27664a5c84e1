// C++ driver of the matching-engine benchmark (built and run by bench/matcher/run.py).
//
//   bench_core gen <file> <n> <seed>   write the exchange-core-shaped stream (Command records)
//   bench_core run <file> [repeats]    throughput + per-command latency of the core on it
//   bench_core liquibook <n>           insert-only run, alternating sides over a 10-tick band
//   bench_core memory <n>              bytes per resting order with n resting orders
//
// Every mode prints one JSON object on stdout.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "tigerex/matcher/engine.hpp"

using namespace tigerex::matcher;
using Clock = std::chrono::steady_clock;

namespace {

constexpr MarketId kMarket = 1;
constexpr Price kMid = 1'000'000;
constexpr Price kHalfBand = 1000;  // ~1,000 orders spread over +-1,000 ticks give ~750 levels

struct Rng {  // xorshift64*: fast and reproducible everywhere
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
    double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

Engine make_engine() {
    Engine e;
    e.add_market(MarketConfig{kMarket, 1, 1, 1, 1'000'000'000, 0});
    return e;
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of this thread: on a shared machine, wall time also counts the time other processes
// held the core; thread CPU time does not, so both are reported.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Live orders the generator can cancel or move: a vector plus id -> position for O(1) removal.
struct LiveSet {
    std::vector<std::pair<OrderId, Side>> items;
    std::unordered_map<OrderId, std::size_t> pos;
    void add(OrderId id, Side side) {
        if (pos.count(id)) return;
        pos[id] = items.size();
        items.emplace_back(id, side);
    }
    void remove(OrderId id) {
        auto it = pos.find(id);
        if (it == pos.end()) return;
        const std::size_t i = it->second;
        pos.erase(it);
        if (i + 1 != items.size()) {
            items[i] = items.back();
            pos[items[i].first] = i;
        }
        items.pop_back();
    }
};

int gen(const char* path, std::size_t n, std::uint64_t seed) {
    Engine e = make_engine();
    Rng r{seed | 1};
    LiveSet live;
    std::vector<Command> out;
    out.reserve(n);
    OrderId next_id = 1;
    std::size_t counts[4] = {0, 0, 0, 0};
    double resting_sum = 0;
    double levels_sum = 0;
    std::size_t samples = 0;
    while (out.size() < n) {
        Command c{};
        c.market = kMarket;
        const double roll = r.unit();
        // Build-up: the first commands fill the book to ~1,000 orders like exchange-core's
        // pre-fill; from then on the mix is 9% GTC, 3% IOC, 6% cancel, 82% move. A mild
        // feedback (GTC <-> cancel) keeps the resting count near 1,000.
        int kind;
        if (live.items.size() < 1000 && out.size() < 2000) kind = 0;
        else if (roll < 0.09) kind = live.items.size() > 1050 ? 2 : 0;
        else if (roll < 0.12) kind = 1;
        else if (roll < 0.18) kind = live.items.size() < 950 ? 0 : 2;
        else kind = 3;
        if (live.items.empty() && kind >= 2) kind = 0;
        const OwnerId owner = static_cast<OwnerId>(r.range(1, 1000));
        if (kind == 0 || kind == 1) {
            const Side side = r.range(0, 1) ? Side::Sell : Side::Buy;
            c.type = static_cast<std::uint8_t>(CommandType::Place);
            c.order_id = next_id++;
            c.owner = owner;
            c.side = static_cast<std::uint8_t>(side);
            c.order_type = static_cast<std::uint8_t>(OrderType::Limit);
            if (kind == 0) {
                c.tif = static_cast<std::uint8_t>(TimeInForce::GTC);
                const Price off = r.range(1, kHalfBand);
                c.price = side == Side::Buy ? kMid - off : kMid + off;
                c.qty = r.range(1, 20);
            } else {
                c.tif = static_cast<std::uint8_t>(TimeInForce::IOC);
                const auto best = side == Side::Buy ? e.best_ask(kMarket) : e.best_bid(kMarket);
                const Price ref = best ? best->price : kMid;
                c.price = side == Side::Buy ? ref + r.range(0, 3) : ref - r.range(0, 3);
                c.qty = r.range(1, 60);
            }
        } else if (kind == 2) {
            const auto& [id, side] = live.items[static_cast<std::size_t>(
                r.range(0, static_cast<std::int64_t>(live.items.size()) - 1))];
            c.type = static_cast<std::uint8_t>(CommandType::Cancel);
            c.order_id = id;
            c.owner = e.order(id)->owner;
        } else {
            const auto [id, side] = live.items[static_cast<std::size_t>(
                r.range(0, static_cast<std::int64_t>(live.items.size()) - 1))];
            const auto o = e.order(id);
            c.type = static_cast<std::uint8_t>(CommandType::Amend);
            c.order_id = id;
            c.owner = o->owner;
            Price p = o->price + r.range(-20, 20);
            if (p == o->price) p += 1;
            // Moves stay on their side of the mid, so the book stays ~1,000 orders deep.
            if (side == Side::Buy) p = std::clamp(p, kMid - kHalfBand, kMid - 1);
            else p = std::clamp(p, kMid + 1, kMid + kHalfBand);
            if (p == o->price) p = side == Side::Buy ? p - 1 : p + 1;
            c.price = p;
        }
        e.clear_events();
        if (e.execute(c) != Reason::Ok) continue;  // never expected; keep the stream valid
        ++counts[kind];
        for (const Event& ev : e.events())
            if (ev.type == static_cast<std::uint8_t>(EventType::Fill) && ev.maker_remaining == 0)
                live.remove(ev.maker_id);
        if (c.type == static_cast<std::uint8_t>(CommandType::Cancel)) live.remove(c.order_id);
        if (e.order(c.order_id)) live.add(c.order_id, static_cast<Side>(e.order(c.order_id)->side));
        else live.remove(c.order_id);
        out.push_back(c);
        if (out.size() % 1000 == 0) {
            resting_sum += static_cast<double>(e.resting_orders());
            levels_sum += static_cast<double>(e.depth(kMarket, Side::Buy, 1u << 30).size() +
                                              e.depth(kMarket, Side::Sell, 1u << 30).size());
            ++samples;
        }
    }
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(out.data()),
            static_cast<std::streamsize>(out.size() * sizeof(Command)));
    const auto bids = e.depth(kMarket, Side::Buy, 1u << 30);
    const auto asks = e.depth(kMarket, Side::Sell, 1u << 30);
    std::printf(
        "{\"commands\": %zu, \"gtc\": %zu, \"ioc\": %zu, \"cancel\": %zu, \"move\": %zu, "
        "\"final_resting_orders\": %zu, \"final_levels\": %zu, \"mean_resting_orders\": %.0f, "
        "\"mean_levels\": %.0f}\n",
        out.size(), counts[0], counts[1], counts[2], counts[3], e.resting_orders(),
        bids.size() + asks.size(), resting_sum / static_cast<double>(samples),
        levels_sum / static_cast<double>(samples));
    return 0;
}

std::vector<Command> load(const char* path) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    const auto size = static_cast<std::size_t>(f.tellg());
    std::vector<Command> cmds(size / sizeof(Command));
    f.seekg(0);
    f.read(reinterpret_cast<char*>(cmds.data()), static_cast<std::streamsize>(size));
    return cmds;
}

struct Percentiles {
    double p50, p99, p999, max, mean;
};

Percentiles percentiles(std::vector<std::uint32_t>& ns) {
    auto at = [&ns](double q) {
        const std::size_t k = std::min(ns.size() - 1, static_cast<std::size_t>(q * ns.size()));
        std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
        return static_cast<double>(ns[k]);
    };
    double sum = 0;
    for (auto v : ns) sum += v;
    Percentiles p{};
    p.mean = sum / static_cast<double>(ns.size());
    p.max = static_cast<double>(*std::max_element(ns.begin(), ns.end()));
    p.p50 = at(0.50);
    p.p99 = at(0.99);
    p.p999 = at(0.999);
    return p;
}

int run(const char* path, int repeats) {
    const std::vector<Command> cmds = load(path);
    const std::size_t n = cmds.size();
    // Throughput: best of `repeats` runs on a fresh engine each time (events are consumed,
    // i.e. cleared, after every command as a caller would).
    double best = 1e300;
    double best_cpu = 1e300;
    std::size_t events = 0;
    std::uint64_t hash = 0;
    for (int rep = 0; rep < repeats; ++rep) {
        Engine e = make_engine();
        std::size_t ev = 0;
        const auto t0 = Clock::now();
        const double c0 = thread_cpu_seconds();
        for (const Command& c : cmds) {
            e.execute(c);
            ev += e.events().size();
            e.clear_events();
        }
        best_cpu = std::min(best_cpu, thread_cpu_seconds() - c0);
        best = std::min(best, seconds_since(t0));
        events = ev;
        hash = e.state_hash();
    }
    // Latency: every command timed on its own (clock overhead included, reported below).
    std::vector<std::uint32_t> ns(n);
    {
        Engine e = make_engine();
        for (std::size_t i = 0; i < n; ++i) {
            const auto t0 = Clock::now();
            e.execute(cmds[i]);
            e.clear_events();
            ns[i] = static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
        }
    }
    std::vector<std::uint32_t> overhead(200000);
    for (auto& v : overhead) {
        const auto t0 = Clock::now();
        v = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
    }
    const Percentiles p = percentiles(ns);
    const Percentiles o = percentiles(overhead);
    std::printf(
        "{\"commands\": %zu, \"events\": %zu, \"seconds\": %.6f, \"commands_per_second\": %.0f, "
        "\"commands_per_cpu_second\": %.0f, \"latency_ns\": {\"p50\": %.0f, \"p99\": %.0f, \"p99_9\": %.0f, \"max\": %.0f, "
        "\"mean\": %.1f}, \"timer_overhead_ns_p50\": %.0f, \"state_hash\": \"%016llx\"}\n",
        n, events, best, static_cast<double>(n) / best, static_cast<double>(n) / best_cpu, p.p50, p.p99, p.p999, p.max, p.mean,
        o.p50, static_cast<unsigned long long>(hash));
    return 0;
}

int liquibook(std::size_t n) {
    Rng r{12345};
    std::vector<Command> cmds(n);
    for (std::size_t i = 0; i < n; ++i) {
        Command& c = cmds[i];
        c.type = static_cast<std::uint8_t>(CommandType::Place);
        c.market = kMarket;
        c.order_id = i + 1;
        c.owner = static_cast<OwnerId>(r.range(1, 1000));
        c.side = static_cast<std::uint8_t>(i % 2);
        c.order_type = static_cast<std::uint8_t>(OrderType::Limit);
        c.price = kMid + r.range(0, 9);
        c.qty = r.range(1, 10) * 100;
    }
    double best = 1e300;
    double best_cpu = 1e300;
    std::size_t fills = 0;
    std::size_t resting = 0;
    for (int rep = 0; rep < 5; ++rep) {
        Engine e = make_engine();
        std::size_t f = 0;
        const auto t0 = Clock::now();
        const double c0 = thread_cpu_seconds();
        for (const Command& c : cmds) {
            e.execute(c);
            for (const Event& ev : e.events())
                f += ev.type == static_cast<std::uint8_t>(EventType::Fill);
            e.clear_events();
        }
        best_cpu = std::min(best_cpu, thread_cpu_seconds() - c0);
        best = std::min(best, seconds_since(t0));
        fills = f;
        resting = e.resting_orders();
    }
    std::printf(
        "{\"inserts\": %zu, \"fills\": %zu, \"resting_at_end\": %zu, \"seconds\": %.6f, "
        "\"inserts_per_second\": %.0f, \"inserts_per_cpu_second\": %.0f}\n",
        n, fills, resting, best, static_cast<double>(n) / best, static_cast<double>(n) / best_cpu);
    return 0;
}

std::size_t rss_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) return 0;
    unsigned long size = 0, resident = 0;
    if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
    std::fclose(f);
    return resident * 4096;
}

int memory(std::size_t n) {
    const std::size_t rss0 = rss_bytes();
    Engine e = make_engine();
    Rng r{777};
    Command c{};
    c.type = static_cast<std::uint8_t>(CommandType::Place);
    c.market = kMarket;
    c.order_type = static_cast<std::uint8_t>(OrderType::Limit);
    for (std::size_t i = 0; i < n; ++i) {
        const Side side = i % 2 ? Side::Sell : Side::Buy;
        c.order_id = i + 1;
        c.owner = static_cast<OwnerId>(r.range(1, 100000));
        c.side = static_cast<std::uint8_t>(side);
        const Price off = r.range(1, 5000);  // 10,000 price levels in all
        c.price = side == Side::Buy ? kMid - off : kMid + off;
        c.qty = r.range(1, 100);
        e.execute(c);
        e.clear_events();
    }
    const std::size_t rss1 = rss_bytes();
    const auto bids = e.depth(kMarket, Side::Buy, 1u << 30);
    const auto asks = e.depth(kMarket, Side::Sell, 1u << 30);
    std::printf(
        "{\"resting_orders\": %zu, \"levels\": %zu, \"engine_bytes\": %zu, "
        "\"engine_bytes_per_order\": %.1f, \"rss_delta_bytes\": %zu, "
        "\"rss_bytes_per_order\": %.1f, \"valid\": %s}\n",
        e.resting_orders(), bids.size() + asks.size(), e.memory_usage(),
        static_cast<double>(e.memory_usage()) / static_cast<double>(n), rss1 - rss0,
        static_cast<double>(rss1 - rss0) / static_cast<double>(n),
        e.validate().empty() ? "true" : "false");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 5 && std::strcmp(argv[1], "gen") == 0)
        return gen(argv[2], std::strtoull(argv[3], nullptr, 10), std::strtoull(argv[4], nullptr, 10));
    if (argc >= 3 && std::strcmp(argv[1], "run") == 0)
        return run(argv[2], argc >= 4 ? std::atoi(argv[3]) : 3);
    if (argc >= 3 && std::strcmp(argv[1], "liquibook") == 0)
        return liquibook(std::strtoull(argv[2], nullptr, 10));
    if (argc >= 3 && std::strcmp(argv[1], "memory") == 0)
        return memory(std::strtoull(argv[2], nullptr, 10));
    std::fprintf(stderr,
                 "usage: bench_core gen <file> <n> <seed> | run <file> [repeats] | "
                 "liquibook <n> | memory <n>\n");
    return 2;
}
