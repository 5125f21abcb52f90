"""Where the explorer may listen, and its server: Werkzeug's threaded WSGI server.

The loopback needs nothing; any other address needs a token (``EA_SERVE_TOKEN``), which
every request must then carry. The token is never printed or logged: the request log
leaves out query strings, where ``?token=`` would be.
"""

from __future__ import annotations

import ipaddress
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..repository import Repository

TOKEN_VARIABLE = "EA_SERVE_TOKEN"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine's loopback only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to listen on ``host`` beyond the loopback without a token (ValidationError)."""
    if token is not None and not token.strip():
        raise ValidationError(f"{TOKEN_VARIABLE} is empty", hint="set it to a long random secret")
    if not is_loopback(host) and token is None:
        raise ValidationError(
            f"listening on {host} needs a token: set {TOKEN_VARIABLE}",
            hint=f"e.g. export {TOKEN_VARIABLE}=$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'); or keep the default --host 127.0.0.1",
        )


def make_server(repo: Repository, host: str, port: int, token: str | None) -> Any:
    """The explorer's server over ``repo`` on ``host:port`` (not yet serving)."""
    from werkzeug.serving import WSGIRequestHandler
    from werkzeug.serving import make_server as werkzeug_server

    from .app import create_app

    check_binding(host, token)

    class Handler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = urlsplit(self.path).path  # never the query: ?token= may be in it
            self.log("info", '"%s %s" %s %s', self.command, path, code, size)

    app = create_app(repo, token=token, local=is_loopback(host) and token is None)
    return werkzeug_server(host, port, app, threaded=True, request_handler=Handler)


def serve(repo: Repository, host: str, port: int, token: str | None) -> None:
    """Serve the explorer until interrupted, saying where and whether a token is required."""
    server = make_server(repo, host, port, token)
    shown = f"[{host}]" if ":" in host else host
    print(f"ea serve: http://{shown}:{server.server_port}/ (read-only; Ctrl-C stops)", file=sys.stderr)
    if token is not None:
        print(
            f"a token is required ({TOKEN_VARIABLE}): send it as `Authorization: Bearer …`, "
            "or open the page once with ?token=… (kept in a cookie)",
            file=sys.stderr,
        )
    if repo.seen_as:
        print(f"showing {repo.seen_as}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
