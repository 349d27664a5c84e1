"""Chain indexer: every contract event into SQL, reorg-safe (see ../shared/ARCHITECTURE.md)."""
