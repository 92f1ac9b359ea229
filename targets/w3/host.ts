// The w3 host process: the listener and the manager (its pools) plus the admin API and the event log. It never
// loads application code — workers do — and, unless fault injection is enabled, no fault code either (see
// fault-plugin/fault-plugin.ts). `W3Host.start(config)` is separate from the CLI so tests and the lab can run a host
// in-process; `stop()` drains every pool gracefully and always ends within stopDeadlineMs().
import { Listener } from './listener/listener';
import { FramedListener } from './listener/framed-listener';
import type { ListenerCore, ListenerStats } from './listener/listener-core';
import { AppPool } from './manager/app-pool';
import { HostLag } from './manager/host-lag';
import { EventLog } from './events/event-log';
import { AdminServer } from './admin/admin-server';
import { loadConfig } from './config';
import { RuntimeDir } from './util/runtime-dir';
import { loadHostFaultPlugin, type HostFaultPlugin } from './fault-plugin/fault-plugin';
import type { W3Config, PoolConfig, ApplicationConfig } from './config/types';
import type { Logger } from './util/logger';

export interface HostOptions {
  log: Logger;
  /**
   * Overrides config.faultInjection (the CLI's --enable-faults, W3_FAULT_TOKEN, --fault-token-file). `plugin` is the
   * fault plugin module to load when enabled (the CLI passes the lab's). No token (null or absent): the admin API's
   * own access control (the 0600 socket, the TCP bearer token) is all the fault routes require.
   */
  faultInjection?: { enabled: boolean; token?: string | null; plugin?: string };
}

/**
 * After the pools have drained, a response still going out to a slow reader gets at most this long before its
 * connection is closed; every other connection closes at once.
 */
const FLUSH_GRACE_MS = 2000;
/** Beyond shutdownTimeLimit: time for killed workers to be reaped, and the flush grace. */
const STOP_SLACK_MS = 5000;

export class W3Host {
  readonly pools = new Map<string, AppPool>();
  readonly events: EventLog;
  readonly faultInjection: { enabled: boolean; token: string | null };
  readonly faultPlugin: HostFaultPlugin | null;
  address = { host: '', port: 0 };
  adminTcpPort: number | null = null;
  private listener!: ListenerCore;
  /** The transport the host started with (effectiveTransport; a reload cannot switch it under running workers). */
  private transport: 'http' | 'frames' = 'http';
  private admin!: AdminServer;
  private runtimeDir!: RuntimeDir;
  private workerSeq = 0;
  private stopping: Promise<void> | null = null;
  /** Pools removed by a reload that are still draining (host stop waits for them too). */
  private readonly retiring = new Set<Promise<void>>();
  private readonly onProcessExit = (): void => this.runtimeDir?.remove();
  /** How late this process's loop runs, for every pool (a packing one starts its heartbeat). */
  private readonly hostLag = new HostLag();

  private constructor(
    private config: W3Config,
    private readonly log: Logger,
    opts: HostOptions,
  ) {
    this.events = new EventLog(log.child({ log: 'event' }));
    const fi = opts.faultInjection ?? config.faultInjection;
    this.faultInjection = { enabled: fi.enabled, token: fi.token ?? null };
    const plugin = opts.faultInjection?.plugin;
    if (fi.enabled && !plugin) throw new Error('fault injection is enabled but no fault plugin was given');
    this.faultPlugin = fi.enabled && plugin ? loadHostFaultPlugin(plugin) : null;
  }

  static async start(config: W3Config, opts: HostOptions): Promise<W3Host> {
    checkHostable(config);
    const host = new W3Host(config, opts.log, opts);
    await host.boot();
    return host;
  }

  private poolCtx(name: string) {
    return {
      events: this.events,
      log: this.log.child({ pool: name }),
      faultPlugin: this.faultPlugin?.workerModule ?? null,
      nextWorkerId: () => ++this.workerSeq,
      workerSocket: (id: number) => this.runtimeDir.workerSocket(id),
      transport: () => this.transport,
      requestQueueTimeout: () => this.config.timers.requestQueueTimeout,
      hostLag: this.hostLag,
    };
  }

