// Packages only some lab features need — autocannon (the `client: autocannon` workload and the benchmarks) and
// testcontainers (`--runtime container`) — are optional peer dependencies: `npm install w3lab` does not pull them,
// so `w3lab serve` and the default lab (process runtime, tracked client) install and load without them. They are
// loaded when first used; a missing one is an error that says which feature needs it and how to add it.

export class MissingPackageError extends Error {
  readonly code = 'LAB_ERR_MISSING_PACKAGE';
  /** The user's setup to fix, like bad usage. */
  readonly exitCode = 254;
  constructor(
    readonly packageName: string,
    feature: string,
    range: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${feature} needs the "${packageName}" package, which is not installed: ` +
        `npm install --save-dev ${packageName}@${range}`,
      options,
    );
    this.name = 'MissingPackageError';
  }
}

export const OPTIONAL_PACKAGES = {
  autocannon: { range: '^8.0.0' },
  testcontainers: { range: '^11.14.0' },
} as const;

export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

function isMissing(err: unknown, name: string): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${name}'`);
}

/** Throws MissingPackageError unless `name` can be resolved from the lab's code. */
export function requirePackage(name: OptionalPackage, feature: string): void {
  try {
    require.resolve(name);
  } catch (err) {
    throw new MissingPackageError(name, feature, OPTIONAL_PACKAGES[name].range, { cause: err });
  }
}

/** `await import(name)`, with MissingPackageError when the package is not installed. */
export async function importOptional<T>(name: OptionalPackage, feature: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isMissing(err, name))
      throw new MissingPackageError(name, feature, OPTIONAL_PACKAGES[name].range, { cause: err });
    throw err;
  }
}
