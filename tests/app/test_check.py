"""``blink-terminal check``: a bad config, a wrong-scope key and a QR-incapable panel are caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.cli import main
from terminal.commands import EXIT_CONFIG, EXIT_KEY, EXIT_OK, EXIT_UNREACHABLE
from terminal.sandbox import SandboxThread
from tests.support.terminal_process import write_config


def test_a_good_setup_passes(
    tmp_path: Path, sandbox_thread: SandboxThread, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--config", str(write_config(tmp_path, sandbox_thread))]) == EXIT_OK
    out = capsys.readouterr().out
    assert "ok    BlinkPOS key: scopes READ, RECEIVE, WRITE" in out
    assert "ok    merchant key: scopes READ" in out
    assert "FAIL" not in out


@pytest.mark.parametrize(
    ("key_name", "message"),
    [
        ("blinkpos_read_only", "FAIL  BlinkPOS key has scopes READ but needs RECEIVE, WRITE too"),
        # Without READ the key cannot even list its scopes: that is what the operator reads.
        (
            "blinkpos_receive_only",
            "FAIL  BlinkPOS key: the BlinkPOS key may not read the key's scopes",
        ),
    ],
)
def test_a_key_with_the_wrong_scopes_is_caught(
    tmp_path: Path,
    sandbox_thread: SandboxThread,
    capsys: pytest.CaptureFixture[str],
    key_name: str,
    message: str,
) -> None:
    key = sandbox_thread.keys[key_name]
    config = write_config(tmp_path, sandbox_thread, pos_key=key)
    assert main(["check", "--config", str(config)]) == EXIT_KEY
    out = capsys.readouterr().out
    assert message in out
    assert key not in out


def test_a_rejected_key_is_caught(
    tmp_path: Path, sandbox_thread: SandboxThread, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, sandbox_thread, pos_key="blink_" + "N" * 48)
    assert main(["check", "--config", str(config)]) == EXIT_KEY
    out = capsys.readouterr().out
    assert "FAIL  BlinkPOS key: Blink rejected the BlinkPOS key" in out
    assert "N" * 20 not in out


def test_a_128x64_panel_asked_for_qr_codes_is_caught(
    tmp_path: Path, sandbox_thread: SandboxThread, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, sandbox_thread)
    config.write_text(
        config.read_text().replace(
            'driver = "capture"\ncapture_dir = "frames"',
            'driver = "ssd1306"\ninterface = "i2c"\nqr = true',
        )
    )
    assert main(["check", "--offline", "--config", str(config)]) == EXIT_CONFIG
    out = capsys.readouterr().out
    assert "FAIL  display: the ssd1306 panel is 128x64: too small for a scannable invoice QR" in out
    assert "display.qr = false" in out


def test_a_bad_config_exits_2_naming_the_setting(
    tmp_path: Path, sandbox_thread: SandboxThread, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, sandbox_thread)
    config.write_text(config.read_text().replace("[keypad]", "[keypad]\nrows = 4"))
    assert main(["check", "--config", str(config)]) == EXIT_CONFIG
    assert "keypad.rows" in capsys.readouterr().err


def test_an_unreachable_blink_is_its_own_exit_code(
    tmp_path: Path, sandbox_thread: SandboxThread, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, sandbox_thread)
    port = sandbox_thread.http_url.split(":")[2].split("/")[0]
    # Port 9 (discard) on loopback is closed here: connection refused, nothing leaves the machine.
    config.write_text(config.read_text().replace(f":{port}/", ":9/"))
    assert main(["check", "--config", str(config)]) == EXIT_UNREACHABLE
    assert "cannot reach Blink" in capsys.readouterr().out


def test_a_currency_and_a_tip_recipient_blink_knows_pass(
    tmp_path: Path, sandbox_thread: SandboxThread, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, sandbox_thread, currency="JPY", tips_to="staff_tips")
    assert main(["check", "--config", str(config)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "ok    terminal.currency: Blink prices JPY (0 decimals)" in out
    assert "ok    tips.recipient: staff_tips has a BTC wallet" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"currency": "XAU"}, "FAIL  terminal.currency: Blink does not price XAU"),
        ({"tips_to": "staff_tipz"}, "FAIL  tips.recipient: Blink has no wallet for 'staff_tipz'"),
    ],
)
def test_a_currency_or_a_tip_recipient_blink_does_not_know_is_caught(
    tmp_path: Path,
    sandbox_thread: SandboxThread,
    capsys: pytest.CaptureFixture[str],
    options: dict[str, str],
    message: str,
) -> None:
    config = write_config(tmp_path, sandbox_thread, **options)
    assert main(["check", "--config", str(config)]) == EXIT_CONFIG
    assert message in capsys.readouterr().out
