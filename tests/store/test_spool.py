"""The spool: durable, ordered, replayed once even when two threads ask, robust to a torn line
and to a full disk."""

import errno
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from catsdogs.errors import ServiceError
from catsdogs.store.spool import Spool


def rows(count: int, start: int = 0) -> list[dict]:
    return [{"request_id": f"r{i}", "n": i} for i in range(start, start + count)]


@pytest.fixture
def spool(tmp_path) -> Spool:
    return Spool(tmp_path / "spool.jsonl")


def test_rows_come_back_in_order_and_the_file_goes(spool):
    for row in rows(5):
        spool.append(row)
    got = []
    assert len(spool) == 5 and spool.replay(got.extend) == 5
    assert got == rows(5) and not spool.path.exists() and len(spool) == 0


def test_every_append_is_fsynced(spool, monkeypatch):
    synced = []
    monkeypatch.setattr("catsdogs.store.spool.os.fsync", synced.append)
    spool.append({"request_id": "a"})
    assert len(synced) == 1


def test_a_failed_write_keeps_every_row(spool):
    for row in rows(3):
        spool.append(row)

    def down(_):
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        spool.replay(down)
    got = []
    spool.replay(got.extend)
    assert got == rows(3)


def test_a_torn_last_line_neither_blocks_replay_nor_eats_the_next_row(spool):
    spool.append(rows(1)[0])
    with open(spool.path, "a", encoding="utf-8") as torn:
        torn.write('{"request_id": "half-writ')  # the process died here
    spool.append(rows(1, start=1)[0])
    got = []
    assert spool.replay(got.extend) == 2
    assert got == rows(2)


def test_two_threads_replaying_at_once_write_each_row_once(spool):
    for row in rows(50):
        spool.append(row)
    written, start = [], threading.Barrier(2)

    def replay():
        start.wait()
        spool.replay(written.extend)

    threads = [threading.Thread(target=replay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert written == rows(50)


def test_appends_during_a_replay_are_kept_for_the_next(spool):
    spool.append(rows(1)[0])
    got, late = [], threading.Thread(target=spool.append, args=(rows(1, start=1)[0],))

    def slow_write(batch):
        late.start()
        late.join(timeout=0.2)  # blocked by the replay's lock until the file is gone
        got.extend(batch)

    spool.replay(slow_write)
    late.join()
    spool.replay(got.extend)
    assert got == rows(2)


def test_another_process_appending_during_a_replay_keeps_its_row(spool):
    # The workers of `python wsgi.py --workers N` share the instance folder, hence the spool.
    spool.append(rows(1)[0])
    got = []
    late = rows(1, start=1)[0]
    append = (
        "from catsdogs.store.spool import Spool; print('ready', flush=True); "
        f"Spool({str(spool.path)!r}).append({late!r})"
    )

    def slow_write(batch):
        other = subprocess.Popen([sys.executable, "-c", append], stdout=subprocess.PIPE)
        assert other.stdout.readline() == b"ready\n"
        time.sleep(0.5)  # its append has begun by now
        assert other.poll() is None, "the other process wrote while this one replayed"
        got.append(other)
        got.extend(batch)

    spool.replay(slow_write)
    other, *replayed = got
    other.communicate(timeout=30)
    assert other.returncode == 0
    spool.replay(replayed.extend)
    assert replayed == rows(2)


def test_a_full_disk_is_storage_full_and_leaves_the_spooled_rows_whole(spool, monkeypatch):
    for row in rows(2):
        spool.append(row)
    before = spool.path.read_bytes()

    def full(_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("catsdogs.store.spool.os.fsync", full)  # written, then refused
    with pytest.raises(ServiceError) as refused:
        spool.append(rows(1, start=2)[0])
    assert refused.value.code == "storage_full"
    assert spool.path.read_bytes() == before  # no torn line left behind
    monkeypatch.undo()
    spool.append(rows(1, start=3)[0])  # space again: the next row is spooled
    got = []
    assert spool.replay(got.extend) == 3
    assert got == rows(2) + rows(1, start=3)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_device_that_refuses_every_write_is_storage_full():
    with pytest.raises(ServiceError) as refused:
        Spool(Path("/dev/full")).append(rows(1)[0])
    assert refused.value.code == "storage_full"
