// Errors of the checker registry. Each means the scenario (or the code registering a checker) asked for something
// the lab cannot check — a bad configuration (exit 254), never a verdict about the target.

export type CheckerErrorCode = 'LAB_ERR_UNKNOWN_CHECKER' | 'LAB_ERR_CHECKER_OPTIONS' | 'LAB_ERR_CHECKER_NAME';

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
