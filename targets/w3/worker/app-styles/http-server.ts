// Style "http.Server": a Node http.Server that was created but not started (`module.exports =
// http.createServer(handler)`). w3 never starts it — the worker has its own server — and serves requests with the
// server's 'request' listener(s) instead. A server already listening is refused: it would hold a port in every
// worker.
import http from 'node:http';
import { AppLoadError, type AppStyle, type LoadedApp, type RequestListener } from './types';

export const httpServerStyle: AppStyle = {
  name: 'http.Server',
  accepts: 'a Node http.Server that is not listening (its "request" listener is used)',
  matches: (value) => value instanceof http.Server,
  async adapt(value, what): Promise<LoadedApp> {
    const server = value as http.Server;
    if (server.listening) {
      throw new AppLoadError(
        `${what} is an http.Server that is already listening on ${JSON.stringify(server.address())}: ` +
          'export it without calling listen() (w3 serves it on its own socket)',
      );
    }
    const listeners = server.listeners('request') as RequestListener[];
    if (listeners.length === 0) throw new AppLoadError(`${what} is an http.Server without a "request" listener`);
    const listener: RequestListener =
      listeners.length === 1 ? listeners[0]! : (req, res) => listeners.forEach((l) => l.call(server, req, res));
    return { listener, style: 'http.Server' };
  },
};