  /**
   * The private runtime directory comes first (before any socket exists), then the admin socket (which refuses a
   * path a live server owns, so a second host with the same config fails here without touching the first), then the
   * public port. A failure at any step undoes the steps before it.
   */
  private async boot(): Promise<void> {
    this.runtimeDir = RuntimeDir.create();
    this.transport = effectiveTransport(this.config);
    if (this.transport !== this.config.listen.transport) {
      this.log.info(
        { transport: this.transport },
        'listen.transport is "frames", but a command-mode application speaks plain HTTP: the listener runs on HTTP',
      );
    }
    process.once('exit', this.onProcessExit);
    try {
      for (const p of this.config.pools)
        this.pools.set(p.name, new AppPool(p, appsOf(this.config, p), this.poolCtx(p.name)));
      const listenerLog = this.log.child({ component: 'listener' });
      this.listener =
        this.transport === 'frames'
          ? new FramedListener(this.config, this.pools, listenerLog)
          : new Listener(this.config, this.pools, listenerLog);
      this.admin = new AdminServer(this, this.log.child({ component: 'admin' }));
      await this.admin.listenSocket(this.config.admin.socket);
      if (this.config.admin.tcp) {
        const t = this.config.admin.tcp;
        this.adminTcpPort = await this.admin.listenTcp(t.host, t.port, t.token);
      }
      this.address = await this.listener.listen(this.config.listen.host, this.config.listen.port);
    } catch (err) {
      this.admin?.close();
      this.listener?.destroyConnections();
      // Flushed before the error goes up; a failing close must not replace that error.
      await this.listener?.httpErr.close().catch(() => undefined);
      this.releaseRuntimeDir();
      throw err;
    }
    this.events.emit({
      type: 'HostStarted',
      listen: this.address,
      admin: this.config.admin.socket,
      faultInjection: this.faultInjection.enabled,
    });
    for (const pool of this.pools.values()) pool.boot();
  }

  private releaseRuntimeDir(): void {
    process.off('exit', this.onProcessExit);
    this.runtimeDir.remove();
  }

  /** Connections, requests in flight and cache occupancy of the listener (GET /listener). */
  listenerStats(): ListenerStats {
    return this.listener.stats();
  }

  get adminSocket(): string {
    return this.config.admin.socket;
  }

  /**
   * Re-reads the configuration file (SIGHUP, `w3lab reload`, POST /reload). Pools whose settings or applications
   * changed take the new settings at once and are recycled (event 5080) unless disallowRotationOnConfigChange (then
   * running workers keep their code until they are replaced for another reason). New pools start; removed pools
   * leave routing at once (their URLs answer 404), their queued requests get 503, their workers drain (in-flight
   * requests finish, killed at shutdownTimeLimit) and their orphans are killed. A file that does not load or
   * validate is rejected as a whole: the running configuration stays. The listen address and admin socket are fixed
   * for the life of the host.
   */
  async reload(): Promise<{ ok: boolean; error?: string; recycled?: string[]; added?: string[]; removed?: string[] }> {
    if (!this.config.file) return { ok: false, error: 'this host was not started from a file' };
    let next: W3Config;
    try {
      next = loadConfig(this.config.file);
      checkHostable(next);
      if (this.transport === 'frames' && effectiveTransport(next) === 'http') {
        throw Object.assign(
          new Error(
            'a command-mode application needs the HTTP transport, and the listener runs on frames: the transport ' +
              'is chosen at start, restart w3 to add one',
          ),
          { code: 'W3_ERR_CONFIG' },
        );
      }
    } catch (err) {
      // A bad file never takes the running server down: keep the old configuration.
      this.events.emit({ type: 'ConfigReloadRejected', reason: (err as Error).message });
      return { ok: false, error: (err as Error).message };
    }
    const recycled: string[] = [];
    const added: string[] = [];
    const removed: string[] = [];
    for (const p of next.pools) {
      const apps = appsOf(next, p);
      const pool = this.pools.get(p.name);
      if (!pool) {
        const np = new AppPool(p, apps, this.poolCtx(p.name));
        this.pools.set(p.name, np);
        np.boot();
        added.push(p.name);
        continue;
      }
      const changed =
        JSON.stringify(pool.config) !== JSON.stringify(p) || JSON.stringify(pool.apps) !== JSON.stringify(apps);
      if (!changed) continue;
      pool.reconfigure(p, apps);
      if (
        !p.recycling.disallowRotationOnConfigChange &&
        pool.state === 'Started' &&
        pool.recycle('ConfigChange').length > 0
      ) {
        recycled.push(p.name);
      }
    }
    const gone: AppPool[] = [];
    for (const [name, pool] of this.pools) {
      if (next.pools.some((p) => p.name === name)) continue;
      // Out of the map now, so a pool of the same name in a later reload is a new pool, not this draining one.
      this.pools.delete(name);
      gone.push(pool);
      removed.push(name);
    }
    this.config = { ...next, listen: this.config.listen, admin: this.config.admin };
    this.listener.reconfigure(this.config);
    for (const pool of gone) {
      this.retiringPools.add(pool);
      const done: Promise<void> = pool.shutdown('pool-removed').finally(() => {
        this.retiring.delete(done);
        this.retiringPools.delete(pool);
      });
      this.retiring.add(done);
    }
    // requestQueueTimeout is a host setting: every pool's queue timer and tick may have changed.
    for (const pool of this.pools.values()) {
      pool.health.restart();
      pool.queue.reconfigure();
    }
    this.events.emit({ type: 'ConfigReloaded', recycled, added, removed });
    return { ok: true, recycled, added, removed };
  }

