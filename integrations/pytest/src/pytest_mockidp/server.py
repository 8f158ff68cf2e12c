"""A running `mockidp serve` and its /_mock control API, with the standard library only."""
from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional

STARTUP_SECONDS = 30.0


class MockIdPError(Exception):
    """The mock could not be started, or a control request was refused (status and body say why)."""

    def __init__(self, message: str, status: Optional[int] = None, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body


def find_binary(explicit: Optional[str] = None) -> str:
    """The mockidp executable: `explicit`, else $MOCKIDP_BIN, else `mockidp` on PATH."""
    candidate = explicit or os.environ.get("MOCKIDP_BIN")
    if candidate:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
        raise MockIdPError(f"MOCKIDP_BIN / --mockidp-bin names {candidate!r}, which is not an executable file")
    found = shutil.which("mockidp")
    if not found:
        raise MockIdPError("no mockidp executable: put it on PATH, or set MOCKIDP_BIN (e.g. .build/release/mockidp)")
    return found


class MockIdP:
    """`mockidp serve --port 0`, started by `start()`: its URLs, credentials and control helpers."""

    def __init__(self, binary: str, extra_args: Optional[List[str]] = None):
        self.binary = binary
        self.extra_args = list(extra_args or [])
        self.process: Optional[subprocess.Popen] = None
        self._stderr = None
        self.base_url = self.issuer = self.jwks_url = self.client_id = self.api_key = ""
        self.env: Dict[str, str] = {}

    # Life cycle

    def start(self) -> "MockIdP":
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [self.binary, "serve", "--port", "0", "--log", "off", *self.extra_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr)
        try:
            self._read_banner()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_banner(self) -> None:
        """Reads what serve prints once it listens: the first line is `listening on URL`, then
        `label: value` lines, then `export NAME=VALUE` lines for WorkOS SDKs."""
        assert self.process is not None and self.process.stdout is not None
        lines: List[str] = []
        deadline = time.monotonic() + STARTUP_SECONDS
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        buffered = b""
        try:
            # The SDK environment's last line ends what serve prints at start.
            while "WORKOS_JWKS_URL" not in self.env:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise MockIdPError(f"mockidp serve printed no address within {STARTUP_SECONDS:.0f} s{self._diagnostics(lines)}")
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    raise MockIdPError(f"mockidp serve exited before it listened (status {self.process.wait()}){self._diagnostics(lines)}")
                buffered += chunk
                *complete, buffered = buffered.split(b"\n")
                for raw in complete:
                    line = raw.decode("utf-8", "replace")
                    lines.append(line)
                    self._take(line)
        finally:
            selector.close()
        if not self.base_url:
            raise MockIdPError(f"mockidp serve's first line was not 'listening on URL'{self._diagnostics(lines)}")

    def _take(self, line: str) -> None:
        if line.startswith("listening on "):
            self.base_url = line[len("listening on "):].strip()
        elif line.startswith("export ") and "=" in line:
            name, _, value = line[len("export "):].partition("=")
            self.env[name] = value
        elif ":" in line:
            label, _, value = line.partition(":")
            field = {"client id": "client_id", "api key": "api_key", "issuer": "issuer", "jwks": "jwks_url"}.get(label.strip())
            if field:
                setattr(self, field, value.strip())

    def _diagnostics(self, lines: List[str]) -> str:
        text = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace").strip()
        printed = "\n".join(lines).strip()
        return (f"\nstdout:\n{printed}" if printed else "") + (f"\nstderr:\n{text}" if text else "")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # serve stops gracefully on SIGTERM
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> "MockIdP":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # The control API (README, "Control API")

    def request(self, method: str, path: str, body: Any = None, query: Optional[Dict[str, Any]] = None) -> Any:
        """One request to the mock; the decoded JSON answer (None for 204). A 4xx/5xx raises
        MockIdPError carrying the mock's message."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({key: value for key, value in query.items() if value is not None})
        if body is None and method in ("POST", "PUT"):
            body = {}  # the control API takes JSON bodies only (a browser form cannot post to it)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                detail: Any = json.loads(raw)
            except ValueError:
                detail = raw.decode("utf-8", "replace")
            raise MockIdPError(f"{method} {path} answered {error.code}: {detail}", status=error.code, body=detail) from None
        return json.loads(payload) if payload else None

    def mint_token(self, user: str, organization: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
        """POST /_mock/tokens: `{access_token, session_id, header, claims}`. `user` is an ID, an
        email or a fixture ref; `fields` are the other members (claims, omit, sign, expires_in, …)."""
        body: Dict[str, Any] = {"user": user, **fields}
        if organization is not None:
            body["organization"] = organization
        return self.request("POST", "/_mock/tokens", body)

    def reset(self) -> None:
        """POST /_mock/reset: back to the fixtures, original keys, no faults, empty journal."""
        self.request("POST", "/_mock/reset")

    def arm_fault(self, path: str, **fields: Any) -> Dict[str, Any]:
        """POST /_mock/faults: `path` (a `*` glob) with status/body, latency_ms or drop, method, times."""
        return self.request("POST", "/_mock/faults", {"path": path, **fields})

    def clear_faults(self) -> None:
        self.request("DELETE", "/_mock/faults")

    def journal(self, method: Optional[str] = None, path_prefix: Optional[str] = None, since: Optional[int] = None,
                flag: Optional[str] = None, limit: Optional[int] = None) -> Dict[str, Any]:
        """GET /_mock/journal: one page of what the app sent the mock (`data`, `has_more`, `next_since`)."""
        return self.request("GET", "/_mock/journal",
                            query={"method": method, "path_prefix": path_prefix, "since": since, "flag": flag, "limit": limit})

    def clear_journal(self) -> None:
        self.request("DELETE", "/_mock/journal")
