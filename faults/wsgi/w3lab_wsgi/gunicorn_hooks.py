"""Gunicorn server hooks the lab's generated config installs (targets/peers/gunicorn): Gunicorn's own extension
points, used the way a Gunicorn user would add monitoring. They add three things Gunicorn does not print itself
and the fault agent where the lab enabled it:

  on_starting       (master) the master ends (quick shutdown, SIGINT) when the lab's driver ends (Linux
                    parent-death signal), so no arbiter outlives an interrupted run.
  post_fork         (new worker, before the app loads) a startup fault armed by the lab takes effect (startup.py).
  post_worker_init  (worker, app loaded, about to serve) the fault agent wraps the WSGI app, gates the heartbeat
                    (hang ignore-pings) and the graceful stop signal (shutdown-hang), opens its control channel;
                    then the readiness line "w3lab: worker ready (pid: N, control: 127.0.0.1:P)".
  child_exit        (master, a worker was reaped) "w3lab: worker gone (pid: N)": Gunicorn logs the exit itself
                    only when a signal ended the worker or it left through its own exit path.

Settings come from the environment the driver starts Gunicorn with: W3LAB_FAULTS=1 enables the agent,
W3LAB_FAULT_TOKEN protects its channel, W3LAB_STARTUP_FAULT_FILE names the startup-fault file, W3LAB_FAULT_SEED
seeds its dice.
"""
import collections
import ctypes
import os
import signal

from .agent import FaultAgent
from .channel import ControlChannel
from .startup import apply_startup_fault, take_startup_fault

PR_SET_PDEATHSIG = 1
DOORBELL = signal.SIGRTMIN + 5


def on_starting(server):
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)
    except (OSError, AttributeError):
        server.log.warning('w3lab: no parent-death signal on this system; the lab stops the master itself')
    if os.getppid() != parent:  # the driver ended before the signal was armed
        os.kill(os.getpid(), signal.SIGINT)


def post_fork(server, worker):
    mode = take_startup_fault(os.environ.get('W3LAB_STARTUP_FAULT_FILE', ''))
    if mode:
        apply_startup_fault(mode)


def post_worker_init(worker):
    control = ''
    if os.environ.get('W3LAB_FAULTS') == '1':
        channel = install_agent(worker)
        control = ', control: %s:%d' % channel.address[:2]
    worker.log.info('w3lab: worker ready (pid: %d%s)', os.getpid(), control)


def child_exit(server, worker):
    server.log.info('w3lab: worker gone (pid: %d)', worker.pid)


def install_agent(worker):
    log = _logger(worker.log)
    doorbell = MainThreadDoorbell()
    seed = os.environ.get('W3LAB_FAULT_SEED', '')
    agent = FaultAgent(log=log, seed=int(seed) if seed.isdigit() else os.getpid(), run_in_main=doorbell.call)
    worker.wsgi = agent.middleware(worker.wsgi)

    beat = worker.notify
    worker.notify = lambda: beat() if agent.answers_pings() else None

    graceful = signal.getsignal(signal.SIGTERM)

    def on_term(sig, frame):
        if agent.honours_shutdown():
            return graceful(sig, frame) if callable(graceful) else None
        log('ignoring the graceful stop signal (shutdown-hang fault)')
        return None

    signal.signal(signal.SIGTERM, on_term)
    signal.siginterrupt(signal.SIGTERM, False)  # as Gunicorn sets it: a stop must not break a request's syscalls
    return ControlChannel(agent, token=os.environ.get('W3LAB_FAULT_TOKEN', ''), log=log).start()


class MainThreadDoorbell:
    """Runs functions on the main thread: queue them, then signal the process; Python runs handlers there."""

    def __init__(self, signum=DOORBELL):
        self._signum = signum
        self._queue = collections.deque()
        signal.signal(signum, self._ring)

    def call(self, fn):
        self._queue.append(fn)
        os.kill(os.getpid(), self._signum)

    def _ring(self, _sig, _frame):
        while self._queue:
            self._queue.popleft()()


def _logger(glog):
    def log(msg, **extra):
        details = ' '.join('%s=%s' % (k, v) for k, v in sorted(extra.items()))
        glog.info('w3lab fault agent: %s%s', msg, (' ' + details) if details else '')
    return log
