"""Plays the drug-trace story on a fresh embedded dev chain and prints what happens.

Usage: scripts/demo [--units N] [--in-process] [--v2] [--out DIR] [--keep] [--serve] [--web-port N]

By default the dev chain is served over HTTP on 127.0.0.1 (a free port) and the SDK talks to it
exactly as to a real node; ``--in-process`` skips HTTP. The story itself is
``fisco_drugtrace.drugtrace.story.play_story`` (also run by tests/e2e/test_story.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, serve
from fisco_drugtrace.drugtrace.audit.report import report_to_json
from fisco_drugtrace.drugtrace.story import ACTORS, play_story
from fisco_drugtrace.types import Dialect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000, help="unit codes in the batch (default 10000)")
    parser.add_argument("--in-process", action="store_true", help="no HTTP: call the dev chain directly")
    parser.add_argument("--v2", action="store_true", help="speak the FISCO BCOS 2.x dialect")
    parser.add_argument("--out", type=Path, help="also write report.md and report.json here")
    parser.add_argument("--keep", action="store_true", help="keep the local state (address book, codes, index)")
    parser.add_argument("--serve", action="store_true",
                        help="keep the web pages (verify, supervision board) up until Ctrl-C")
    parser.add_argument("--web-port", type=int, default=0, help="port of the web pages (default: a free one)")
    args = parser.parse_args(argv)
    console = Console()
    dialect = Dialect.V2 if args.v2 else Dialect.V3
    chain = DevChain(DevChainConfig(dialect=dialect))
    server = None
    if args.in_process:
        settings = Settings(dialect=dialect, group=1 if args.v2 else "group0")
        client = connect(settings, handler=chain.handle_raw)
        where = "in-process"
    else:
        server = serve(chain)
        settings = Settings(dialect=dialect, urls=(server.url,), group=1 if args.v2 else "group0")
        client = connect(settings)
        where = server.url
    console.print(f"[bold]Drug-trace demo[/] — embedded FISCO BCOS {dialect.value} dev chain at {where}")
    started = time.perf_counter()
    step = 0

    def narrate(title: str, detail: str) -> None:
        nonlocal step
        step += 1
        console.print(f"[cyan]{step:>2}.[/] [bold]{title}[/] [dim]({time.perf_counter() - started:.2f} s)[/]")
        if detail:
            console.print(f"    {detail}")

    progress = Progress(TextColumn("    {task.description}"), BarColumn(), MofNCompleteColumn(), transient=True,
                        console=console)
    tasks: dict[str, int] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total or None)
        progress.update(tasks[stage], completed=done, total=total or None)

    home = Path(tempfile.mkdtemp(prefix="drugtrace-demo-"))
    try:
        with progress:
            result = play_story(client, [LocalSigner(k) for k in dev_keypairs(len(ACTORS) + 1)], home,
                                units=args.units, narrate=narrate, on_progress=on_progress)
        console.print()
        console.print(Markdown(result.report_markdown))
        if args.out is not None and result.report is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "report.md").write_text(result.report_markdown, encoding="utf-8")
            (args.out / "report.json").write_text(report_to_json(result.report), encoding="utf-8")
            console.print(f"Report written to {args.out}/report.md and report.json")
        _web(console, client, home, result, port=args.web_port, keep_serving=args.serve)
        kept = f"; local state kept in {home}" if args.keep else ""
        console.print(f"[green]Done[/] in {time.perf_counter() - started:.2f} s{kept}")
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
        client.close()
        if server is not None:
            server.stop()
        chain.close()
    return 0


def _web(console: Console, client: object, home: Path, result: object, *, port: int, keep_serving: bool) -> None:
    """Serve the story's deployment with ``fisco-drugtrace serve``'s application and print its URLs."""
    import threading

    import requests
    import uvicorn

    from fisco_drugtrace.web import Backend, create_app

    backend = Backend(client, home, sync_interval=2.0)
    token, _ = backend.tokens.issue("demo-inspector", "read")
    server = uvicorn.Server(uvicorn.Config(create_app(backend), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        console.print("[red]the web pages did not start[/]")
        return
    bound = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{bound}"
    code = result.dispensed_codes[0]  # type: ignore[attr-defined]
    page = requests.get(f"{base}/v/{code}?lang=en", timeout=30)
    verdict = page.text.split('data-verdict="', 1)[1].split('"', 1)[0] if 'data-verdict="' in page.text else "?"
    console.print()
    console.print("[bold]Web pages[/] (fisco-drugtrace serve)")
    console.print(f"    a patient scans a box:  {base}/v/{code}   -> {verdict}", soft_wrap=True)
    console.print(f"    the supervision board:  {base}/login  (read token: {token})", soft_wrap=True)
    batch = f"{base}/board/batch/0x{result.batch_id.hex()}"  # type: ignore[attr-defined]
    shown = requests.get(batch, headers={"Authorization": f"Bearer {token}"}, params={"lang": "en"}, timeout=30,
                         allow_redirects=False)
    console.print(f"    the story's batch:      {batch}   -> where every unit is ({shown.status_code})",
                  soft_wrap=True)
    console.print(f"    the HTTP API:           {base}/api/openapi.json", soft_wrap=True)
    try:
        if keep_serving:
            console.print("    [dim]serving until Ctrl-C[/]")
            while thread.is_alive():
                thread.join(timeout=0.5)
        else:
            console.print("    [dim]run scripts/demo --serve to keep them up[/]")
    except KeyboardInterrupt:
        pass
    finally:
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
