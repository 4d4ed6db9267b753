"""``serve`` and ``serve token add|revoke``: the collection server and its tokens."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from phusong.i18n import t

from ._common import app, console

serve_app = typer.Typer(help="The collection server: probes send their readings, planners "
                             "read the latest estimate.", invoke_without_command=True)
token_app = typer.Typer(help="Tokens of the probes and planners.", no_args_is_help=True)
serve_app.add_typer(token_app, name="token")
app.add_typer(serve_app, name="serve")
StoreOpt = typer.Option(..., "--store", help="Central readings store (.gpkg).")


@serve_app.callback()
def serve(
    ctx: typer.Context,
    store: Optional[Path] = typer.Option(None, "--store", help="Central readings store (.gpkg), created if needed."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (behind a TLS reverse proxy)."),
    port: int = typer.Option(8750, "--port", min=1, max=65535, help="Port to listen on."),
    estimates: Optional[Path] = typer.Option(None, "--estimates", help="Estimate folder served to planners."),
    database: Optional[str] = typer.Option(None, "--database", help="postgresql://… : store the readings in PostgreSQL/PostGIS (many writers); --store then names the tokens file."),
) -> None:
    """Run the collection server (HTTP; its OpenAPI spec at /openapi.json)."""
    if ctx.invoked_subcommand is not None:
        return
    if store is None:
        raise typer.BadParameter(t("error.missing_option", option="--store"), param_hint="--store")
    try:
        import uvicorn

        from phusong.server.app import create_app
    except ImportError:
        raise typer.BadParameter(t("error.server_extra"), param_hint="serve") from None

    console.print(t("serve.listening", host=host, port=port, store=store), markup=False)
    uvicorn.run(create_app(store, estimates, database=database), host=host, port=port,
                log_level="info",
                access_log=True)


@token_app.command("add")
def token_add(
    probe_id: str = typer.Argument(..., metavar="PROBE_ID", help="The probe's id (or a planner's name with --planner)."),
    store: Path = StoreOpt,
    planner: bool = typer.Option(False, "--planner", help="A read-only token for a planner."),
) -> None:
    """Issue a token (its last line); only its hash is kept. A new token replaces the old."""
    from phusong.server.tokens import PLANNER, PROBE, TokenBook

    token = TokenBook(store).add(probe_id, PLANNER if planner else PROBE)
    console.print(t("serve.token_added", name=probe_id), markup=False)
    print(token)


@token_app.command("revoke")
def token_revoke(
    probe_id: str = typer.Argument(..., metavar="PROBE_ID", help="The probe's id (or a planner's name)."),
    store: Path = StoreOpt,
) -> None:
    """Revoke a token: the server refuses it at once."""
    from phusong.server.tokens import TokenBook

    if not TokenBook(store).revoke(probe_id):
        raise typer.BadParameter(t("serve.no_token", name=probe_id), param_hint="PROBE_ID")
    console.print(t("serve.token_revoked", name=probe_id), markup=False)
