"""The in-worker fault agent for Python WSGI workers: applies and heals the lab's worker faults (spec.py) from inside
the process that serves requests, as the Node agent (faults/agent/agent.ts) does for Node workers. It owns no
transport and no server: the host (gunicorn_hooks.py for Gunicorn) hands specs in (channel.py), routes requests
through middleware(), and consults answers_pings() before its heartbeat and honours_shutdown() before a graceful
stop. What each fault means in a Python worker:

  crash          exit: os._exit(exitCode) (no cleanup, like a native crash); signal: the signal to itself; abort:
                 os.abort(); uncaught-exception / unhandled-rejection (Python has one kind of unhandled error): the
                 traceback on stderr and exit status 1, what CPython does with an exception nobody catches.
  hang           block-loop: the worker's main thread — the one that accepts requests and beats the heartbeat —
                 sleeps until durationMs (or 10 minutes) ends; nothing heals it early, as nothing can unblock a
                 blocked Node event loop. It sleeps rather than spins: the manager sees the same silence, and the
                 shared machine keeps its CPU. ignore-pings: requests are served, the heartbeat stays silent.
                 stall-requests: requests are accepted and held until healed, the heartbeat goes on.
  leak           real resident memory (leak.py), freed by heal. Python has one heap, so `space` changes nothing.
  slow / error   delay or an error status for `percent` of requests, rolled with a seeded generator.
  cpu-spin       a thread spinning dutyPercent of every 100 ms (under the GIL this slows the worker too).
  shutdown-hang  the worker ignores its graceful stop signal while active.

Timed faults (durationMs > 0) heal themselves. A crash is armed only after the control channel has sent its
acknowledgement, so the caller always learns the fault was taken.
"""
import os
import random
import signal
import sys
import threading
import time
import traceback

from .leak import CpuSpinner, MemoryLeak

