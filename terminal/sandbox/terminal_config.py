"""A terminal configuration that points at a sandbox: for the demo, the tests and the benchmarks."""

from __future__ import annotations

from pathlib import Path

_TEMPLATE = """\
# A terminal against a local Blink sandbox (written by blink-terminal; see docs/configuration.md).
[terminal]
name = "{name}"
state_dir = "state"
invoice_expiry_minutes = {expiry_minutes}
log_level = "{log_level}"
clock = "{clock}"{clock_note}
currency = "{currency}"

[blink]
api_url = "{http_url}"
ws_url = "{ws_url}"
timeout_seconds = {timeout_seconds}

[blinkpos]
key_file = "{pos_key_file}"

[merchant]
username = "merchant"
{merchant_key}
[display]
driver = "{display}"
{capture}
[keypad]
driver = "stdin"

[indicators]
driver = "none"

[power]
driver = "{power}"

[gpio]
pin_factory = "mock"
{tips}"""

_TIPS = """
[tips]
enabled = true
presets = [10, 15, 20]
recipient = "{recipient}"
"""


def sandbox_terminal_config(
    http_url: str,
    ws_url: str,
    *,
    pos_key_file: Path | str,
    merchant_key_file: Path | str | None = None,
    display: str = "capture",
    name: str = "Sandbox Stall",
    log_level: str = "info",
    timeout_seconds: float = 5.0,
    expiry_minutes: int = 15,
    power: str = "none",
    tips_to: str | None = None,
    currency: str = "SAT",
    clock: str = "trust",
) -> str:
    """TOML for a desktop terminal (stdin keys, mock GPIO) using the sandbox at ``http_url``.

    The capture display writes its frames into ``frames`` beside the configuration. ``tips_to``
    offers tips (keys 2, 3, 4: 10, 15, 20 %) paid to that Blink username as a payout of their own.
    ``currency``: what the cashier types in ("SAT", or a currency of the sandbox's price list).
    """
    return _TEMPLATE.format(
        name=name,
        expiry_minutes=expiry_minutes,
        currency=currency,
        log_level=log_level,
        http_url=http_url,
        ws_url=ws_url,
        timeout_seconds=timeout_seconds,
        pos_key_file=pos_key_file,
        merchant_key=f'key_file = "{merchant_key_file}"\n' if merchant_key_file else "",
        display=display,
        capture='capture_dir = "frames"\n' if display == "capture" else "",
        power=power,
        tips=_TIPS.format(recipient=tips_to) if tips_to else "",
        clock=clock,
        # A desktop's clock is right from boot; a test that plays a Pi's boot asks for "ntp".
        clock_note="  # a desktop's clock is right from boot (a Pi waits for NTP)"
        if clock == "trust"
        else "",
    )
