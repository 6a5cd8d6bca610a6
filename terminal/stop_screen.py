"""Why ``run`` stopped, on the panel: the merchant's only view of a configuration or hardware error.

systemd does not restart the terminal after exit 2 (configuration) or 5 (hardware)
(``RestartPreventExitStatus=2 5``), so the last picture stays until someone fixes it. Best effort:
the panel is opened on its own (the part that failed may be the keypad, not the display); if it
cannot be opened or its own section is what is wrong, nothing is drawn and the log says why.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from hardware import open_display, open_pin_factory
from hardware.config import DisplayConfig, GpioConfig, load_hardware
from hardware.display import geometry_of, needs_pin_factory
from terminal.config import Config, load_config
from terminal.errors import ConfigError, HardwareError
from terminal.links import LinkState
from terminal.screens.draw import in_mode
from terminal.screens.model import Error, Status, View
from terminal.screens.render import render

log = logging.getLogger(__name__)

# Neither link is up: the status bar must not suggest the terminal works.
STOPPED = Status(pos=LinkState.DOWN, merchant=LinkState.OFF)


def config_error_screen(exc: ConfigError) -> Error:
    """What the panel says for a configuration error: the setting, the problem, the fix."""
    return Error("Setup error", f"{exc.setting}: {exc.problem}", exc.fix or "fix terminal.toml")


def hardware_error_screen(exc: HardwareError) -> Error:
    """What the panel says when a part of the hardware cannot be opened."""
    return Error("Hardware error", str(exc), "then restart the terminal")


def after_config_error(path: Path) -> bool:
    """Show why the configuration at ``path`` was refused; True if the panel shows it."""
    try:
        load_config(path)
    except ConfigError as exc:
        screen = config_error_screen(exc)
    else:
        return False  # fixed in the meantime: nothing to explain
    try:
        hw = load_hardware(path)
    except ConfigError:
        return False  # the [display] section itself is unreadable: no panel to draw on
    return _show(hw.display, hw.gpio, screen)


def after_hardware_error(config: Config, exc: HardwareError) -> bool:
    """Show which part could not be opened; True if the panel shows it."""
    return _show(config.display, config.gpio, hardware_error_screen(exc))


def _show(cfg: DisplayConfig, gpio: GpioConfig, screen: Error) -> bool:
    if cfg.driver == "pygame":
        return False  # a window that closes at once explains nothing
    # The factory stays open until the process exits: closing it would switch off an st7789's
    # GPIO backlight under the message.
    factory: Any = None
    try:
        if needs_pin_factory(cfg):
            factory = open_pin_factory(gpio)
        display = open_display(cfg, pin_factory=factory)
        frame = render(View(screen, STOPPED), geometry_of(display, cfg))
        display.display(in_mode(frame, display.mode))
    except (HardwareError, OSError) as exc:
        log.info("the reason cannot be shown on the panel: %s", exc)
        return False
    # luma clears the panel at exit unless told to keep it: the merchant must read this.
    if hasattr(display, "persist"):
        display.persist = True
    with contextlib.suppress(Exception):
        display.cleanup()
    return True
