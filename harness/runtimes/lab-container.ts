// The few container settings testcontainers 11.14 has no builder method for, set on its protected HostConfig
// just before the container is created:
//   - Init: Docker's init (tini) as PID 1, so signals reach the server and orphaned workers are reaped;
//   - published ports bound to 127.0.0.1 only (testcontainers binds every interface);
//   - MemorySwap = Memory, so a memory quota cannot spill into swap and the kernel OOM killer acts on time.
import { GenericContainer, type StartedTestContainer } from 'testcontainers';

export class LabContainer extends GenericContainer {
  private initProcess = true;
  private loopbackOnly = true;

  withInit(enabled: boolean): this {
    this.initProcess = enabled;
    return this;
  }

  /** Publish ports on all interfaces of the engine's machine instead of 127.0.0.1 (for an engine elsewhere). */
  withPublicPorts(): this {
    this.loopbackOnly = false;
    return this;
  }

  override async start(): Promise<StartedTestContainer> {
    this.hostConfig.Init = this.initProcess;
    if (this.loopbackOnly && this.hostConfig.PortBindings) {
      const bindings = this.hostConfig.PortBindings as Record<string, Array<{ HostIp?: string; HostPort?: string }>>;
      for (const key of Object.keys(bindings)) {
        bindings[key] = (bindings[key] ?? []).map((b) => ({ ...b, HostIp: '127.0.0.1' }));
      }
    }
    if (this.hostConfig.Memory) this.hostConfig.MemorySwap = this.hostConfig.Memory;
    return super.start();
  }
}
