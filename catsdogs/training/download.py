"""Fetch the public PetImages archive (`python -m catsdogs.training train --download DIR`)."""

from pathlib import Path

PUBLIC_ARCHIVE_URL = (
    "https://download.microsoft.com/download/3/E/1/"
    "3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip"
)


def download(destination: Path, url: str = PUBLIC_ARCHIVE_URL) -> Path:
    """Fetch the public Microsoft archive with a progress bar; keep an existing copy."""
    import requests

    target = destination / Path(url).name
    if target.exists():
        return target
    destination.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with requests.get(url, stream=True, timeout=30) as response:
        response.raise_for_status()
        total = int(response.headers.get("Content-Length", 0))
        done = 0
        with open(partial, "wb") as out:
            for chunk in response.iter_content(chunk_size=1 << 20):
                out.write(chunk)
                done += len(chunk)
                _progress(done, total)
    print()
    partial.rename(target)
    return target


def _progress(done: int, total: int) -> None:
    if total:
        filled = int(40 * done / total)
        print(f"\r[{'#' * filled}{'.' * (40 - filled)}] {done / total:6.1%}", end="", flush=True)
    else:
        print(f"\r{done / 1e6:8.1f} MB", end="", flush=True)
