"""TigerEx shared kernel: settings, chain access, the deployments registry, the database base,
the Celery app and the ``tigerex`` command line. Services live in ``relayer``, ``indexer`` and
``offchain``; this package holds only what belongs to none of them."""

__version__ = "0.1.0"
