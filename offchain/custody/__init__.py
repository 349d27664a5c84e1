"""Multisig custody, off chain: typed data for any EIP-712 signer, signature packing, and (later)
the propose/sign/collect/execute flow."""
