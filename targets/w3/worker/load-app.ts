// Turns whatever an application module exports into a Node request listener, so apps written for the usual
// frameworks run unchanged in a module-mode worker. Each export style is a small module in app-styles/; this file
// loads the module (CommonJS or ES module), awaits a promise export, tries the styles in a fixed order, and
// otherwise looks into the usual export names (`default`, the factories, `app`, `handler`, `listener`). When
// nothing fits, the error says what the module exports and what w3 accepts. A module that serves WebSocket (or any
// upgrade) also exports `upgrade(req, socket, head)` — what a Node server's 'upgrade' event would receive (e.g.
// `ws`'s handleUpgrade).
import { importModule } from './app-styles/import-module';
import { nestStyle } from './app-styles/nest';
import { fastifyStyle } from './app-styles/fastify';
import { koaStyle } from './app-styles/koa';
import { httpServerStyle } from './app-styles/http-server';
import { fetchFunctionStyle, fetchObjectStyle } from './app-styles/fetch-handler';
import { nodeListenerStyle } from './app-styles/node-listener';
import { factoryStyle, FACTORY_NAMES } from './app-styles/factory';
import {
  AppLoadError,
  type AppStyle,
  type LoadedApp,
  type RequestListener,
  type UpgradeListener,
} from './app-styles/types';

export { AppLoadError, type LoadedApp, type RequestListener, type UpgradeListener };

/**
 * Order matters where shapes overlap: a Nest app and a Fastify instance are objects checked before the generic
 * `{ fetch }`; a factory is recognised by its name before a zero-parameter function is taken for a fetch handler.
 */
const STYLES: readonly AppStyle[] = [
  nestStyle,
  fastifyStyle,
  koaStyle,
  httpServerStyle,
  fetchObjectStyle,
  nodeListenerStyle,
  factoryStyle,
  fetchFunctionStyle,
];

/** Export names looked into, in this order, when the export itself has no known shape. */
const INNER_KEYS: readonly string[] = ['default', ...FACTORY_NAMES, 'app', 'handler', 'listener'];

/** Nest → adapter instance, factory → result, default → ...: deeper than this is a cycle or a mistake. */
const MAX_DEPTH = 6;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/** A short description of an export for error messages: its type and, for objects, its keys and their types. */
export function describeExport(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'function')
    return `a function of ${v.length} parameter${v.length === 1 ? '' : 's'}${v.name ? ` (${v.name})` : ''}`;
  if (typeof v !== 'object') return `a ${typeof v} (${JSON.stringify(v)?.slice(0, 40)})`;
  const keys = Object.keys(v);
  const ctor = v.constructor?.name;
  const kind = ctor && ctor !== 'Object' ? `an object (${ctor})` : 'an object';
  if (keys.length === 0) return `${kind} with no keys`;
  const shown = keys.slice(0, 12).map((k) => {
    const x = (v as Record<string, unknown>)[k];
    return `${k}: ${typeof x === 'function' ? `function(${x.length})` : x === null ? 'null' : typeof x}`;
  });
  return `${kind} with keys { ${shown.join(', ')}${keys.length > 12 ? ', …' : ''} }`;
}

function noFit(value: unknown, what: string, file: string): AppLoadError {
  const accepted = STYLES.map((s) => `  - ${s.accepts}`).join('\n');
  return new AppLoadError(
    `application module ${file} exports no app w3 can serve: ${what} is ${describeExport(value)}.\n` +
      `w3 accepts, as module.exports, the default export or one of the exports ${INNER_KEYS.slice(1).join(', ')}:\n` +
      accepted,
  );
}

/** Resolves one export (and, through the styles, what it contains) to a listener. */
export async function resolveApp(
  exported: unknown,
  file: string,
  what = 'module.exports',
  depth = 0,
): Promise<LoadedApp> {
  if (depth > MAX_DEPTH) throw new AppLoadError(`application module ${file}: ${what} nests apps too deeply (a cycle?)`);
  let value = exported;
  if (isThenable(value)) {
    try {
      value = await value;
    } catch (err) {
      throw new AppLoadError(
        `application module ${file}: ${what} is a promise that rejected: ${(err as Error)?.message ?? err}`,
        {
          cause: err,
        },
      );
    }
  }
  const inner = (v: unknown, w: string): Promise<LoadedApp> => resolveApp(v, file, w, depth + 1);
  for (const style of STYLES) {
    if (style.matches(value)) return style.adapt(value, what, inner);
  }
  if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
    const o = value as Record<string, unknown>;
    for (const key of INNER_KEYS) {
      const v = o[key];
      if (v === undefined || v === null) continue;
      const w = key === 'default' ? 'the default export' : `export ${key}`;
      // `exports.createApp = function () {}` has that name anyway; a factory under another name does not.
      if (FACTORY_NAMES.includes(key) && typeof v === 'function') return factoryStyle.adapt(v, w, inner);
      return inner(v, w);
    }
  }
  throw noFit(value, what, file);
}

/** Loads an application module file and resolves its export to a listener (and its `upgrade` export, if any). */
export async function loadApp(file: string): Promise<LoadedApp> {
  const exported = await importModule(file);
  const app = await resolveApp(exported, file);
  const upgrade = toUpgradeListener(exported);
  return upgrade ? { ...app, upgrade } : app;
}

/** The module's `upgrade` export (on the module object, its default export, or the exported function), or null. */
export function toUpgradeListener(exported: unknown): UpgradeListener | null {
  const holders: unknown[] = [exported];
  if (exported && (typeof exported === 'object' || typeof exported === 'function')) {
    holders.push((exported as Record<string, unknown>)['default']);
  }
  for (const h of holders) {
    if (!h || (typeof h !== 'object' && typeof h !== 'function')) continue;
    const u = (h as Record<string, unknown>)['upgrade'];
    if (typeof u === 'function') return u as UpgradeListener;
  }
  return null;
}
