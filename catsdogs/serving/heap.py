"""glibc's heap, kept from holding on to memory the process no longer uses (elsewhere than
glibc, nothing happens)."""

import ctypes

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def fix_mmap_threshold(threshold: int = 1024 * 1024) -> None:
    """Give blocks of a megabyte or more back to the system as soon as they are freed.

    glibc raises its mmap threshold each time such a block is freed, after which decoded
    photos come from the threads' heaps and stay in the process for good: each thread then holds
    the largest photo it ever decoded (docs/deploy.md, memory sizing). A fixed threshold stops
    that.
    """
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, threshold)


def release_freed_memory() -> None:
    """Hand the heap's free pages back to the system.

    Blocks under the mmap threshold stay in glibc's heap once freed. Loading a model frees about
    as much as its session keeps, and building the app frees more: without this, a serving
    process would hold that memory for its whole life (docs/performance.md).
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
