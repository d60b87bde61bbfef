"""A lean HTTP/1.1 client for load generation: it shares the cores with the server, so it must
cost little CPU per request (docs/performance.md compares it with requests and http.client).

Each worker keeps one keep-alive connection and, like curl and browsers, sends every upload with a
fresh multipart boundary. It reads responses framed by Content-Length, which is what the service
sends; anything else closes the connection and counts as a failure.
"""

import secrets
import socket
import time
from urllib.parse import urlsplit

HEADER_END = b"\r\n\r\n"


class UploadClient:
    """POST one photo as multipart field `file` over a persistent connection."""

    def __init__(self, url: str, token: str, timeout: float = 30):
        parts = urlsplit(url)
        self.address, self.timeout = (parts.hostname, parts.port), timeout
        self.host = parts.netloc
        self.authorization = f"Bearer {token}"
        self.sock = None

    def post(self, path: str, photo: bytes, filename: str = "photo.jpg") -> tuple[float, int]:
        """Send the photo; return (milliseconds to the full response, status code or 0)."""
        boundary = secrets.token_hex(16)
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: {self.authorization}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(head) + len(photo) + len(tail)}\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        try:
            if self.sock is None:
                self.sock = socket.create_connection(self.address, self.timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.sendall(b"".join((request, head, photo, tail)))
            status = self._read_response()
        except (OSError, ValueError, LookupError):  # refused, reset, or not HTTP we can frame
            self.close()
            status = 0
        return (time.perf_counter() - started) * 1000, status

    def _read_response(self) -> int:
        buffer = b""
        while HEADER_END not in buffer:
            buffer += self._receive()
        head, _, body = buffer.partition(HEADER_END)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict(line.lower().split(":", 1) for line in lines[1:])
        length = int(headers["content-length"])
        while len(body) < length:
            body += self._receive()
        if headers.get("connection", "").strip() == "close":
            self.close()
        return status

    def _receive(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def __enter__(self) -> "UploadClient":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
