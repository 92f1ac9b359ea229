"""lab_app: the lab's application as a WSGI app, with the routes of targets/apps/lab-app.js so every target serves
the same thing:
  GET  /            hello
  GET  /slow?ms=N   answers after N ms (default 200, at most 60000): in-flight requests during recycles
  POST /echo        echoes the body
  GET  /cacheable   a response marked Cache-Control: public, max-age=60
  GET  /pid         the worker's pid
Responses carry X-App-Pid (the process that served them), as lab-app's do.
"""
import datetime
import os
import time
from urllib.parse import parse_qs

HELLO = b'hello\n'


def application(environ, start_response):
    path = environ.get('PATH_INFO') or '/'
    pid = str(os.getpid())
    if path.startswith('/slow'):
        ms = _slow_ms(environ.get('QUERY_STRING', ''))
        time.sleep(ms / 1000.0)
        return _reply(start_response, ('slept %s\n' % _fmt(ms)).encode(), [('X-App-Pid', pid)])
    if path.startswith('/echo'):
        body = _read_body(environ)
        return _reply(start_response, body, [('Content-Type', 'application/octet-stream'), ('X-App-Pid', pid)])
    if path.startswith('/cacheable'):
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
        body = ('cached at %s by %s\n' % (now, pid)).encode()
        return _reply(start_response, body, [('Cache-Control', 'public, max-age=60')])
    if path.startswith('/pid'):
        return _reply(start_response, pid.encode(), [])
    return _reply(start_response, HELLO, [('X-App-Pid', pid)])


def _slow_ms(query):
    raw = (parse_qs(query).get('ms') or ['200'])[0]
    try:
        ms = float(raw)
    except ValueError:
        ms = 0.0  # lab-app's Number('x') is NaN, and a NaN timeout fires at once
    if ms != ms or ms < 0:
        ms = 0.0
    return min(60000.0, ms)


def _fmt(ms):
    return str(int(ms)) if float(ms).is_integer() else str(ms)


def _read_body(environ):
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        length = 0
    stream = environ['wsgi.input']
    return stream.read(length) if length > 0 else stream.read()


def _reply(start_response, body, headers):
    base = [('Content-Type', 'text/plain')] if not any(h[0] == 'Content-Type' for h in headers) else []
    start_response('200 OK', base + headers + [('Content-Length', str(len(body)))])
    return [body]
