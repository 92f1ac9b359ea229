"""Resource faults that run beside the worker's own threads: a memory leak that grows at a rate up to a cap, and a
duty-cycled CPU spinner. The leaked memory must be resident, so every chunk is filled with a non-zero byte
(zero-filled pages may never be committed and would not show in RSS) and the byte rotates so no two chunks are
alike. Both run on daemon threads: a fault must never keep a worker alive.
"""
import threading
import time

STEP_S = 0.1


class MemoryLeak:
    def __init__(self, rate_kbps, cap_kb):
        self._cap = int(cap_kb) * 1024
        self._step = max(1, int(round(rate_kbps * 1024 * STEP_S)))
        self._chunks = []
        self._bytes = 0
        self._fill = 0x41
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self):
        """Allocates the first step at once (so the effect shows on apply), then one step per 100 ms."""
        self._grow()
        t = threading.Thread(target=self._run, name='w3lab-leak', daemon=True)
        t.start()

    def _run(self):
        while not self._stop.wait(STEP_S):
            if not self._grow():
                return

    def _grow(self):
        with self._lock:
            n = min(self._step, self._cap - self._bytes)
            if n <= 0 or self._stop.is_set():
                return False
            self._fill = 0x41 if self._fill >= 0x7A else self._fill + 1
            self._chunks.append(bytes([self._fill]) * n)
            self._bytes += n
            return True

    def stop_growing(self):
        self._stop.set()

    def release(self):
        self._stop.set()
        with self._lock:
            self._chunks = []
            self._bytes = 0

    def retained_bytes(self):
        return self._bytes


class CpuSpinner:
    def __init__(self, duty_percent, slice_s=0.1):
        self._spin = slice_s * min(100.0, max(0.0, duty_percent)) / 100.0
        self._rest = slice_s - self._spin
        self._stop = threading.Event()

    def start(self):
        threading.Thread(target=self._run, name='w3lab-cpu-spin', daemon=True).start()

    def _run(self):
        while not self._stop.is_set():
            end = time.monotonic() + self._spin
            while time.monotonic() < end:
                pass
            if self._stop.wait(self._rest if self._rest > 0 else 0.001):
                return

    def stop(self):
        self._stop.set()