MAX_BLOCK_S = 600.0
BLOCK_CHUNK_S = 0.05
ERROR_HEADERS = [('Content-Type', 'text/plain; charset=utf-8'), ('X-W3lab-Fault', 'error')]
STATUS_TEXT = {400: 'Bad Request', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error',
               502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout'}


class _Entry:
    def __init__(self, fid, spec):
        self.id = fid
        self.spec = spec
        self.since = time.time()
        self.releases = []
        self.leak = None
        self.arm = None


class FaultAgent:
    """Fault state of one worker. run_in_main(fn) runs fn on the worker's main thread (block-loop needs it)."""

    def __init__(self, log=None, seed=1, run_in_main=None):
        self._log = log or (lambda msg, **extra: None)
        self._run_in_main = run_in_main or (lambda fn: fn())
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._faults = {}
        self._next_id = 1
        self._unstalled = threading.Event()
        self._unstalled.set()
        self._held = 0

    # ---- state ---------------------------------------------------------------------------------------------------
    def _specs(self, kind):
        with self._lock:
            return [f.spec for f in self._faults.values() if f.spec['kind'] == kind]

    def _hang_active(self, mode):
        return any(s['mode'] == mode for s in self._specs('hang'))

    def answers_pings(self):
        return not self._hang_active('ignore-pings')

    def honours_shutdown(self):
        return not self._specs('shutdown-hang')

    def active(self):
        with self._lock:
            return [{'id': f.id, 'spec': f.spec, 'since': int(f.since * 1000)} for f in self._faults.values()]

    def leaked_bytes(self):
        with self._lock:
            return sum(f.leak.retained_bytes() for f in self._faults.values() if f.leak)

    def stalled_requests(self):
        return self._held

    # ---- apply / heal --------------------------------------------------------------------------------------------
    def apply(self, spec, defer_crash=False):
        """Applies a validated spec; returns its id. With defer_crash a crash waits for arm_pending()."""
        with self._lock:
            entry = _Entry(self._next_id, spec)
            self._next_id += 1
            self._faults[entry.id] = entry
        self._log('fault applied', id=entry.id, spec=spec)
        kind = spec['kind']
        if kind == 'crash':
            entry.arm = lambda: self._later(entry, spec['delayMs'] / 1000.0, lambda: self._crash(entry))
            if not defer_crash:
                self.arm_pending()
        elif kind == 'hang' and spec['mode'] == 'block-loop':
            limit = spec['durationMs'] / 1000.0 if spec['durationMs'] > 0 else MAX_BLOCK_S
            self._run_in_main(lambda: self._block(entry, min(limit, MAX_BLOCK_S)))
        elif kind == 'hang':
            if spec['mode'] == 'stall-requests':
                self._unstalled.clear()
            self._expire_after(entry, spec['durationMs'])
        elif kind == 'leak':
            entry.leak = MemoryLeak(spec['rateKBps'], spec['capKB'])
            entry.releases.append(entry.leak.release)
            entry.leak.start()
            if spec['durationMs'] > 0:  # stops growing, keeps its memory until healed
                self._later(entry, spec['durationMs'] / 1000.0, entry.leak.stop_growing)
        elif kind == 'cpu-spin':
            spinner = CpuSpinner(spec['dutyPercent'])
            entry.releases.append(spinner.stop)
            spinner.start()
            self._expire_after(entry, spec['durationMs'])
        elif kind in ('slow', 'error'):
            self._expire_after(entry, spec['durationMs'])
        return entry.id

    def arm_pending(self):
        with self._lock:
            pending = [f for f in self._faults.values() if f.arm]
            for f in pending:
                arm, f.arm = f.arm, None
                arm()

    def heal(self, fid=None):
        with self._lock:
            ids = [fid] if fid is not None else list(self._faults)
        for i in ids:
            self._remove(i, 'healed')

    def _remove(self, fid, reason):
        with self._lock:
            entry = self._faults.pop(fid, None)
            if entry is None:
                return
            if not self._hang_active('stall-requests'):
                self._unstalled.set()
        for release in entry.releases:
            release()
        self._log('fault healed', id=fid, kind=entry.spec['kind'], reason=reason)

    def _later(self, entry, seconds, fn):
        t = threading.Timer(seconds, fn)
        t.daemon = True
        entry.releases.append(t.cancel)
        t.start()

    def _expire_after(self, entry, duration_ms):
        if duration_ms > 0:
            self._later(entry, duration_ms / 1000.0, lambda: self._remove(entry.id, 'expired'))

    def _block(self, entry, seconds):
        self._log('blocking the main thread', id=entry.id, seconds=seconds)
        end = time.monotonic() + seconds
        # Short sleeps: a signal the manager sends (SIGABRT on a heartbeat timeout) is handled between them.
        while time.monotonic() < end:
            time.sleep(min(BLOCK_CHUNK_S, max(0.0, end - time.monotonic())))
        self._remove(entry.id, 'expired')

    def _crash(self, entry):
        spec = entry.spec
        self._log('crashing', mode=spec['mode'], exitCode=spec['exitCode'], signal=spec['signal'])
        crash_now(spec)

    # ---- requests --------------------------------------------------------------------------------------------------
    def _hit(self, percent):
        if percent >= 100:
            return True
        with self._lock:
            return percent > 0 and self._random.random() * 100 < percent

    def handle(self, app, environ, start_response):
        """Runs one WSGI request through the active faults."""
        if not self._faults:
            return app(environ, start_response)
        for spec in self._specs('error'):
            if self._hit(spec['percent']):
                return respond_error(start_response, spec['status'])
        if not self._unstalled.is_set():
            # Accepted and kept, never answered until healed; the heartbeat is not this thread's job in gthread
            # workers, so only the client's timeout sees it there.
            self._held += 1
            try:
                self._unstalled.wait()
            finally:
                self._held -= 1
        delay = 0
        for spec in self._specs('slow'):
            if self._hit(spec['percent']):
                delay = max(delay, spec['delayMs'])
        if delay > 0:
            time.sleep(delay / 1000.0)
        return app(environ, start_response)

    def middleware(self, app):
        """The app wrapped: faults first, and X-Worker-Pid on every response (which worker served it)."""
        def wrapped(environ, start_response):
            def stamped(status, headers, exc_info=None):
                headers = list(headers) + [('X-Worker-Pid', str(os.getpid()))]
                return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
            return self.handle(app, environ, stamped)
        return wrapped


def respond_error(start_response, status):
    body = ('w3lab injected fault: %d\n' % status).encode()
    reason = STATUS_TEXT.get(status, 'Error')
    start_response('%d %s' % (status, reason), ERROR_HEADERS + [('Content-Length', str(len(body)))])
    return [body]


def crash_now(spec):
    mode = spec['mode']
    if mode == 'exit':
        os._exit(spec['exitCode'])
    elif mode == 'signal':
        os.kill(os.getpid(), getattr(signal, spec['signal']))
    elif mode == 'abort':
        os.abort()
    else:
        try:
            raise RuntimeError('w3lab fault: injected %s' % mode)
        except RuntimeError:
            sys.stderr.write('Traceback (most recent call last) of an unhandled error:\n' + traceback.format_exc())
            sys.stderr.flush()
        os._exit(1)
