"""Non-custodial order-book relayer and the compiled matching engine (relayer.matcher)."""
