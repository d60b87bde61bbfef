"""Failures the services report to their callers: a short code and a plain sentence.

No HTTP here: `catsdogs.api.errors` maps codes to status codes, the pages show the sentence.
"""


class ServiceError(Exception):
    """An expected failure: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message
