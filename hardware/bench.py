"""Benchmark: ``python -m hardware.bench``. Render and QR times, bytes and bus time per frame.

Bus figures come from the real luma driver classes writing to a recording serial interface;
bus time is computed from the bytes (I2C 9 clocks per byte, SPI 8) at each panel's configured
clock, without ioctl overhead. CPU figures are for this machine; a Pi Zero 2 W is roughly 8-15x
slower in pure Python (HARDWARE-NOTES §1).
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from PIL import Image

from hardware.config import DisplayConfig
from hardware.display import geometry_of, open_display
from hardware.recording import RecordingSerial
from terminal.screens import qr
from terminal.screens.geometry import ALL_GEOMETRIES, Geometry
from terminal.screens.model import (
    AmountEntry,
    Error,
    Idle,
    Paid,
    Screen,
    ShowInvoice,
    Success,
    View,
)
from terminal.screens.render import render

# A realistic 271-character invoice (the sandbox's format) so the figures need no sandbox.
INVOICE = (
    "lnbc210u1p54twgqpp5y3698cd2qedwdt6s3pet2tvu64lkzlk53u3wlfeyt37knad7qqsqsp5573nkvclqn8y4f5e2s"
    "gzs3ns6zg8qdfxusd25u4g9pcq2yhxxm3qdqsgdhkven9v5szxdpjxqzuycqzpg9qyysgqattr408m54vxd6chndsfy7"
    "lv3ld2hzx0x05ug3ymrtj30dfc6u68dz3n4q2jan67tmfepcw5g9v4rucs98j2jk5desht4fzzvpnl9fcpwqv6gd"
)
SCREENS: dict[str, Screen] = {
    "idle": Idle("Corner Cafe"),
    "amount": AmountEntry("21000"),
    "invoice": ShowInvoice(INVOICE, 21_000, 900.0),
    "paid": Paid(21_000),
    "success": Success(21_000),
    "error": Error("Payment failed", "Blink refused the key", "Replace the key file"),
}
PANELS = (
    DisplayConfig(driver="ssd1306", interface="i2c", i2c_speed_hz=400_000),
    DisplayConfig(driver="sh1106", interface="i2c", i2c_speed_hz=400_000),
    DisplayConfig(driver="ssd1309", interface="spi", spi_speed_hz=8_000_000),
    DisplayConfig(driver="ssd1327", interface="i2c", i2c_speed_hz=400_000),
    DisplayConfig(driver="ssd1327", interface="spi", spi_speed_hz=8_000_000),
    DisplayConfig(driver="ssd1351", interface="spi", spi_speed_hz=16_000_000),
    DisplayConfig(driver="st7789", interface="spi", spi_speed_hz=32_000_000),
)


def median_ms(fn: Callable[[], object], runs: int = 30) -> float:
    """The median wall time of ``fn`` in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bus_ms(cfg: DisplayConfig, nbytes: int) -> float:
    """Wire time for ``nbytes`` on the panel's bus, in milliseconds."""
    if cfg.interface == "i2c":
        return nbytes * 9 / cfg.i2c_speed_hz * 1000
    return nbytes * 8 / cfg.spi_speed_hz * 1000


def render_table() -> list[str]:
    """Render time per screen per geometry."""
    head = "| screen | " + " | ".join(_gid(g) for g in ALL_GEOMETRIES) + " |"
    rows = [head, "|---" * (len(ALL_GEOMETRIES) + 1) + "|"]
    for name, screen in SCREENS.items():
        # Render times with the QR layouts cached: the first invoice frame adds the layout.
        cells = [f"{median_ms(_render_once(screen, g)):.2f}" for g in ALL_GEOMETRIES]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def _render_once(screen: Screen, geometry: Geometry) -> Callable[[], object]:
    return lambda: render(View(screen), geometry)


def qr_lines() -> list[str]:
    """QR encode and layout times."""
    import segno

    text = qr.payload(INVOICE)
    encode = median_ms(lambda: segno.make(text, error="m", micro=False, boost_error=False))

    def uncached() -> qr.QrLayout:
        qr._encode.cache_clear()
        qr.layout.cache_clear()
        return qr.layout(INVOICE, 128, 128)

    lay = median_ms(uncached)
    cached = median_ms(lambda: qr.layout(INVOICE, 128, 128))
    code = qr.layout(INVOICE, 128, 128)
    return [
        f"segno encode ({len(INVOICE)}-char invoice, level M): {encode:.2f} ms",
        f"qr.layout 128x128 (M encode, L size from a fixed mask, drawing): {lay:.2f} ms "
        f"-> v{code.version} {code.error}, {code.scale} px/module, quiet {code.quiet}",
        f"qr.layout 128x128 again (cached, as on each countdown redraw): {cached:.4f} ms",
    ]


def panel_table() -> list[str]:
    """Bytes and bus time per frame through each real driver."""
    rows = [
        "| panel | bus | full frame B | bus ms | digit change B | bus ms | driver CPU ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for cfg in PANELS:
        serial = RecordingSerial()
        device = open_display(cfg, serial_interface=serial)
        geometry = geometry_of(device, cfg)
        idle = render(View(SCREENS["idle"]), geometry).convert(device.mode)
        invoice = render(View(SCREENS["invoice"]), geometry).convert(device.mode)
        five = render(View(AmountEntry("5")), geometry).convert(device.mode)
        fifty = render(View(AmountEntry("50")), geometry).convert(device.mode)
        device.display(idle)
        serial.reset()
        device.display(invoice)
        full = serial.data_bytes + serial.command_bytes
        device.display(five)
        serial.reset()
        device.display(fifty)
        small = serial.data_bytes + serial.command_bytes
        cpu = median_ms(_show_both(device, idle, invoice), runs=10) / 2
        speed = (
            f"I2C {cfg.i2c_speed_hz // 1000} kHz"
            if cfg.interface == "i2c"
            else f"SPI {cfg.spi_speed_hz // 1_000_000} MHz"
        )
        rows.append(
            f"| {cfg.driver} | {speed} | {full} | {bus_ms(cfg, full):.1f} | {small} | "
            f"{bus_ms(cfg, small):.1f} | {cpu:.2f} |"
        )
    return rows


def _show_both(device: Any, a: Image.Image, b: Image.Image) -> Callable[[], object]:
    def both() -> None:
        device.display(a)
        device.display(b)

    return both


def _gid(g: Geometry) -> str:
    return f"{g.width}x{g.height} {g.mode}"


def main() -> None:
    """Print the benchmark tables (Markdown)."""
    # luma calls Image.getdata(), deprecated in Pillow 12; harmless here.
    warnings.filterwarnings("ignore", message="Image.Image.getdata", category=DeprecationWarning)
    print("Render time per screen, ms (median):")
    print("\n".join(render_table()))
    print()
    print("\n".join(qr_lines()))
    print()
    print("Per frame through the real luma drivers (recording bus):")
    print("\n".join(panel_table()))


if __name__ == "__main__":
    main()
