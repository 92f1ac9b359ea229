// Unit tests of the control-socket path plan for a container (no Docker needed): direct socket on a local engine
// with a private temp folder the container's user can write into and an owner record for `w3lab clean`, exec for an
// engine elsewhere or when asked, cleanup; the probe that confirms the direct path or falls back (w3's admin API,
// node-cluster's control endpoint).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { connectAdmin, connectOverPlan, planAdminAccess, W3_CONTAINER_ADMIN_DIR } from './admin-access';
import { NODE_CLUSTER_CONTROL_DIR, planNodeClusterControl } from './node-cluster-container';
import { readOwnerRecord } from './socket-folder';

const FALLBACK = '/run/w3/admin.sock';

describe('planAdminAccess', () => {
  it('a local engine: a bind-mounted temp folder (0700 parent, writable inner), never the run folder', () => {
    for (const dockerHost of [undefined, 'unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375']) {
      const plan = planAdminAccess(FALLBACK, { dockerHost });
      try {
        expect(plan.mode).toBe('socket');
        expect(plan.containerSocket).toBe(`${W3_CONTAINER_ADMIN_DIR}/admin.sock`);
        expect(plan.bind!.target).toBe(W3_CONTAINER_ADMIN_DIR);
        expect(plan.hostSocket).toBe(path.join(plan.bind!.source, 'admin.sock'));
        expect(plan.bind!.source.startsWith(os.tmpdir())).toBe(true);
        expect(fs.statSync(plan.bind!.source).mode & 0o777).toBe(0o777);
        expect(fs.statSync(path.dirname(plan.bind!.source)).mode & 0o777).toBe(0o700);
      } finally {
        plan.cleanup();
      }
      expect(fs.existsSync(path.dirname(plan.bind!.source))).toBe(false);
      plan.cleanup(); // idempotent
    }
  });

  it('an engine on another machine, or exec asked for: exec with the reason, nothing made on disk', () => {
    const remote = planAdminAccess(FALLBACK, { dockerHost: 'tcp://10.1.2.3:2376' });
    expect(remote).toMatchObject({ mode: 'exec', containerSocket: FALLBACK });
    expect(remote.reason).toMatch(/another machine/);
    expect(remote.bind).toBeUndefined();
    expect(planAdminAccess(FALLBACK, { prefer: 'exec', dockerHost: undefined })).toMatchObject({
      mode: 'exec',
      reason: 'exec requested (W3LAB_CONTAINER_ADMIN=exec)',
    });
    const saved = process.env.W3LAB_CONTAINER_ADMIN;
    try {
      process.env.W3LAB_CONTAINER_ADMIN = 'exec';
      expect(planAdminAccess(FALLBACK, { dockerHost: undefined }).mode).toBe('exec');
      process.env.W3LAB_CONTAINER_ADMIN = 'fast';
      expect(() => planAdminAccess(FALLBACK, { dockerHost: undefined })).toThrow(/W3LAB_CONTAINER_ADMIN=fast/);
    } finally {
      if (saved === undefined) delete process.env.W3LAB_CONTAINER_ADMIN;
      else process.env.W3LAB_CONTAINER_ADMIN = saved;
    }
  });

  it('a temp folder whose path is too long for a Unix socket: exec, and the folder is removed', () => {
    const deep = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-deep-'));
    const tmpDir = path.join(deep, 'x'.repeat(90));
    fs.mkdirSync(tmpDir);
    try {
      const plan = planAdminAccess(FALLBACK, { dockerHost: undefined, tmpDir });
      expect(plan.mode).toBe('exec');
      expect(plan.reason).toMatch(/too long/);
      expect(fs.readdirSync(tmpDir)).toEqual([]);
    } finally {
      fs.rmSync(deep, { recursive: true, force: true });
    }
  });
});

describe('connectAdmin', () => {
  it('a socket that never appears: falls back to exec after the probe, saying why', async () => {
    const plan = planAdminAccess(FALLBACK, { dockerHost: undefined });
    try {
      const calls: string[][] = [];
      const container = {
        name: 'fake',
        exec: async (argv: string[]) => {
          calls.push(argv);
          const stdout = JSON.stringify({ status: 200, body: '{"status":"ok"}' });
          return { exitCode: 0, output: stdout, stdout, stderr: '' };
        },
      };
      const access = await connectAdmin(plan, container, { probeMs: 150 });
      expect(access.mode).toBe('exec');
      expect(access.reason).toMatch(/did not answer: .*ENOENT/);
      expect(await access.client.request('GET', '/health')).toEqual({ status: 'ok' });
      // The exec client talks to the socket path w3 was configured with inside the container.
      expect(JSON.parse(calls[0]![3]!)).toMatchObject({ socketPath: plan.containerSocket });
    } finally {
      plan.cleanup();
    }
  });
});

