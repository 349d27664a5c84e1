"""P2P trading, off chain: EIP-712 messages of the escrow contract (gasless instructions, agreed
settlements)."""
