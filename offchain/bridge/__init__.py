"""The cross-chain bridge's off-chain side: message encoding, validators and the relayer."""
