"""Fan-out of relayer events to WebSocket subscribers.

A subscriber is a bounded queue; a channel is a key such as ``("book", 1)`` or
``("orders", "0xMaker")``. Publishing never blocks the sequencer: a subscriber whose queue is
full is dropped (it gets a ``slow_consumer`` message when possible and must resubscribe, taking
a fresh snapshot), because silently skipping messages would break the sequence guarantee.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

Message = dict[str, Any]

SLOW_CONSUMER: Message = {
    "type": "error",
    "code": "slow_consumer",
    "message": "the subscriber fell too far behind and was dropped; resubscribe for a snapshot",
}


class Subscriber:
    """One connection's outgoing queue and the channels it listens to."""

    def __init__(self, max_queue: int = 10_000) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue(max_queue)
        self.channels: set[Hashable] = set()
        self.dropped = False


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[Hashable, set[Subscriber]] = defaultdict(set)

    def subscribe(self, subscriber: Subscriber, channel: Hashable) -> None:
        self._subscribers[channel].add(subscriber)
        subscriber.channels.add(channel)

    def unsubscribe(self, subscriber: Subscriber, channel: Hashable | None = None) -> None:
        channels = [channel] if channel is not None else list(subscriber.channels)
        for key in channels:
            self._subscribers[key].discard(subscriber)
            if not self._subscribers[key]:
                del self._subscribers[key]
            subscriber.channels.discard(key)

    def has_subscribers(self, channel: Hashable) -> bool:
        return bool(self._subscribers.get(channel))

    def publish(self, channel: Hashable, message: Message) -> None:
        for subscriber in list(self._subscribers.get(channel, ())):
            try:
                subscriber.queue.put_nowait(message)
            except asyncio.QueueFull:
                self.unsubscribe(subscriber)
                subscriber.dropped = True
                # Make room for the notice so the client learns why the stream stopped.
                while not subscriber.queue.empty():
                    subscriber.queue.get_nowait()
                subscriber.queue.put_nowait(SLOW_CONSUMER)
