"""The control channel of a Python worker's fault agent: a TCP listener on 127.0.0.1 (a free port, reported by the
host) taking one JSON line per connection and answering one JSON line — the role the Node IPC channel plays for
the Node agent. The lab's peer driver is its only client; every request carries the run's fault token.

  {"token", "op": "fault", "spec": {...}}   -> {"ok": true, "id": 3} | {"ok": false, "error": "fault.kind: ..."}
  {"token", "op": "heal", "id"?: 3}         -> {"ok": true}            (all faults when id is absent)
  {"token", "op": "status"}                 -> {"ok": true, "pid", "active", "leakedBytes", "stalledRequests"}

Bad input gets {"ok": false, "error": ...} naming what is wrong; the channel and the worker keep running.
"""
import hmac
import json
import os
import socket
import threading

from .spec import parse_worker_fault

MAX_LINE = 64 * 1024
READ_TIMEOUT_S = 5.0


class ControlChannel:
    def __init__(self, agent, token='', host='127.0.0.1', log=None):
        self._agent = agent
        self._token = token or ''
        self._log = log or (lambda msg, **extra: None)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(16)
        self.address = self._sock.getsockname()

    def start(self):
        threading.Thread(target=self._serve, name='w3lab-fault-channel', daemon=True).start()
        return self

    def close(self):
        try:
            self._sock.close()
        except OSError:
            pass

    def _serve(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            try:
                self._handle(conn)
            except Exception as err:  # one bad client must not end the channel
                self._log('fault channel request failed', error=str(err))
            finally:
                try:
                    conn.close()
                except OSError:
                    pass

    def _handle(self, conn):
        conn.settimeout(READ_TIMEOUT_S)
        line = _read_line(conn)
        if line is None:
            return _send(conn, {'ok': False, 'error': 'request line missing or longer than %d bytes' % MAX_LINE})
        try:
            msg = json.loads(line)
        except ValueError:
            return _send(conn, {'ok': False, 'error': 'request is not JSON'})
        if not isinstance(msg, dict):
            return _send(conn, {'ok': False, 'error': 'request must be a JSON object'})
        given = msg.get('token')
        if self._token and not (isinstance(given, str) and hmac.compare_digest(given.encode(), self._token.encode())):
            return _send(conn, {'ok': False, 'error': 'missing or wrong fault token', 'status': 403})
        op = msg.get('op')
        if op == 'fault':
            ok, value = parse_worker_fault(msg.get('spec'))
            if not ok:
                return _send(conn, {'ok': False, 'error': value})
            fid = self._agent.apply(value, defer_crash=True)
            _send(conn, {'ok': True, 'id': fid})
            self._agent.arm_pending()  # after the reply is out: a crash must not swallow its acknowledgement
            return None
        if op == 'heal':
            fid = msg.get('id')
            if fid is not None and (not isinstance(fid, int) or isinstance(fid, bool)):
                return _send(conn, {'ok': False, 'error': 'id: expected an integer'})
            self._agent.heal(fid)
            return _send(conn, {'ok': True} if fid is None else {'ok': True, 'id': fid})
        if op == 'status':
            return _send(conn, {
                'ok': True, 'pid': os.getpid(), 'active': self._agent.active(),
                'leakedBytes': self._agent.leaked_bytes(), 'stalledRequests': self._agent.stalled_requests(),
            })
        return _send(conn, {'ok': False, 'error': 'op: expected one of fault, heal, status'})


def _read_line(conn):
    buf = b''
    while b'\n' not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            break
        buf += chunk
        if len(buf) > MAX_LINE:
            return None
    line = buf.split(b'\n', 1)[0].strip()
    return line.decode('utf-8', 'replace') if line else None


def _send(conn, obj):
    conn.sendall((json.dumps(obj) + '\n').encode())
