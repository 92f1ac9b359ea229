// Errors raised by fault injectors, with stable codes so callers (the harness, the CLI) can branch on them
// without parsing messages. Codes:
//   LAB_ERR_NO_PROCESS     the target PID does not exist (already exited, or never did)
//   LAB_ERR_SIGNAL_DENIED  the PID exists but this process may not signal it (EPERM)
//   LAB_ERR_SIGNAL_FAILED  any other failure to deliver a signal (bad signal name, ...)

export type FaultErrorCode = 'LAB_ERR_NO_PROCESS' | 'LAB_ERR_SIGNAL_DENIED' | 'LAB_ERR_SIGNAL_FAILED';

export class FaultError extends Error {
  readonly code: FaultErrorCode;

  constructor(code: FaultErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaultError';
    this.code = code;
  }
}

export function isFaultError(err: unknown, code?: FaultErrorCode): err is FaultError {
  return err instanceof FaultError && (code === undefined || err.code === code);
}
