// Errors of the targets module, with stable codes (the CLI and the runner branch on `code`, never on messages):
//   LAB_ERR_UNKNOWN_TARGET   no target with that name (the message lists the known ones)
//   LAB_ERR_TARGET_NAME      registerTarget() got a bad or taken name
//   LAB_ERR_TARGET_SETTINGS  the scenario's settings for a target are invalid (path: reason)
//   LAB_ERR_TARGET_RUNTIME   the target cannot run in the requested runtime (process / container)
//   LAB_ERR_TARGET_START     the target did not come up (exited, or no readiness line in time); carries the log tail
//   LAB_ERR_TARGET_CONTROL   a control request (admin API, control endpoint) failed or was refused
//   LAB_ERR_FAULT            a fault could not be injected or healed (refused, rejected, or no answer)
//   LAB_ERR_TARGET_MISSING   a program the target needs is not installed (the message says what to install)

export type TargetErrorCode =
  | 'LAB_ERR_UNKNOWN_TARGET'
  | 'LAB_ERR_TARGET_NAME'
  | 'LAB_ERR_TARGET_SETTINGS'
  | 'LAB_ERR_TARGET_RUNTIME'
  | 'LAB_ERR_TARGET_START'
  | 'LAB_ERR_TARGET_CONTROL'
  | 'LAB_ERR_FAULT'
  | 'LAB_ERR_TARGET_MISSING';

export class TargetError extends Error {
  readonly code: TargetErrorCode;

  constructor(code: TargetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetError';
    this.code = code;
  }
}

export function isTargetError(err: unknown, code?: TargetErrorCode): err is TargetError {
  return err instanceof TargetError && (code === undefined || err.code === code);
}
