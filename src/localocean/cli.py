"""The `localocean` command."""

from __future__ import annotations

import contextlib
import logging
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from localocean import __version__
from localocean.config import (
    DEFAULT_IMAGE_SIZE_LIMIT,
    DEFAULT_PORT,
    DEFAULT_RATE_LIMIT,
    RateLimit,
    Settings,
    default_data_dir,
    parse_size,
)

if TYPE_CHECKING:
    import asyncio
    import ssl
    from collections.abc import Callable
    from types import FrameType

cli = typer.Typer(
    help="LocalOcean: a DigitalOcean API v2 server on your own machine.",
    no_args_is_help=True,
    add_completion=False,
)


def _option(help: str, env: str) -> typer.models.OptionInfo:
    return typer.Option(help=help, envvar=f"LOCALOCEAN_{env}", show_envvar=True)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def banner(settings: Settings, url: str) -> str:
    limits = ", ".join(
        f"{count}/{ {3600: 'h', 60: 'min', 1: 's', 86400: 'd'}.get(secs, f'{secs}s') }"
        for count, secs in settings.rate_limit.windows
    )
    return "\n".join(
        [
            f"LocalOcean {__version__}: DigitalOcean API at {url}",
            f"  database   {settings.database_label}",
            f"  timing     {settings.timing}    auth: {settings.auth}    "
            f"rate limit: {limits or 'off'}",
            f"  dashboard  {url}/_localocean/ui"
            + ("?token=<control token>" if settings.control_token else ""),
            f"  doctl, Terraform:  export DIGITALOCEAN_API_URL={url}",
            f'  unmodified clients (HTTPS proxy):  eval "$(localocean env --url {url})"',
            f'  pydo:  pydo.Client(token, endpoint="{url}",',
            '         authentication_policy=HeadersPolicy({"Authorization": f"Bearer {token}"}))',
            "  (HeadersPolicy is azure.core.pipeline.policies.HeadersPolicy; Ctrl-C stops)",
        ]
    )


@cli.command()
def serve(
    host: Annotated[str, _option("Address to listen on.", "HOST")] = "127.0.0.1",
    port: Annotated[int, _option("Port to listen on; 0 picks a free one.", "PORT")] = DEFAULT_PORT,
    data_dir: Annotated[
        Path, _option("Where the SQLite database lives.", "DATA_DIR")
    ] = default_data_dir(),
    in_memory: Annotated[
        bool, _option("Keep everything in memory; gone on exit.", "IN_MEMORY")
    ] = False,
    database_url: Annotated[
        str | None, _option("SQLAlchemy URL, e.g. postgresql+psycopg://...", "DATABASE_URL")
    ] = None,
    timing: Annotated[str, _option("instant, fast, realistic or manual.", "TIMING")] = "fast",
    auth: Annotated[str, _option("open (any token) or strict (--tokens).", "AUTH")] = "open",
    tokens: Annotated[
        Path | None, _option("YAML file of tokens for --auth strict.", "TOKENS")
    ] = None,
    rate_limit: Annotated[
        str, _option("Per-token limits, e.g. 5000/h,250/min, or off.", "RATE_LIMIT")
    ] = DEFAULT_RATE_LIMIT,
    log_level: Annotated[str, _option("debug, info, warning or error.", "LOG_LEVEL")] = "info",
    access_log: Annotated[bool, _option("Log every request.", "ACCESS_LOG")] = False,
    image_url_policy: Annotated[
        str,
        _option(
            "Where image imports may connect: default (no link-local or metadata addresses) "
            "or strict (also no private or loopback addresses).",
            "IMAGE_URL_POLICY",
        ),
    ] = "default",
    image_size_limit: Annotated[
        str, _option("Largest image after decompression, e.g. 100G or 512M.", "IMAGE_SIZE_LIMIT")
    ] = DEFAULT_IMAGE_SIZE_LIMIT,
    public_ip_range: Annotated[
        str,
        _option("IPv4 network droplets' public addresses come from.", "PUBLIC_IP_RANGE"),
    ] = "198.18.0.0/15",
    control_token: Annotated[
        str | None, _option("Require this bearer token on /_localocean.", "CONTROL_TOKEN")
    ] = None,
    seed: Annotated[
        Path | None, _option("YAML or JSON document of accounts and resources to create.", "SEED")
    ] = None,
    journal_size: Annotated[
        int, _option("Requests kept in the journal (0: none).", "JOURNAL_SIZE")
    ] = 1000,
    tls: Annotated[
        bool, _option("Advertise HTTPS (served with the local CA's certificate).", "TLS")
    ] = False,
    workers: Annotated[
        int, _option("Processes serving the port (PostgreSQL only).", "WORKERS")
    ] = 1,
) -> None:
    """Start the API server."""
    try:
        settings = Settings(
            host=host,
            port=port,
            data_dir=data_dir,
            in_memory=in_memory,
            database_url=database_url,
            timing=timing,
            auth=auth,
            tokens_file=tokens,
            rate_limit=RateLimit.parse(rate_limit),
            log_level=log_level.lower(),
            image_url_policy=image_url_policy,
            image_size_limit=parse_size(image_size_limit),
            public_ipv4_range=public_ip_range,
            control_token=control_token,
            seed_file=seed,
            journal_size=journal_size,
            tls=tls,
        )
    except ValueError as exc:
        typer.echo(f"localocean: {exc}", err=True)
        raise typer.Exit(2) from exc
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        sock = _bind(settings.host, settings.port)
    except OSError as exc:
        typer.echo(f"localocean: cannot listen on {settings.host}:{settings.port}: {exc}", err=True)
        raise typer.Exit(1) from exc

    import dataclasses

    # With --port 0 the address is known only now; kubeconfigs name it.
    settings = dataclasses.replace(settings, port=sock.getsockname()[1])
    if workers != 1:
        _serve_workers(settings, sock, workers, access_log)
        return
    _serve_one(settings, sock, access_log, show_banner=True)


