"""Earn and Launchpad, off chain: indexed read API (staking products, positions and rewards,
sales, participations, vesting schedules) and the admin commands (``tigerex earn``)."""
