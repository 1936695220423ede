"""A replica's metrics include its child processes (a pushed bento's `bentoml serve` runs its
API workers and runners as children)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timezone

import psutil

from tui.localcloud.runtime.metrics import MetricsStore, ProcessTree, process_tree

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
        # the parent only waits (~0%): the CPU seen is the busy child's, however much of a core
        # a loaded machine gives it (42% once on CI, beside two test workers)
        assert cpu is not None and cpu > 15
        assert rss is not None and rss >= own_rss + CHILD_MB * 1024 * 1024
    finally:
        for proc in psutil.Process(parent.pid).children(recursive=True):
            proc.kill()
        parent.kill()
        parent.wait()


def test_one_process_tree_finds_every_descendant_once() -> None:
    """The tree a metrics round reads once: a grandchild is found through its parent, a pid
    listed under two parents (reused while /proc was read) once, and a cycle ends."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT.replace(str(CHILD_MB), "1")],
                              stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == b"ready"
        tree = process_tree()
        child = psutil.Process(parent.pid).children()
        assert len(child) == 1 and tree.descendants(parent.pid) == [child[0].pid]
        mine = tree.descendants(psutil.Process().pid)
        assert parent.pid in mine and child[0].pid in mine  # the grandchild, through its parent
    finally:
        for proc in psutil.Process(parent.pid).children(recursive=True):
            proc.kill()
        parent.kill()
        parent.wait()
    odd = ProcessTree({1: [2, 3], 2: [4, 1], 3: [4], 4: [2]})
    assert sorted(odd.descendants(1)) == [2, 3, 4]
    assert odd.descendants(5) == []
