// Errors of the checker registry. Both mean the scenario asked for something the lab cannot check — a bad
// configuration (exit 254), never a verdict about the target.

export type CheckerErrorCode = 'LAB_ERR_UNKNOWN_CHECKER' | 'LAB_ERR_CHECKER_OPTIONS';

export class CheckerConfigError extends Error {
  override name = 'CheckerConfigError';
  constructor(
    readonly code: CheckerErrorCode,
    message: string,
    /** Where in the list of expectations the problem is, e.g. "expect[2].options.maxCrashes". */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
