// Errors of the workloads module, with stable codes.

/** Invalid options given to a workload (bad URL, unbounded duration, …). */
export class WorkloadOptionsError extends Error {
  readonly code = 'LAB_ERR_WORKLOAD_OPTIONS';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkloadOptionsError';
  }
}

/** A workload could not run or its record sink failed. */
export class WorkloadError extends Error {
  readonly code = 'LAB_ERR_WORKLOAD';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkloadError';
  }
}
