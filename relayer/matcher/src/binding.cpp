// nanobind binding of the matching engine: module relayer.matcher._engine.
//
// Single-command methods raise the Python exception that relayer.matcher.errors maps the reason
// code to (the factory is registered by relayer/matcher/__init__.py at import time), and return
// the events as a list of Event objects. The batch entry point takes a packed buffer of Command
// records, runs it with the GIL released and returns the packed Event records as a bytearray.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <string>

#include "tigerex/matcher/engine.hpp"

namespace nb = nanobind;
using namespace tigerex::matcher;

namespace {

// Owned for the life of the process on purpose: releasing it at interpreter teardown would run
// after Python objects can no longer be freed safely.
PyObject* g_error_factory = nullptr;

// Not an engine reason code: tells the Python factory to build EngineBusy.
constexpr int kEngineBusy = -1;

[[noreturn]] void raise_error(int code, OrderId order_id, MarketId market, const char* detail) {
    if (g_error_factory == nullptr) throw std::runtime_error(detail);
    nb::object exc = nb::borrow(g_error_factory)(code, order_id, market, detail);
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    throw nb::python_error();
}

// The engine plus a guard: a batch runs without the GIL, so another thread could otherwise call
// into the same engine while it runs. Every method takes the guard (an uncontended atomic
// exchange); a call that finds it taken raises EngineBusy instead of racing.
struct PyEngine {
    Engine core;
    std::atomic<bool> busy{false};

    struct Guard {
        explicit Guard(PyEngine& e) : engine(e) {
            if (engine.busy.exchange(true))
                raise_error(kEngineBusy, 0, 0, "engine busy: a batch runs in another thread");
        }
        ~Guard() { engine.busy.store(false); }
        PyEngine& engine;
    };

    nb::list run(const Command& c) {
        Guard guard(*this);
        core.clear_events();
        core.set_command_index(0);
        const Reason r = core.execute(c);
        if (r != Reason::Ok) {
            core.clear_events();
            raise_error(static_cast<int>(r), c.order_id, c.market, "command rejected");
        }
        nb::list out;
        for (const Event& e : core.events()) out.append(nb::cast(e));
        core.clear_events();
        return out;
    }

    void require_market(MarketId market) const {
        if (!core.has_market(market))
            raise_error(static_cast<int>(Reason::UnknownMarket), 0, market, "unknown market");
    }
};

// Python ints are unbounded. Values outside the command's 64-bit (or 32-bit market) fields are
// turned into the engine's own rejection codes, so every invalid input raises a MatcherError;
// non-integers stay a TypeError.
std::int64_t i64_arg(nb::handle h, Reason code) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
    if (v == -1 && PyErr_Occurred()) throw nb::python_error();
    if (overflow != 0) raise_error(static_cast<int>(code), 0, 0, "value outside 64-bit range");
    return v;
}

std::uint64_t u64_arg(nb::handle h, Reason code) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
    if (v == -1 && PyErr_Occurred()) throw nb::python_error();
    if (overflow == 0) {
        if (v < 0) raise_error(static_cast<int>(code), 0, 0, "negative id");
        return static_cast<std::uint64_t>(v);
    }
    if (overflow < 0) raise_error(static_cast<int>(code), 0, 0, "negative id");
    const unsigned long long u = PyLong_AsUnsignedLongLong(h.ptr());
    if (u == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        raise_error(static_cast<int>(code), 0, 0, "id outside 64-bit range");
    }
    return u;
}

Command make_command(CommandType type, nb::handle market, nb::handle order_id,
                     nb::handle owner) {
    Command c{};
    c.type = static_cast<std::uint8_t>(type);
    const std::uint64_t m = u64_arg(market, Reason::UnknownMarket);
    if (m > 0xFFFFFFFFull) raise_error(static_cast<int>(Reason::UnknownMarket), 0, 0, "market");
    c.market = static_cast<MarketId>(m);
    c.order_id = u64_arg(order_id, Reason::InvalidOrderId);
    // An owner outside 0..2^64-1 cannot own anything: treat it like an unknown order's owner.
    c.owner = u64_arg(owner, Reason::NotOwner);
    return c;
}

}  // namespace

