// Loads an application module whatever its module system: require() for CommonJS and for ES modules Node can
// load synchronously, and import() for an ES module that require() cannot load (top-level await, or a Node
// without require(esm)). import() is reached through a Function so the CommonJS build keeps it a real import()
// (the TypeScript compiler would turn it into require()).
import { pathToFileURL } from 'node:url';

const REQUIRE_CANNOT_LOAD = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE']);

// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the one way to keep import() in CommonJS output
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export async function importModule(file: string, load: (file: string) => unknown = require): Promise<unknown> {
  try {
    return load(file);
  } catch (err) {
    if (!REQUIRE_CANNOT_LOAD.has((err as NodeJS.ErrnoException)?.code ?? '')) throw err;
    return dynamicImport(pathToFileURL(file).href);
  }
}
