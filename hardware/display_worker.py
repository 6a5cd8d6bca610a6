"""One thread owns the display: frames are rendered and written there, only when they change.

``display()`` blocks (23 ms for a 128x64 frame on 400 kHz I2C, ~170 ms for a full st7789 frame)
and luma devices are not thread-safe, so the asyncio side only hands over the latest view and
returns at once. Views that compare equal are dropped before rendering; frames whose bytes equal
the last written frame are dropped before the bus. A view superseded before the worker got to
it is never drawn: only the newest picture matters.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from PIL import Image

from hardware.display import Display
from terminal.errors import HardwareError

log = logging.getLogger(__name__)

V = TypeVar("V")
_NOTHING = object()


class PanelMode(enum.Enum):
    """How lit the panel is: idle screens dim, then sleep (``hide()``: the controller's µA mode)."""

    ON = "on"
    DIM = "dim"
    OFF = "off"


class DisplayWorker(Generic[V]):
    """Renders views with ``render`` and writes them to ``display`` on one worker thread."""

    def __init__(
        self,
        display: Display,
        render: Callable[[V], Image.Image],
        *,
        contrast: tuple[int, int] | None = None,
    ) -> None:
        """``contrast``: the panel's (normal, dimmed) levels; None where it has no contrast."""
        self._display = display
        self._render = render
        self._contrast = contrast
        self._cond = threading.Condition()
        self._pending: object = _NOTHING
        self._mode = PanelMode.ON  # as applied to the panel
        self._wanted = PanelMode.ON
        self._last_view: object = _NOTHING
        self._last_frame: tuple[str, tuple[int, int], bytes] | None = None
        self._busy = False
        self._closing = False
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="display", daemon=True)
        self._thread.start()

    def show(self, view: V) -> None:
        """Queue ``view`` for drawing; never blocks on the panel. Raises if the worker died."""
        with self._cond:
            if self._failure is not None:
                raise HardwareError(
                    f"the display stopped working ({self._failure}); check its wiring and "
                    "restart the terminal"
                ) from self._failure
            if self._closing:
                return
            if view == self._pending or (self._pending is _NOTHING and view == self._last_view):
                return
            self._pending = view
            self._cond.notify()

    def set_panel(self, mode: PanelMode) -> None:
        """Light, dim or sleep the panel (on the worker thread, in order with the frames)."""
        with self._cond:
            if self._closing or mode is self._wanted:
                return
            self._wanted = mode
            self._cond.notify()

    @property
    def panel(self) -> PanelMode:
        """The panel's mode as last applied."""
        with self._cond:
            return self._mode

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued view is drawn (or dropped); False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: (
                    (self._pending is _NOTHING and not self._busy and self._wanted is self._mode)
                    or self._failure is not None
                ),
                timeout,
            )

    def close(self, timeout: float = 5.0) -> None:
        """Draw what is queued, stop the thread and release the panel."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)
        try:
            self._display.cleanup()
        except OSError as exc:
            log.warning("display cleanup failed: %s", exc)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: (
                        self._pending is not _NOTHING
                        or self._closing
                        or self._wanted is not self._mode
                    )
                )
                if self._pending is _NOTHING and self._wanted is self._mode:
                    return
                view, self._pending = self._pending, _NOTHING
                mode = self._wanted
                self._busy = True
            try:
                if mode is not self._mode:
                    self._apply(mode)
                if view is not _NOTHING:
                    self._draw(view)  # type: ignore[arg-type]
            except Exception as exc:  # the loop must learn of it, not a dead thread in silence
                log.exception("display worker failed")
                with self._cond:
                    self._failure = exc
                    self._busy = False
                    self._cond.notify_all()
                return
            with self._cond:
                if view is not _NOTHING:
                    self._last_view = view
                self._mode = mode
                self._busy = False
                self._cond.notify_all()

    def _apply(self, mode: PanelMode) -> None:
        # Wake before a new contrast: a sleeping controller may ignore it.
        if self._mode is PanelMode.OFF:
            self._display.show()
        if mode is PanelMode.OFF:
            self._display.hide()
        elif self._contrast is not None:
            normal, dimmed = self._contrast
            set_contrast = getattr(self._display, "contrast", None)  # luma panels have it
            if set_contrast is not None:
                set_contrast(dimmed if mode is PanelMode.DIM else normal)

    def _draw(self, view: V) -> None:
        image = self._render(view)
        if image.mode != self._display.mode:
            image = image.convert(self._display.mode)
        key = (image.mode, image.size, image.tobytes())
        if key == self._last_frame:
            return
        self._display.display(image)
        self._last_frame = key
