"""The control endpoint, the thread runner and the CLI verbs."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from terminal.cli import main as cli_main
from terminal.sandbox import Sandbox, SandboxThread
from tests.sandbox.helpers import create_invoice
from tests.support.timing import scaled


async def test_control_pays_the_latest_pos_invoice(sandbox: Sandbox) -> None:
    await create_invoice(sandbox, 100)
    newest = await create_invoice(sandbox, 250)
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        answer = (await client.post(f"{sandbox.control_url}/pay", json={"latest": True})).json()
        assert answer == {"status": "SUCCESS", "paymentHash": newest["paymentHash"]}
        other = await create_invoice(sandbox, 10, key_name="customer")
        by_request = await client.post(
            f"{sandbox.control_url}/pay", json={"paymentRequest": other["paymentRequest"]}
        )
        assert (
            by_request.json()["status"] == "CANT_PAY_SELF"
            or by_request.json()["status"] == "FAILURE"
        )
        ledger = (await client.get(f"{sandbox.control_url}/ledger")).json()
    assert [p["payment_hash"] for p in ledger["payments"]] == [newest["paymentHash"]]
    assert ledger["balances"]["blinkpos"] == 250
    assert [r["outcome"] for r in ledger["payRequests"]] == ["SUCCESS", "FAILURE:CANT_PAY_SELF"]


async def test_control_pay_latest_without_invoice_is_404(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        answer = await client.post(f"{sandbox.control_url}/pay", json={"latest": True})
    assert answer.status_code == 404


async def test_control_faults_and_clock(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        body = {"failNext": {"n": 1, "kind": "429"}, "loseEvents": True, "latency": 0}
        answer = (await client.post(f"{sandbox.control_url}/faults", json=body)).json()
        assert answer["faults"]["eventsLost"] is True
        assert (
            await client.post(sandbox.http_url, json={"query": "{ globals { network } }"})
        ).status_code == 429
        cleared = (await client.post(f"{sandbox.control_url}/faults", json={"clear": True})).json()
        faults = cleared["faults"]
        assert (faults["latency"], faults["eventsLost"], faults["http"]) == (0.0, False, [])
        bad = await client.post(
            f"{sandbox.control_url}/faults", json={"failNext": {"kind": "nope"}}
        )
        assert bad.status_code == 400
        clock = (await client.post(f"{sandbox.control_url}/clock", json={"advance": 120})).json()
        assert clock["offset"] == 120


async def test_control_accounts_show_no_keys(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        answer = await client.get(f"{sandbox.control_url}/accounts")
    assert answer.json()["merchant"]["BTC"] == sandbox.wallet_id("merchant")
    for key in sandbox.keys.values():
        assert key not in answer.text


def test_sandbox_thread_serves_sync_clients(sandbox_thread: SandboxThread, tmp_path: Path) -> None:
    headers = {"X-API-KEY": sandbox_thread.keys["blinkpos"]}
    query = "{ me { username } }"
    answer = httpx.post(
        sandbox_thread.http_url, json={"query": query}, headers=headers, timeout=scaled(5)
    )
    assert answer.json()["data"]["me"]["username"] == "blinkpos"
    sandbox_thread.clock.advance(10)  # safe from another thread
    paths = sandbox_thread.write_keys(tmp_path / "keys")
    assert set(paths) == set(sandbox_thread.keys)
    for name, path in paths.items():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().strip() == sandbox_thread.keys[name]


def test_pay_verb_pays_the_latest_invoice(sandbox_thread: SandboxThread, capsys: object) -> None:
    sandbox = sandbox_thread.sandbox
    assert sandbox is not None
    invoice = sandbox_thread.call(create_invoice(sandbox, 321))
    base = sandbox_thread.http_url.removesuffix("/graphql")
    assert cli_main(["pay", "--sandbox", base, "--latest"]) == 0
    assert sandbox.ledger.payments_for(invoice["paymentHash"])
    assert cli_main(["pay", "--sandbox", base, invoice["paymentRequest"]]) == 0  # ALREADY_PAID


def test_sandbox_verb_refuses_a_public_host() -> None:
    assert cli_main(["sandbox", "--host", "0.0.0.0"]) == 2  # the address it must refuse


def test_sandbox_verb_runs_and_prints_where_things_are(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    keys = tmp_path / "keys"
    proc = subprocess.Popen(
        [sys.executable, "-m", "terminal", "sandbox", "--port", "0", "--keys-dir", str(keys)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line)
            if "blinkpos_read_only" in line:
                break
        text = "".join(lines)
        http = next(line.split()[1] for line in lines if line.startswith("HTTP"))
        assert http.startswith("http://127.0.0.1:")
        assert "ws://127.0.0.1:" in text
        assert (keys / "blinkpos.key").exists()
        assert "blink_" not in text  # keys go to files, never to the terminal
        answer = httpx.post(http, json={"query": "{ globals { network } }"}, timeout=scaled(5))
        assert answer.json()["data"]["globals"]["network"] == "mainnet"
    finally:
        proc.terminate()
        proc.communicate(timeout=scaled(10))