def _serve_workers(settings: Settings, sock: socket.socket, workers: int, access_log: bool) -> None:
    """N processes accepting on one socket, over one PostgreSQL database. The parent prepares
    the database once (schema, seed, tokens), then starts the workers and keeps them running:
    one that dies is replaced; SIGTERM or Ctrl-C stops them all."""
    import dataclasses
    import os
    import signal

    if workers < 1:
        typer.echo("localocean: --workers must be 1 or more", err=True)
        raise typer.Exit(2)
    if not settings.resolved_database_url.startswith("postgresql"):
        typer.echo(
            "localocean: --workers needs --database-url (PostgreSQL): SQLite is one process's "
            "database; run one process on SQLite",
            err=True,
        )
        raise typer.Exit(2)
    from localocean.app import build_services
    from localocean.areas import AREAS

    try:
        prepared = build_services(settings, AREAS)
    except ValueError as exc:
        typer.echo(f"localocean: {exc}", err=True)
        raise typer.Exit(2) from exc
    prepared.db.dispose()  # the workers connect on their own; nothing crosses the fork
    each = dataclasses.replace(settings, seed_file=None)
    running: dict[int, int] = {}
    stopping = False

    def start(number: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for name in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(name, signal.SIG_DFL)
                _serve_one(each, sock, access_log, show_banner=number == 0)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        running[pid] = number

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(running):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    for number in range(workers):
        start(number)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while running:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        number = running.pop(pid, -1)
        if number >= 0 and not stopping:
            logging.getLogger("localocean").warning(
                "worker %d (pid %d) exited (status %d); starting another", number, pid, status
            )
            start(number)


def _serve_one(
    settings: Settings, sock: socket.socket, access_log: bool, show_banner: bool
) -> None:
    import uvicorn

    from localocean.app import create, server_names, virtual_hosts

    try:
        app, services = create(settings)
    except ValueError as exc:
        typer.echo(f"localocean: {exc}", err=True)
        raise typer.Exit(2) from exc
    from functools import cache

    from localocean.listener import Listener, serve_with_listener
    from localocean.tls import LocalCA

    bound_port = sock.getsockname()[1]
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"{'https' if settings.tls else 'http'}://{shown_host}:{bound_port}"

    @cache
    def tls_context() -> ssl.SSLContext:
        context = LocalCA(settings.data_dir).server_context([settings.host])
        context.sni_callback = server_names(services)
        return context

    if settings.tls:
        tls_context()
    local_hosts = {"localhost", "127.0.0.1", "::1", settings.host}

    def listener(
        listening: socket.socket, protocol_factory: Callable[[], asyncio.Protocol]
    ) -> Listener:
        return Listener(
            listening,
            protocol_factory,
            tls_context,
            local_hosts,
            tuple(virtual_hosts(services.areas)),
        )

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await serve_with_listener(self, listener)(sockets)
            if not self.should_exit and show_banner:
                print(banner(settings, url), flush=True)

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # Connections idle in a client's pool are cut at once: closing a TLS one waits (up
            # to asyncio's 30 s) for a goodbye such a client never sends. Those with a request
            # under way finish it, as uvicorn has them do.
            for connection in list(self.server_state.connections):
                cycle = getattr(connection, "cycle", None)
                if cycle is None or cycle.response_complete:
                    connection.transport.abort()
            await super().shutdown(sockets)

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            super().handle_exit(sig, frame)
            services.stopping = True  # the dashboard's event streams end
            # uvicorn re-raises the signal after its graceful shutdown; a clean stop exits 0.
            self._captured_signals.clear()

    config = uvicorn.Config(
        app,
        log_level=settings.log_level,
        access_log=access_log,
        lifespan="on",
        server_header=False,
    )
    Server(config).run(sockets=[sock])


DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
UrlOption = Annotated[str, _option("URL of the running LocalOcean.", "URL")]
TokenOption = Annotated[
    str | None, _option("The server's --control-token, if it has one.", "CONTROL_TOKEN")
]


def _call(
    url: str,
    token: str | None,
    method: str,
    path: str,
    *,
    json: object = None,
    content: bytes | None = None,
) -> object:
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.request(
            method,
            f"{url.rstrip('/')}/_localocean{path}",
            headers=headers,
            timeout=120,
            json=json,
            content=content,
        )
    except httpx.HTTPError as exc:
        typer.echo(f"localocean: cannot reach {url}: {exc}", err=True)
        raise typer.Exit(1) from exc
    if response.status_code >= 400:
        try:
            message = response.json().get("message", response.text)
        except ValueError:
            message = response.text
        typer.echo(f"localocean: {response.status_code}: {message}", err=True)
        raise typer.Exit(1)
    return response.json() if response.content else None


def parse_duration(text: str) -> float:
    """Seconds from `600`, `90s`, `10m`, `1h30m`, `2d`."""
    import re

    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([dhms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise typer.BadParameter(f"{text!r} is not a duration such as 90s, 10m or 1h30m")
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(float(number) * units[unit] for number, unit in parts)


@cli.command()
def status(url: UrlOption = DEFAULT_URL, control_token: TokenOption = None) -> None:
    """Show what a running server holds, per account."""
    from rich.console import Console
    from rich.table import Table

    state = _call(url, control_token, "GET", "/status")
    assert isinstance(state, dict)
    table = Table(
        title=f"LocalOcean at {url}  (clock {state['clock']['now']}, "
        f"{state['clock']['pending']} pending)"
    )
    columns = ["account", "email", "images", "clusters", "nodes", "vpcs", "tags", "actions"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("account", "email") else "right")
    for account in state["accounts"]:
        table.add_row(*(str(account[column]) for column in columns))
    console = Console()
    if not console.is_terminal:  # piped: no terminal width to fit, keep names whole
        console = Console(width=200)
    console.print(table)


@cli.command()
def reset(
    url: UrlOption = DEFAULT_URL,
    control_token: TokenOption = None,
    account: Annotated[str | None, typer.Option(help="Only this account (name or uuid).")] = None,
) -> None:
    """Remove everything (or one account's resources) from a running server."""
    result = _call(url, control_token, "POST", "/reset", json={"account": account})
    assert isinstance(result, dict)
    typer.echo(f"reset {result['reset']}")


@cli.command("export")
def export_state(
    file: Annotated[Path, typer.Argument(help="Where to write the state (JSON).")],
    url: UrlOption = DEFAULT_URL,
    control_token: TokenOption = None,
) -> None:
    """Save a running server's whole state to a file."""
    import json

    document = _call(url, control_token, "GET", "/state")
    file.write_text(json.dumps(document, indent=1))
    typer.echo(f"exported to {file}")


@cli.command("import")
def import_state(
    file: Annotated[Path, typer.Argument(help="A file written by `localocean export`.")],
    url: UrlOption = DEFAULT_URL,
    control_token: TokenOption = None,
) -> None:
    """Replace a running server's state with one saved by `localocean export`."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        typer.echo(f"localocean: cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from exc
    result = _call(url, control_token, "PUT", "/state", content=content)
    assert isinstance(result, dict)
    typer.echo(f"imported {sum(result['loaded'].values())} rows from {file}")


@cli.command()
def advance(
    duration: Annotated[str, typer.Argument(help="How far: 600, 90s, 10m, 1h30m, 2d.")],
    url: UrlOption = DEFAULT_URL,
    control_token: TokenOption = None,
) -> None:
    """Move a running server's clock forward, applying everything that falls due."""
    seconds = parse_duration(duration)
    result = _call(url, control_token, "POST", "/clock/advance", json={"seconds": seconds})
    assert isinstance(result, dict)
    typer.echo(f"now {result['now']}: {result['applied']} applied, {result['pending']} pending")


DataDirOption = Annotated[Path, _option("LocalOcean's data directory.", "DATA_DIR")]


@cli.command()
def ca(data_dir: DataDirOption = default_data_dir()) -> None:
    """Print the path of LocalOcean's CA certificate (created on first use)."""
    from localocean.tls import LocalCA

    typer.echo(LocalCA(data_dir).ensure().cert_path)


@cli.command()
def env(
    url: UrlOption = DEFAULT_URL,
    data_dir: DataDirOption = default_data_dir(),
    token: Annotated[str, typer.Option(help="The example access token to export.")] = (
        "dop_v1_localocean"
    ),
) -> None:
    """Print the shell lines that point every DigitalOcean client at LocalOcean:
    eval "$(localocean env)"."""
    import shlex

    from localocean.tls import LocalCA

    authority = LocalCA(data_dir).ensure()
    proxy = url.replace("https://", "http://", 1)
    for name, value in (
        ("HTTPS_PROXY", proxy),
        ("https_proxy", proxy),
        ("REQUESTS_CA_BUNDLE", str(authority.bundle_path)),
        ("SSL_CERT_FILE", str(authority.bundle_path)),
        ("CURL_CA_BUNDLE", str(authority.bundle_path)),
        ("NODE_EXTRA_CA_CERTS", str(authority.cert_path)),
        ("DIGITALOCEAN_API_URL", url),
        ("DIGITALOCEAN_ACCESS_TOKEN", token),
    ):
        typer.echo(f"export {name}={shlex.quote(value)}")


db_cli = typer.Typer(help="The database's schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


@db_cli.command("upgrade")
def db_upgrade(
    data_dir: Annotated[
        Path, _option("Where the SQLite database lives.", "DATA_DIR")
    ] = default_data_dir(),
    database_url: Annotated[
        str | None, _option("SQLAlchemy URL, e.g. postgresql+psycopg://...", "DATABASE_URL")
    ] = None,
) -> None:
    """Create or migrate the database's schema to this version's, and exit. Safe to run while
    other processes start: they take turns."""
    from localocean.app import schema
    from localocean.areas import AREAS
    from localocean.core.db import SCHEMA_REVISION, Database

    settings = Settings(data_dir=data_dir, database_url=database_url)
    db = Database(settings.resolved_database_url)
    try:
        before = db.migrate(schema(AREAS))
    finally:
        db.dispose()
    if before is None:
        typer.echo(f"{settings.database_label}: schema already at revision {SCHEMA_REVISION}")
    else:
        typer.echo(
            f"{settings.database_label}: schema at revision {SCHEMA_REVISION} "
            f"(was {before or 'empty'})"
        )


@cli.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    cli(prog_name="localocean")


if __name__ == "__main__":
    main()
