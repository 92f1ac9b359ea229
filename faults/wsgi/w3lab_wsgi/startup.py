"""Startup faults for Python workers: a worker that dies or never becomes ready before it loads the application,
the Python side of faults/agent/startup.ts and with the same outcomes:
  crash -> one line on stderr, exit status 70 (EX_SOFTWARE) at once
  hang  -> the thread sleeps in 1 s chunks: no readiness, no heartbeat, no CPU; it ends when its parent is gone or
           after at most 10 minutes, with exit status 71 — a hang must never turn into a late start.

A forking manager (Gunicorn's arbiter) cannot be handed a new environment for its next workers, so the lab arms the
fault in a small JSON file, {"mode": "crash"|"hang", "remaining": N}: every new worker takes one start from it
under an exclusive lock (remaining 0 = every start until the file is removed).
"""
import fcntl
import json
import os
import signal
import sys
import time

CRASH_EXIT = 70
HANG_END_EXIT = 71
MAX_HANG_S = 600.0
HANG_CHUNK_S = 1.0


def take_startup_fault(path):
    """The mode this start must suffer ('crash', 'hang') or None; consumes one of the remaining starts."""
    if not path:
        return None
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = os.read(fd, 4096).decode('utf-8', 'replace').strip()
        if not raw:
            return None  # removed (emptied) while we waited for the lock
        try:
            state = json.loads(raw)
        except ValueError:
            _line('w3lab: ignoring unreadable startup fault file %s' % path)
            return None
        mode = state.get('mode')
        remaining = state.get('remaining', 0)
        if mode not in ('crash', 'hang') or not isinstance(remaining, int) or remaining < 0:
            _line('w3lab: ignoring startup fault %r (expected mode crash|hang, remaining >= 0)' % (state,))
            return None
        if remaining > 0:
            remaining -= 1
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            if remaining > 0:
                os.write(fd, json.dumps({'mode': mode, 'remaining': remaining}).encode())
        return mode
    finally:
        os.close(fd)


def apply_startup_fault(mode, max_hang_s=MAX_HANG_S):
    if mode == 'crash':
        _line('w3lab: startup fault: crashing before the application loads (pid %d)' % os.getpid())
        os._exit(CRASH_EXIT)
    if mode == 'hang':
        # A forked worker still has its manager's signal handlers; the Node worker this mirrors has none this early.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(sig, signal.SIG_DFL)
        limit = min(max(0.0, max_hang_s), MAX_HANG_S)
        _line('w3lab: startup fault: hanging before the application loads (pid %d, up to %d s)' % (os.getpid(), limit))
        parent = os.getppid()
        end = time.monotonic() + limit
        why = 'limit reached'
        while time.monotonic() < end:
            time.sleep(min(HANG_CHUNK_S, max(0.0, end - time.monotonic())))
            if os.getppid() != parent:
                why = 'parent gone'
                break
        _line('w3lab: startup fault: hang ended (%s), exiting' % why)
        os._exit(HANG_END_EXIT)


def _line(text):
    try:
        sys.stderr.write(text + '\n')
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