NB_MODULE(_engine, m) {
    m.doc() = "Compiled TigerEx matching engine (see relayer.matcher for the typed API).";
    m.attr("COMMAND_SIZE") = sizeof(Command);
    m.attr("EVENT_SIZE") = sizeof(Event);

    m.def(
        "_set_error_factory",
        [](nb::object factory) {
            Py_XDECREF(g_error_factory);
            g_error_factory = factory.release().ptr();
        },
        "Register callable(code, order_id, market, detail) -> exception instance.");

    nb::class_<Event>(m, "Event", "One engine event; see relayer.matcher.EventType.")
        .def_ro("type", &Event::type)
        .def_ro("side", &Event::side)
        .def_ro("reason", &Event::reason)
        .def_ro("market", &Event::market)
        .def_ro("order_id", &Event::order_id)
        .def_ro("maker_id", &Event::maker_id)
        .def_ro("owner", &Event::owner)
        .def_ro("maker_owner", &Event::maker_owner)
        .def_ro("price", &Event::price)
        .def_ro("qty", &Event::qty)
        .def_ro("remaining", &Event::remaining)
        .def_ro("maker_remaining", &Event::maker_remaining)
        .def_ro("seq", &Event::seq)
        .def_ro("command", &Event::command)
        .def("as_tuple",
             [](const Event& e) {
                 return nb::make_tuple(e.type, e.side, e.reason, e.market, e.order_id, e.maker_id,
                                       e.owner, e.maker_owner, e.price, e.qty, e.remaining,
                                       e.maker_remaining, e.seq);
             })
        .def("__repr__", [](const Event& e) {
            return "Event(type=" + std::to_string(e.type) + ", side=" + std::to_string(e.side) +
                   ", reason=" + std::to_string(e.reason) + ", market=" +
                   std::to_string(e.market) + ", order_id=" + std::to_string(e.order_id) +
                   ", maker_id=" + std::to_string(e.maker_id) + ", price=" +
                   std::to_string(e.price) + ", qty=" + std::to_string(e.qty) +
                   ", remaining=" + std::to_string(e.remaining) + ", maker_remaining=" +
                   std::to_string(e.maker_remaining) + ", seq=" + std::to_string(e.seq) + ")";
        });

    nb::class_<LevelView>(m, "Level", "An aggregated price level.")
        .def_ro("price", &LevelView::price)
        .def_ro("quantity", &LevelView::quantity)
        .def_ro("orders", &LevelView::orders)
        .def("__repr__", [](const LevelView& l) {
            return "Level(price=" + std::to_string(l.price) +
                   ", quantity=" + std::to_string(l.quantity) +
                   ", orders=" + std::to_string(l.orders) + ")";
        });

    nb::class_<OrderView>(m, "OrderInfo", "A live order (resting or pending stop).")
        .def_ro("order_id", &OrderView::order_id)
        .def_ro("market", &OrderView::market)
        .def_ro("owner", &OrderView::owner)
        .def_prop_ro("side", [](const OrderView& o) { return static_cast<int>(o.side); })
        .def_prop_ro("order_type",
                     [](const OrderView& o) { return static_cast<int>(o.order_type); })
        .def_ro("resting", &OrderView::resting)
        .def_ro("price", &OrderView::price)
        .def_ro("remaining", &OrderView::remaining)
        .def_ro("visible", &OrderView::visible)
        .def_ro("stop_price", &OrderView::stop_price)
        .def_ro("watermark", &OrderView::watermark)
        .def_ro("link", &OrderView::link)
        .def("__repr__", [](const OrderView& o) {
            return "OrderInfo(order_id=" + std::to_string(o.order_id) +
                   ", market=" + std::to_string(o.market) + ", owner=" + std::to_string(o.owner) +
                   ", side=" + std::to_string(static_cast<int>(o.side)) +
                   ", resting=" + (o.resting ? "True" : "False") +
                   ", price=" + std::to_string(o.price) +
                   ", remaining=" + std::to_string(o.remaining) + ")";
        });

    nb::class_<PyEngine>(m, "Engine", "Deterministic multi-market matching engine.")
        .def(nb::init<>())
        .def(
            "add_market",
            [](PyEngine& self, MarketId market, Price tick_size, Quantity lot_size,
               Quantity min_qty, Quantity max_qty, std::int64_t min_notional) {
                PyEngine::Guard guard(self);
                const Reason r = self.core.add_market(
                    MarketConfig{market, tick_size, lot_size, min_qty, max_qty, min_notional});
                if (r != Reason::Ok)
                    raise_error(static_cast<int>(r), 0, market, "add_market rejected");
            },
            nb::arg("market"), nb::arg("tick_size"), nb::arg("lot_size"), nb::arg("min_qty"),
            nb::arg("max_qty"), nb::arg("min_notional") = 0)
        .def(
            "place_limit",
            [](PyEngine& self, nb::handle market, nb::handle order_id, nb::handle owner, int side,
               nb::handle price, nb::handle qty, int tif, bool post_only, int stp,
               nb::handle visible, nb::handle link) {
                Command c = make_command(CommandType::Place, market, order_id, owner);
                c.side = static_cast<std::uint8_t>(side);
                c.order_type = static_cast<std::uint8_t>(OrderType::Limit);
                c.tif = static_cast<std::uint8_t>(tif);
                c.stp = static_cast<std::uint8_t>(stp);
                c.flags = post_only ? flags::PostOnly : 0;
                c.price = i64_arg(price, Reason::InvalidPrice);
                c.qty = i64_arg(qty, Reason::InvalidQuantity);
                c.visible = i64_arg(visible, Reason::InvalidIceberg);
                c.link = u64_arg(link, Reason::InvalidLink);
                return self.run(c);
            },
            nb::arg("market"), nb::arg("order_id"), nb::arg("owner"), nb::arg("side"),
            nb::arg("price"), nb::arg("qty"), nb::arg("tif") = 0, nb::arg("post_only") = false,
            nb::arg("stp") = 0, nb::arg("visible") = 0, nb::arg("link") = 0)
        .def(
            "place_market",
            [](PyEngine& self, nb::handle market, nb::handle order_id, nb::handle owner, int side,
               nb::handle qty, nb::handle worst_price, bool quote_qty, int stp, nb::handle link) {
                Command c = make_command(CommandType::Place, market, order_id, owner);
                c.side = static_cast<std::uint8_t>(side);
                c.order_type = static_cast<std::uint8_t>(OrderType::Market);
                c.tif = static_cast<std::uint8_t>(TimeInForce::IOC);
                c.stp = static_cast<std::uint8_t>(stp);
                c.flags = quote_qty ? flags::QuoteQuantity : 0;
                c.price = i64_arg(worst_price, Reason::InvalidPrice);
                c.qty = i64_arg(qty, Reason::InvalidQuantity);
                c.link = u64_arg(link, Reason::InvalidLink);
                return self.run(c);
            },
            nb::arg("market"), nb::arg("order_id"), nb::arg("owner"), nb::arg("side"),
            nb::arg("qty"), nb::arg("worst_price") = 0, nb::arg("quote_qty") = false,
            nb::arg("stp") = 0, nb::arg("link") = 0)
        .def(
            "place_stop",
            [](PyEngine& self, nb::handle market, nb::handle order_id, nb::handle owner, int side,
               int order_type, nb::handle qty, nb::handle stop_price, nb::handle price, int tif,
               int stp, bool trail_bps, nb::handle link) {
                Command c = make_command(CommandType::Place, market, order_id, owner);
                c.side = static_cast<std::uint8_t>(side);
                c.order_type = static_cast<std::uint8_t>(order_type);
                c.tif = static_cast<std::uint8_t>(tif);
                c.stp = static_cast<std::uint8_t>(stp);
                c.flags = trail_bps ? flags::TrailBps : 0;
                c.price = i64_arg(price, Reason::InvalidPrice);
                c.qty = i64_arg(qty, Reason::InvalidQuantity);
                c.stop_price = i64_arg(stop_price, Reason::InvalidStopPrice);
                c.link = u64_arg(link, Reason::InvalidLink);
                return self.run(c);
            },
            nb::arg("market"), nb::arg("order_id"), nb::arg("owner"), nb::arg("side"),
            nb::arg("order_type"), nb::arg("qty"), nb::arg("stop_price"), nb::arg("price") = 0,
            nb::arg("tif") = 0, nb::arg("stp") = 0, nb::arg("trail_bps") = false,
            nb::arg("link") = 0)
        .def(
            "cancel",
            [](PyEngine& self, nb::handle market, nb::handle order_id, nb::handle owner) {
                return self.run(make_command(CommandType::Cancel, market, order_id, owner));
            },
            nb::arg("market"), nb::arg("order_id"), nb::arg("owner"))
        .def(
            "amend",
            [](PyEngine& self, nb::handle market, nb::handle order_id, nb::handle owner,
               nb::handle price, nb::handle qty) {
                Command c = make_command(CommandType::Amend, market, order_id, owner);
                c.price = i64_arg(price, Reason::InvalidPrice);
                c.qty = i64_arg(qty, Reason::InvalidQuantity);
                return self.run(c);
            },
            nb::arg("market"), nb::arg("order_id"), nb::arg("owner"), nb::arg("price") = 0,
            nb::arg("qty") = 0)
        .def(
            "mass_cancel",
            [](PyEngine& self, nb::handle owner, nb::handle market) {
                const bool all = market.is_none();
                Command c = make_command(CommandType::MassCancel,
                                         all ? nb::handle(nb::int_(0)) : market, nb::int_(0),
                                         owner);
                c.flags = all ? flags::AllMarkets : 0;
                return self.run(c);
            },
            nb::arg("owner"), nb::arg("market") = nb::none())
        .def(
            "_execute_batch",
            [](PyEngine& self, nb::handle buffer) {
                Py_buffer view;
                if (PyObject_GetBuffer(buffer.ptr(), &view, PyBUF_SIMPLE) != 0)
                    throw nb::python_error();
                const std::size_t n = static_cast<std::size_t>(view.len) / sizeof(Command);
                if (static_cast<std::size_t>(view.len) % sizeof(Command) != 0 ||
                    n > 0xFFFFFFFFull) {
                    PyBuffer_Release(&view);
                    throw nb::value_error("buffer is not a whole number of Command records");
                }
                const auto* bytes = static_cast<const std::uint8_t*>(view.buf);
                {
                    PyEngine::Guard guard(self);
                    nb::gil_scoped_release release;
                    self.core.clear_events();
                    for (std::size_t i = 0; i < n; ++i) {
                        Command c;
                        std::memcpy(&c, bytes + i * sizeof(Command), sizeof(Command));
                        self.core.set_command_index(static_cast<std::uint32_t>(i));
                        self.core.execute(c);
                    }
                }
                PyBuffer_Release(&view);
                const auto& events = self.core.events();
                PyObject* out = PyByteArray_FromStringAndSize(
                    reinterpret_cast<const char*>(events.data()),
                    static_cast<Py_ssize_t>(events.size() * sizeof(Event)));
                self.core.clear_events();
                if (out == nullptr) throw nb::python_error();
                return nb::steal(out);
            },
            nb::arg("commands"))
        .def(
            "best_bid",
            [](PyEngine& self, MarketId market) {
                PyEngine::Guard guard(self);
                self.require_market(market);
                return self.core.best_bid(market);
            },
            nb::arg("market"))
        .def(
            "best_ask",
            [](PyEngine& self, MarketId market) {
                PyEngine::Guard guard(self);
                self.require_market(market);
                return self.core.best_ask(market);
            },
            nb::arg("market"))
        .def(
            "depth",
            [](PyEngine& self, MarketId market, int side, std::size_t levels) {
                PyEngine::Guard guard(self);
                self.require_market(market);
                if (side != 0 && side != 1)
                    raise_error(static_cast<int>(Reason::InvalidSide), 0, market, "bad side");
                return self.core.depth(market, static_cast<Side>(side), levels);
            },
            nb::arg("market"), nb::arg("side"), nb::arg("levels") = 10)
        .def(
            "order",
            [](PyEngine& self, OrderId order_id) {
                PyEngine::Guard guard(self);
                return self.core.order(order_id);
            },
            nb::arg("order_id"))
        .def(
            "open_orders",
            [](PyEngine& self, MarketId market, OwnerId owner) {
                PyEngine::Guard guard(self);
                self.require_market(market);
                return self.core.open_orders(market, owner);
            },
            nb::arg("market"), nb::arg("owner"))
        .def(
            "last_price",
            [](PyEngine& self, MarketId market) {
                PyEngine::Guard guard(self);
                self.require_market(market);
                return self.core.last_price(market);
            },
            nb::arg("market"))
        .def("markets",
             [](PyEngine& self) {
                 PyEngine::Guard guard(self);
                 return self.core.markets();
             })
        .def("state_hash",
             [](PyEngine& self) {
                 PyEngine::Guard guard(self);
                 return self.core.state_hash();
             })
        .def("_validate",
             [](PyEngine& self) {
                 PyEngine::Guard guard(self);
                 return self.core.validate();
             })
        .def("snapshot",
             [](PyEngine& self) {
                 PyEngine::Guard guard(self);
                 const auto bytes = self.core.snapshot();
                 return nb::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
             })
        .def(
            "_restore",
            [](PyEngine& self, nb::bytes data) {
                PyEngine::Guard guard(self);
                std::string error;
                if (!self.core.restore(reinterpret_cast<const std::uint8_t*>(data.c_str()),
                                       data.size(), &error))
                    return error;
                return std::string();
            },
            nb::arg("data"))
        .def("memory_usage",
             [](PyEngine& self) {
                 PyEngine::Guard guard(self);
                 return self.core.memory_usage();
             })
        .def("resting_orders",
             [](PyEngine& self) {
                 PyEngine::Guard guard(self);
                 return self.core.resting_orders();
             })
        .def(
            "reserve",
            [](PyEngine& self, std::size_t n) {
                PyEngine::Guard guard(self);
                self.core.reserve(n);
            },
            nb::arg("orders"));
}
