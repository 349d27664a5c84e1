"""The batch API and snapshot/restore."""

from __future__ import annotations

import random
import threading

import numpy as np
import pytest

from relayer.matcher import EVENT_DTYPE, CommandType, Engine, command, new_commands
from tests.relayer.matcher.reference import events_of
from tests.relayer.matcher.streams import make_stream, setup_markets, to_array


def fresh() -> Engine:
    e = Engine()
    setup_markets(e)
    return e


def test_batch_equals_one_command_at_a_time() -> None:
    commands = to_array(make_stream(random.Random(11), 1500))
    one_by_one = fresh()
    singles = []
    for i in range(len(commands)):
        singles += events_of(one_by_one.execute_batch(commands[i : i + 1]))
    batched = fresh()
    events = batched.execute_batch(commands)
    assert events.dtype == EVENT_DTYPE
    assert events_of(events) == singles
    assert batched.state_hash() == one_by_one.state_hash()
    # every event names the command that produced it, in order
    assert np.all(np.diff(events["command"].astype(np.int64)) >= 0)


def test_batch_rejects_a_foreign_dtype() -> None:
    with pytest.raises(TypeError):
        fresh().execute_batch(np.zeros(3, dtype=np.int64))


def test_empty_batch_returns_no_events() -> None:
    assert len(fresh().execute_batch(new_commands(0))) == 0


def test_command_helper_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError):
        command(CommandType.PLACE, colour=1)


def test_batches_run_in_threads_without_the_gil() -> None:
    # Separate engines in separate threads must give the same result as sequential runs.
    commands = to_array(make_stream(random.Random(5), 3000))
    expected = fresh()
    expected.execute_batch(commands)
    engines = [fresh() for _ in range(4)]
    threads = [threading.Thread(target=e.execute_batch, args=(commands,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {e.state_hash() for e in engines} == {expected.state_hash()}


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_restore_mid_stream_gives_identical_future_events(seed: int) -> None:
    commands = to_array(make_stream(random.Random(seed), 3000))
    for cut in (1, 700, 1999):
        original = fresh()
        original.execute_batch(commands[:cut])
        data = original.snapshot()
        restored = Engine.from_snapshot(data)
        assert restored.state_hash() == original.state_hash()
        assert restored.snapshot() == data
        restored.validate()
        tail_a = events_of(original.execute_batch(commands[cut:]))
        tail_b = events_of(restored.execute_batch(commands[cut:]))
        assert tail_a == tail_b
        assert restored.state_hash() == original.state_hash()


def test_restore_replaces_existing_state() -> None:
    a = fresh()
    a.execute_batch(to_array(make_stream(random.Random(1), 500)))
    b = fresh()
    b.execute_batch(to_array(make_stream(random.Random(2), 500)))
    b.restore(a.snapshot())
    assert b.state_hash() == a.state_hash()


def test_calls_during_a_running_batch_raise_engine_busy() -> None:
    # A batch releases the GIL; a second thread touching the same engine must get an error,
    # never a data race.
    from relayer.matcher import EngineBusy, MatcherError

    commands = to_array(make_stream(random.Random(8), 2000))
    big = np.concatenate([commands] * 200)  # long enough to overlap with the probes below
    engine = fresh()
    done = threading.Event()

    def run() -> None:
        engine.execute_batch(big)
        done.set()

    worker = threading.Thread(target=run)
    worker.start()
    saw_busy = False
    while not done.is_set():
        try:
            engine.state_hash()
        except EngineBusy as exc:
            assert isinstance(exc, MatcherError)
            saw_busy = True
            break
    worker.join()
    assert saw_busy
    engine.validate()
