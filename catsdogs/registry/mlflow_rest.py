"""MLflow's documented REST API over `requests`: calls, errors and the artifacts it serves.

The app talks to MLflow without the mlflow package (see catsdogs/registry/client.py for why); this
module is the whole transport, so every failure comes out as one `RegistryError`.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests

API = "/api/2.0/mlflow/"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
CHUNK = 1 << 20
# MLflow's error codes that callers tell apart
MISSING = "RESOURCE_DOES_NOT_EXIST"
EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID = "INVALID_PARAMETER_VALUE"


class RegistryError(Exception):
    """MLflow is unreachable, too slow, refused the call or answered something unreadable.

    `code` is MLflow's error code (e.g. RESOURCE_DOES_NOT_EXIST) or None; `status` the HTTP one.
    """

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code, self.status = code, status


def shown(uri: str) -> str:
    """The URI without a password, for messages and logs."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


class Rest:
    """One MLflow tracking server: JSON calls by endpoint name, artifact upload and download."""

    def __init__(
        self, tracking_uri: str, timeout: float = 5.0, environ: Mapping[str, str] | None = None
    ):
        self.base = tracking_uri.rstrip("/")
        self.timeout = timeout
        # A pool of kept-alive connections; requests' Session is shared by the app's threads.
        self.session = requests.Session()
        credentials(self.session, os.environ if environ is None else environ)
        # Only the tracking server's own host is asked, even when an answer redirects elsewhere.
        self.session.hooks["response"].append(self._same_host_redirects)

    def call(self, method: str, endpoint: str, **body: object) -> dict:
        """`method` API/endpoint with `body` (the query string of a GET); the JSON answer."""
        where = "params" if method == "GET" else "json"
        response = self._send(method, self.base + API + endpoint, endpoint, **{where: body})
        try:
            answer = response.json()
        except ValueError:
            raise RegistryError(f"MLflow answered {endpoint} with something not JSON") from None
        if not isinstance(answer, dict):
            raise RegistryError(f"MLflow answered {endpoint} with {type(answer).__name__}")
        return answer

    def upload(self, artifact_uri: str, name: str, path: Path) -> None:
        """Store the file `path` as `name` under `artifact_uri` (proxied by the server)."""
        with path.open("rb") as data:
            self._send("PUT", self._artifact_url(artifact_uri, name), f"upload {name}", data=data)

    def list_artifacts(self, artifact_uri: str) -> list[str]:
        """Names of the files directly under `artifact_uri`."""
        base, path = self._artifact_location(artifact_uri)
        response = self._send("GET", base + ARTIFACTS, "list artifacts", params={"path": path})
        try:
            files = response.json().get("files", [])
            return [f["path"].rsplit("/", 1)[-1] for f in files if not f.get("is_dir")]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RegistryError("MLflow listed the artifacts in an unreadable form") from None

    def download(self, artifact_uri: str, name: str, target: Path) -> None:
        """Write the artifact `name` to `target`, whole or not at all."""
        # Named by process: the workers of one service share its model cache.
        partial = target.with_name(f"{target.name}.{os.getpid()}.part")
        url = self._artifact_url(artifact_uri, name)
        with self._send("GET", url, f"download {name}", stream=True) as response:
            try:
                with partial.open("wb") as out:
                    for chunk in response.iter_content(CHUNK):
                        out.write(chunk)
            except requests.RequestException as error:
                partial.unlink(missing_ok=True)
                raise RegistryError(
                    f"download of {name} broke off: {type(error).__name__}"
                ) from None
        os.replace(partial, target)

    def _artifact_url(self, artifact_uri: str, name: str) -> str:
        base, path = self._artifact_location(artifact_uri)
        return f"{base}{ARTIFACTS}/{quote(path + '/' + name if path else name)}"

    def _artifact_location(self, artifact_uri: str) -> tuple[str, str]:
        """(server URL, path) of an `mlflow-artifacts:` location, the only kind it serves."""
        parts = urlsplit(artifact_uri)
        if parts.scheme != "mlflow-artifacts":
            raise RegistryError(
                f"artifacts at {artifact_uri} are not served by the MLflow server "
                "(start it with --serve-artifacts)"
            )
        if parts.netloc and not same_host(self.base, f"//{parts.netloc}"):
            raise RegistryError(
                f"MLflow placed artifacts on another host ({shown(artifact_uri)}): only "
                f"{shown(self.base)} itself is asked for them"
            )
        return self.base, parts.path.strip("/")

    def _same_host_redirects(self, response: requests.Response, **_: Any) -> None:
        target = response.headers.get("Location") if response.is_redirect else None
        if target and not same_host(self.base, urljoin(response.url, target)):
            response.close()
            raise RegistryError(
                f"MLflow at {shown(self.base)} redirected to another host ({shown(target)})"
            )

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        try:
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.ConnectionError as error:
                # A kept-alive connection the server closed as this request went out (its idle
                # timeout, e.g. uvicorn's 5 s, met a caller's poll): a read is asked again once,
                # on a new connection; a write might have landed, so it is not.
                if method != "GET" or isinstance(error, requests.Timeout):
                    raise
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise RegistryError(
                f"MLflow at {shown(self.base)} did not answer {what} within {self.timeout} s"
            ) from None
        except requests.RequestException as error:
            raise RegistryError(
                f"cannot reach MLflow at {shown(self.base)} ({what}): {type(error).__name__}"
            ) from None
        if response.status_code >= 400:
            raise _refusal(response, what)
        return response


def same_host(base: str, other: str) -> bool:
    """Whether URL `other` names the host and port of `base` (the scheme's port by default)."""
    ours, theirs = urlsplit(base), urlsplit(other, scheme=urlsplit(base).scheme)
    default = {"http": 80, "https": 443}
    try:
        ports = [u.port or default.get(u.scheme) for u in (ours, theirs)]
    except ValueError:  # a port that is no number
        return False
    return (ours.hostname or "") == (theirs.hostname or "") and ports[0] == ports[1]


def credentials(session: requests.Session, environ: Mapping[str, str]) -> None:
    """Sign the session's requests as the mlflow client does: MLFLOW_TRACKING_TOKEN (a bearer
    token), or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (basic auth);
    MLFLOW_TRACKING_SERVER_CERT_PATH trusts a private CA for https."""
    token = environ.get("MLFLOW_TRACKING_TOKEN")
    user, password = (
        environ.get("MLFLOW_TRACKING_USERNAME"),
        environ.get("MLFLOW_TRACKING_PASSWORD"),
    )
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    elif user and password:
        session.auth = (user, password)
    if environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH"):
        session.verify = environ["MLFLOW_TRACKING_SERVER_CERT_PATH"]


def required(answer: dict, key: str) -> Any:  # a JSON value
    """answer[key], or a RegistryError naming what MLflow left out."""
    try:
        return answer[key]
    except (KeyError, TypeError):
        raise RegistryError(f"MLflow's answer has no {key!r}") from None


def _refusal(response: requests.Response, what: str) -> RegistryError:
    """MLflow's own {"error_code", "message"} when it sent one, else the HTTP status."""
    try:
        body = response.json()
        code, message = str(body["error_code"]), str(body.get("message", ""))
    except (ValueError, KeyError, TypeError):
        code, message = None, response.reason or ""
    response.close()
    detail = f"{code}: {message}" if code else f"{message}".strip()
    return RegistryError(
        f"MLflow refused {what} (HTTP {response.status_code}) {detail}".strip(),
        code=code,
        status=response.status_code,
    )
