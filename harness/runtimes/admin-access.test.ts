// Unit tests of the admin path plan for a w3 container (no Docker needed): direct socket on a local engine with a
// private temp folder the container's user can write into, exec for an engine elsewhere or when asked, cleanup.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAdmin, planAdminAccess, W3_CONTAINER_ADMIN_DIR } from './admin-access';

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