  /**
   * How long a stop may take at most: the longest shutdownTimeLimit of any pool (running or retiring) plus a bounded
   * slack for killed workers to be reaped and for the last responses to flush. The CLI ends the process at this
   * deadline whatever state requests or timers are in.
   */
  stopDeadlineMs(): number {
    let limit = 0;
    for (const p of [...this.pools.values(), ...this.retiringPools])
      limit = Math.max(limit, p.config.processModel.shutdownTimeLimit);
    return limit + STOP_SLACK_MS;
  }

  private readonly retiringPools = new Set<AppPool>();

  /**
   * Stops accepting connections and drains: requests in flight finish (each worker is killed at its pool's
   * shutdownTimeLimit), queued and new requests get 503, idle keep-alive connections close at once. Once every
   * worker has exited, each connection closes as soon as its last bytes are in the kernel: the stop ends then, not
   * after a fixed grace. Responses still going out to slow readers get up to FLUSH_GRACE_MS; then every remaining
   * connection is closed and the HTTPERR file is flushed and closed.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.events.emit({ type: 'HostStopping' });
      const closing = this.listener.close();
      await Promise.all([...[...this.pools.values()].map((p) => p.shutdown('host-stop')), ...this.retiring]);
      this.listener.closeOnceSent();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([closing, new Promise((r) => (grace = setTimeout(r, FLUSH_GRACE_MS)))]);
      clearTimeout(grace);
      this.listener.destroyConnections();
      await this.listener.httpErr.close();
      this.admin.close();
      this.hostLag.stop();
      this.releaseRuntimeDir();
    })();
    return this.stopping;
  }

  /** Writes buffered log lines synchronously (the CLI's exit and crash hooks). */
  flushLogsSync(): void {
    this.listener?.httpErr.flushSync();
  }

  /** Last resort at the stop deadline: SIGKILL every worker and orphan that is still alive. */
  killWorkers(): void {
    for (const pool of [...this.pools.values(), ...this.retiringPools]) pool.killAll();
    this.releaseRuntimeDir();
  }
}

function appsOf(config: W3Config, pool: PoolConfig): ApplicationConfig[] {
  return config.applications.filter((a) => a.pool === pool.name);
}

/**
 * The listener's transport: listen.transport, except that a configuration with a command-mode application runs the
 * HTTP transport for all its applications (such a worker speaks plain HTTP on its own port, never frames; one
 * listener serves one transport).
 */
export function effectiveTransport(config: W3Config): 'http' | 'frames' {
  if (config.listen.transport === 'frames' && config.applications.some((a) => a.command)) return 'http';
  return config.listen.transport;
}

/** What the schema cannot say on its own: a worker hosts either modules or exactly one command. */
function checkHostable(config: W3Config): void {
  for (const p of config.pools) {
    const apps = appsOf(config, p);
    const commands = apps.filter((a) => a.command);
    if (commands.length > 0 && apps.length > 1) {
      throw Object.assign(
        new Error(
          `invalid config ${config.file ?? ''}: pools.${config.pools.indexOf(p)}: ` +
            `pool "${p.name}" hosts a command application, which must be the pool's only application`,
        ),
        { code: 'W3_ERR_CONFIG' },
      );
    }
  }
}
