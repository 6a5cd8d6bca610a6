"""gpiozero MockFactory fixtures (filled in by the hardware work)."""
