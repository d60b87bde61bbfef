"""The heap hands freed memory back to the system (glibc)."""

import subprocess
import sys

import pytest

from catsdogs.serving import heap

FREED_IN_HOLES = """
from catsdogs.serving import heap

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

# 200 MB in blocks under glibc's mmap threshold, then every other one freed: holes inside the
# heap, which glibc does not give back by itself as it does for the heap's top.
blocks = [bytearray(100_000) for _ in range(2_000)]
del blocks[::2]
held = rss_mb()
heap.release_freed_memory()
print(held, rss_mb())
"""


@pytest.mark.skipif(heap._libc() is None, reason="not glibc: nothing to release")
def test_memory_freed_inside_the_heap_goes_back_to_the_system():
    run = subprocess.run(
        [sys.executable, "-c", FREED_IN_HOLES], capture_output=True, text=True, check=True
    )
    held, released = map(float, run.stdout.split())
    assert held - released > 80, (held, released)  # of the 100 MB freed
