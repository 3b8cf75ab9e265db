"""A plain progress bar on stderr for the export and simulation commands (no dependency needed)."""

import time


class ProgressBar:
    WIDTH = 30

    def __init__(
        self, stream, total: int, *, label: str, unit: str = "rows", enabled: bool = True, interval: float = 0.2
    ):
        self.stream, self.total, self.label, self.unit = stream, total, label, unit
        self.enabled, self.interval = enabled, interval
        self.started = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < self.interval and done < self.total):
            return
        self._last = now
        filled = self.WIDTH * done // self.total if self.total else self.WIDTH
        percent = 100 * done // self.total if self.total else 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {done}/{self.total} {self.unit}")
        self.stream.flush()

    def finish(self, done: int) -> None:
        if self.enabled:
            self._last = 0.0
            self(done)
            self.stream.write(f" in {time.monotonic() - self.started:.1f}s\n")
            self.stream.flush()


class RawOutput:
    """A command's stdout without the newline Django's OutputWrapper adds to each write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")
