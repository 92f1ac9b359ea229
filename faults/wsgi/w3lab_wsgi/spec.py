"""Fault specs for Python workers: the same shapes, defaults and limits as the lab's Node agent (faults/spec.ts),
validated here again because anything may reach a worker's control channel. Unknown keys are rejected, numbers are
JSON numbers (a bool is not one), integers may arrive as 3.0. Errors name the path and the reason, joined with
"; " as the lab's zod errors are: "fault.delayMs: expected an integer >= 0".

A test in the lab (harness/targets/gunicorn-fault-spec.test.ts) feeds the same specs to both validators and
requires the same verdicts and the same filled-in defaults.
"""

CRASH_MODES = ('exit', 'signal', 'uncaught-exception', 'unhandled-rejection', 'abort')
CRASH_SIGNALS = ('SIGKILL', 'SIGSEGV', 'SIGTERM', 'SIGABRT', 'SIGBUS')
HANG_MODES = ('block-loop', 'ignore-pings', 'stall-requests')
LEAK_SPACES = ('heap', 'offheap')


class _Field:
    """One field: a checker returning an error text (or None) and a default (None = required)."""

    def __init__(self, check, default=None, required=False):
        self.check = check
        self.default = default
        self.required = required


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and v not in (float('inf'), float('-inf'))


def _int(lo=None, hi=None):
    def check(v):
        if not _is_number(v) or int(v) != v:
            return 'expected an integer' + _range_text(lo, hi)
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            return 'expected an integer' + _range_text(lo, hi)
        return None
    check.integer = True
    return check


def _num(lo=None, hi=None, positive=False):
    def check(v):
        bad = not _is_number(v) or (positive and v <= 0) or (lo is not None and v < lo) or (hi is not None and v > hi)
        if bad:
            return 'expected a number' + (' > 0' if positive else _range_text(lo, hi))
        return None
    return check


def _enum(values):
    def check(v):
        if v not in values:
            return 'expected one of ' + ', '.join(values)
        return None
    return check


def _range_text(lo, hi):
    if lo is not None and hi is not None:
        return ' from %s to %s' % (_fmt(lo), _fmt(hi))
    if lo is not None:
        return ' >= %s' % _fmt(lo)
    if hi is not None:
        return ' <= %s' % _fmt(hi)
    return ''


def _fmt(n):
    return str(int(n)) if float(n).is_integer() else str(n)


_duration = _Field(_int(0), 0)
_percent = _Field(_num(0, 100), 100)

SHAPES = {
    'crash': {
        'mode': _Field(_enum(CRASH_MODES), 'exit'),
        'exitCode': _Field(_int(0, 255), 1),
        'signal': _Field(_enum(CRASH_SIGNALS), 'SIGKILL'),
        'delayMs': _Field(_int(0), 0),
    },
    'hang': {'mode': _Field(_enum(HANG_MODES), 'block-loop'), 'durationMs': _duration},
    'leak': {
        'rateKBps': _Field(_num(positive=True), 10240),
        'capKB': _Field(_int(1), 512 * 1024),
        'space': _Field(_enum(LEAK_SPACES), 'offheap'),
        'durationMs': _duration,
    },
    'slow': {'delayMs': _Field(_int(1), required=True), 'percent': _percent, 'durationMs': _duration},
    'error': {'status': _Field(_int(400, 599), 500), 'percent': _percent, 'durationMs': _duration},
    'cpu-spin': {'dutyPercent': _percent, 'durationMs': _duration},
    'shutdown-hang': {},
}


def parse_worker_fault(raw, root='fault'):
    """Returns (True, spec with defaults filled in) or (False, "path: reason; path: reason")."""
    if not isinstance(raw, dict):
        return False, '%s: expected an object' % root
    kind = raw.get('kind')
    if kind not in SHAPES:
        return False, '%s.kind: expected one of %s' % (root, ', '.join(SHAPES))
    shape = SHAPES[kind]
    issues = []
    out = {'kind': kind}
    for key, field in shape.items():
        if key not in raw:
            if field.required:
                issues.append('%s.%s: required' % (root, key))
            else:
                out[key] = field.default
            continue
        err = field.check(raw[key])
        if err:
            issues.append('%s.%s: %s' % (root, key, err))
        else:
            v = raw[key]
            out[key] = int(v) if getattr(field.check, 'integer', False) else v
    unknown = sorted(k for k in raw if k != 'kind' and k not in shape)
    if unknown:
        issues.append('%s: unknown key%s %s' % (root, 's' if len(unknown) > 1 else '', ', '.join(unknown)))
    if issues:
        return False, '; '.join(issues)
    return True, out
