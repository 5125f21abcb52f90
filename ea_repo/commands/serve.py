"""``ea serve``: the web explorer (:mod:`ea_repo.web`), imported only when it runs."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from .options import AtOpt, ScenarioOpt, WorkspaceOpt, open_seen


def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on; beyond the loopback, EA_SERVE_TOKEN is required."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on (1 to 65535).")
    ] = 8080,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Browse the repository in a web browser: search, elements, the impact explorer,
    every view, the analyses' results. Read-only.

    Example: ea serve -w demo-workspace   (then open http://127.0.0.1:8080/)
    """
    from ..web.server import TOKEN_VARIABLE, check_binding
    from ..web.server import serve as run_server

    token = os.environ.get(TOKEN_VARIABLE)
    check_binding(host, token)  # before opening anything
    with open_seen(workspace, at, scenario) as repo:
        run_server(repo, host, port, token)
