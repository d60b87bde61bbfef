"""What a person typed or their browser sent, made fit to store: file names and comments."""

import unicodedata


def clean_filename(name: str | None) -> str | None:
    """Keep only the last path part, printable, at most 255 characters."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return printable[:255] or None


def clean_comment(text: str | None) -> str | None:
    """Drop control characters and lone surrogates (databases refuse them); keep line breaks."""
    if not text:
        return None
    kept = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return kept.strip() or None
