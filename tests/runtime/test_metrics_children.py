"""A replica's metrics include its child processes (a pushed bento's `bentoml serve` runs its
API workers and runners as children)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timezone

import psutil

from tui.localcloud.runtime.metrics import MetricsStore

CHILD_MB = 120
# the parent stays small; its child holds CHILD_MB and burns CPU
PARENT = f"""
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import time\\nblob = bytearray({CHILD_MB} * 1024 * 1024)\\nprint('ready', flush=True)\\n"
    "end = time.time() + 60\\nwhile time.time() < end: pass"], stdout=subprocess.PIPE)
print(child.stdout.readline().decode().strip(), flush=True)
child.wait()
"""


def test_replica_metrics_include_children_memory_and_cpu() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == b"ready"
        own_rss = psutil.Process(parent.pid).memory_info().rss
        store = MetricsStore(interval_s=0.5, retention_s=60)
        now = datetime.now(timezone.utc)
        cpu, rss = store.sample_process("uid", "replica-1", None, parent.pid, now)
        assert cpu is None  # psutil measures CPU from the second sample on
        assert rss is not None and rss >= own_rss + CHILD_MB * 1024 * 1024
        time.sleep(0.5)
        cpu, rss = store.sample_process("uid", "replica-1", None, parent.pid, now)
        # the parent only waits: the CPU seen is the busy child's
        assert cpu is not None and cpu > 50
        assert rss is not None and rss >= own_rss + CHILD_MB * 1024 * 1024
    finally:
        for proc in psutil.Process(parent.pid).children(recursive=True):
            proc.kill()
        parent.kill()
        parent.wait()
