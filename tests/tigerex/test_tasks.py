import os
import subprocess
import sys
import time

from sqlalchemy import select

from tigerex.db import make_engine, session_factory
from tigerex.models import DeployedContractRow
from tigerex.paths import project_root
from tigerex.process import spawn, stop


def _rows(url):
    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = {r.name: r.address for r in session.scalars(select(DeployedContractRow))}
    engine.dispose()
    return rows


def _env(deployed_suite, tmp_path, database_url, **extra):
    folder = tmp_path / "deployments"
    deployed_suite.deployments.save(folder / "local.json")
    return {
        **os.environ,
        "TIGEREX_DEPLOYMENTS_DIR": str(folder),
        "TIGEREX_DATABASE_URL": database_url,
        "TIGEREX_NETWORK": "local",
        **extra,
    }


def test_sync_deployments_runs_in_process_without_a_broker(
    deployed_suite, tmp_path, empty_database_url
):
    env = _env(deployed_suite, tmp_path, empty_database_url)
    env.pop("TIGEREX_BROKER_URL", None)
    code = (
        "from tigerex.tasks import sync_deployments\n"
        "r = sync_deployments.delay().get(timeout=60)\n"
        "print(r['contracts'], r['chain_id'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    count = len(deployed_suite.deployments.contracts)
    assert result.stdout.split() == [str(count), "31337"]
    assert _rows(empty_database_url) == {
        n: c.address for n, c in deployed_suite.deployments.contracts.items()
    }


def test_sync_deployments_through_redis_and_a_real_worker(
    deployed_suite, tmp_path, empty_database_url, redis_url
):
    env = _env(deployed_suite, tmp_path, empty_database_url, TIGEREX_BROKER_URL=redis_url)
    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
    worker = spawn(
        [
            sys.executable, "-m", "celery", "-A", "tigerex.celery_app", "worker",
            "--pool", "solo", "--concurrency", "1", "-Q", queue, "--loglevel", "WARNING",
        ],
        env=env, cwd=project_root(),
        stdout=(tmp_path / "worker.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        code = (
            "from tigerex.tasks import sync_deployments\n"
            f"r = sync_deployments.apply_async(queue={queue!r}).get(timeout=90)\n"
            "print(r['contracts'])\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr + (tmp_path / "worker.log").read_text()
        assert result.stdout.strip() == str(len(deployed_suite.deployments.contracts))
    finally:
        stop(worker)
    assert set(_rows(empty_database_url)) == set(deployed_suite.deployments.contracts)
