"""A lean HTTP client for load generation: the client shares the cores with the server, so it
must cost little CPU per request.

Each worker keeps one keep-alive connection (stdlib `http.client`) and, like curl and requests,
sends every upload with a fresh multipart boundary.
"""

import http.client
import secrets
import time
from urllib.parse import urlsplit


class UploadClient:
    """POST one photo as multipart field `file` over a persistent connection."""

    def __init__(self, url: str, token: str, timeout: float = 30):
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.authorization = f"Bearer {token}"
        self.connection = None

    def post(self, path: str, photo: bytes, filename: str = "photo.jpg") -> tuple[float, int]:
        """Send the photo; return (milliseconds to the full response, status code or 0)."""
        boundary = secrets.token_hex(16)
        body = b"".join(
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n".encode(),
                photo,
                f"\r\n--{boundary}--\r\n".encode(),
            )
        )
        headers = {
            "Authorization": self.authorization,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, self.timeout)
            self.connection.request("POST", path, body, headers)
            response = self.connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.close()
            status = 0
        return (time.perf_counter() - started) * 1000, status

    def __enter__(self) -> "UploadClient":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
