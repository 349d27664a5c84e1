// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title EventEmitter
/// @notice Benchmark-only (bench/indexer): emits ERC-20-shaped `Transfer` events in bulk so the
///         indexer's backfill can be measured on a local chain. Not part of the deploy suite;
///         it holds no balances and must never be deployed anywhere that matters.
contract EventEmitter {
    /// @notice Same signature and indexing as ERC-20's, so the indexer's token handler runs.
    event Transfer(address indexed from, address indexed to, uint256 value);

    /// @notice Emits `count` mint-shaped transfers (from address(0)) to `holders` accounts.
    /// @param count Events to emit.
    /// @param seed Varies recipients and amounts between calls.
    /// @param holders Distinct recipients (>= 1): the size of the balances table.
    function emitTransfers(uint256 count, uint256 seed, uint256 holders) external {
        for (uint256 i = 0; i < count; ++i) {
            // Cannot overflow in practice: benchmark inputs are small; checked math is kept.
            address to = address(uint160(0x10000 + ((seed * 7919 + i) % holders)));
            emit Transfer(address(0), to, seed * 1_000_000 + i + 1);
        }
    }
}
