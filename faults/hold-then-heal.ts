// The window of a fault that has a heal step (a process or container pause): held for at least `ms` and until an
// optional body settles, then healed in finally — at once, without waiting out `ms`, when the body throws. Shared so
// that process and container pauses heal by the same rule.

export async function holdThenHeal<T>(
  ms: number,
  body: (() => T | Promise<T>) | undefined,
  heal: () => void | Promise<void>,
): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, ms));
    });
    const [, value] = await Promise.all([wait, (async () => (body ? body() : undefined))()]);
    return value;
  } finally {
    clearTimeout(timer);
    await heal();
  }
}
