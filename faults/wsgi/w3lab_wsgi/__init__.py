"""w3lab's fault injection for Python WSGI workers: fault specs (spec.py), the in-worker agent and its WSGI
middleware (agent.py, leak.py), its control channel (channel.py), startup faults (startup.py) and the Gunicorn
server hooks that install all of it into a Gunicorn worker (gunicorn_hooks.py)."""
from .agent import FaultAgent
from .channel import ControlChannel
from .spec import parse_worker_fault

__all__ = ['FaultAgent', 'ControlChannel', 'parse_worker_fault']