describe('owner record and the node-cluster plan', () => {
  it('the folder carries its owner record (0600) before anything else; readOwnerRecord reads it back', () => {
    const owner = { token: 'host:1:2', runId: 'r1', runDir: '/results/r1' };
    const plan = planAdminAccess(FALLBACK, { dockerHost: undefined, owner });
    try {
      const root = path.dirname(plan.bind!.source);
      expect(readOwnerRecord(root)).toEqual(owner);
      expect(fs.statSync(path.join(root, 'owner.json')).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(root).sort()).toEqual(['owner.json', 's']);
    } finally {
      plan.cleanup();
    }
    const bare = planAdminAccess(FALLBACK, { dockerHost: undefined });
    try {
      expect(readOwnerRecord(path.dirname(bare.bind!.source))).toBe('none');
    } finally {
      bare.cleanup();
    }
  });

  it('node-cluster: the socket goes in its own mount point; an exec plan names no socket (the port is used)', () => {
    const plan = planNodeClusterControl({ prefer: 'auto', owner: { token: 't' } });
    try {
      if (process.env.DOCKER_HOST === undefined) {
        expect(plan).toMatchObject({ mode: 'socket', containerSocket: `${NODE_CLUSTER_CONTROL_DIR}/control.sock` });
        expect(plan.bind!.target).toBe(NODE_CLUSTER_CONTROL_DIR);
        expect(plan.hostSocket).toBe(path.join(plan.bind!.source, 'control.sock'));
      }
    } finally {
      plan.cleanup();
    }
    const exec = planNodeClusterControl({ prefer: 'exec' });
    expect(exec.mode).toBe('exec');
    expect(exec.containerSocket).toBeUndefined();
  });

  it('no temp folder can be made: exec, saying why', () => {
    const plan = planAdminAccess(FALLBACK, { dockerHost: undefined, tmpDir: path.join(os.tmpdir(), 'no', 'such') });
    expect(plan.mode).toBe('exec');
    expect(plan.reason).toMatch(/no temp folder for the socket: .*ENOENT/);
  });
});

describe('connectOverPlan', () => {
  const clients = (probe: (c: string) => Promise<void>) => ({
    direct: (socket: string) => `direct:${socket}`,
    exec: () => 'exec',
    probe,
    probeMs: 300,
  });

  it('the socket answers: the direct client, no reason', async () => {
    const plan = planAdminAccess(FALLBACK, { dockerHost: undefined });
    const server = http.createServer((_req, res) => res.end('{"status":"ok"}'));
    try {
      await new Promise<void>((r) => server.listen(plan.hostSocket!, r));
      const access = await connectAdmin(plan, { name: 'fake', exec: () => Promise.reject(new Error('no exec')) });
      expect(access.mode).toBe('socket');
      expect(access.reason).toBeUndefined();
      expect(await access.client.request('GET', '/health')).toEqual({ status: 'ok' });
    } finally {
      await new Promise((r) => server.close(r));
      plan.cleanup();
    }
  });

  it('only a socket not there yet is waited for: another error falls back at its first probe', async () => {
    const plan = planAdminAccess(FALLBACK, { dockerHost: undefined });
    try {
      let probes = 0;
      const refused = Object.assign(new Error('connect EACCES'), { code: 'EACCES' });
      // Wrapped twice, as a client that names the route around the socket's error does.
      const wrapped = new Error('GET /health failed', { cause: new Error('transport', { cause: refused }) });
      const access = await connectOverPlan(
        plan,
        clients(async () => {
          probes++;
          throw wrapped;
        }),
      );
      expect([access.mode, access.client, probes]).toEqual(['exec', 'exec', 1]);
      expect(access.reason).toBe('the bind-mounted socket did not answer: GET /health failed');
      let missing = 0;
      const enoent = Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' });
      const late = await connectOverPlan(
        plan,
        clients(async () => {
          missing++;
          throw new Error('transport', { cause: enoent });
        }),
      );
      expect(late.mode).toBe('exec');
      expect(missing).toBeGreaterThan(1);
    } finally {
      plan.cleanup();
    }
  });
});
