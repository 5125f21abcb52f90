"""The explorer's fixtures: the sample landscape (``ea demo``) and a server over it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ea_repo.demo import build_demo
from ea_repo.repository import Repository


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, built once for the explorer's tests (they only read it)."""
    root = tmp_path_factory.mktemp("web") / "demo"
    build_demo(root)
    return root


@pytest.fixture
def demo_repo(demo_root: Path) -> Iterator[Repository]:
    repo = Repository.open(demo_root)
    yield repo
    repo.close()


@pytest.fixture
def client(demo_repo: Repository):  # type: ignore[no-untyped-def]
    from ea_repo.web.app import create_app

    return create_app(demo_repo).test_client()


@pytest.fixture
def server(demo_root: Path) -> Iterator[str]:
    """The explorer over the demo, served on a free port of the loopback: its base URL."""
    from ea_repo.web.server import make_server

    repo = Repository.open(demo_root)
    httpd = make_server(repo, "127.0.0.1", 0, None)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    repo.close()
