"""The `localocean` command."""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path
from typing import Annotated

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

cli = typer.Typer(
    help="LocalOcean: a DigitalOcean API v2 server on your own machine.",
    no_args_is_help=True,
    add_completion=False,
)


def _option(help: str, env: str, **kwargs: object) -> typer.models.OptionInfo:
    return typer.Option(help=help, envvar=f"LOCALOCEAN_{env}", show_envvar=True, **kwargs)


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
            f"  doctl, Terraform:  export DIGITALOCEAN_API_URL={url}",
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

    import uvicorn

    from localocean.app import create_app

    try:
        app = create_app(settings)
    except ValueError as exc:
        typer.echo(f"localocean: {exc}", err=True)
        raise typer.Exit(2) from exc
    bound_port = sock.getsockname()[1]
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{shown_host}:{bound_port}"

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:
                print(banner(settings, url), flush=True)

        def handle_exit(self, sig: int, frame: object) -> None:
            super().handle_exit(sig, frame)  # type: ignore[arg-type]
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


@cli.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    cli(prog_name="localocean")


if __name__ == "__main__":
    sys.exit(main())
