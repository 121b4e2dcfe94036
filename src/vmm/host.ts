/**
 * The main-thread side of a running machine: opens the serial ports' and the monitor's host
 * ends, starts the machine thread, turns device-timer deadlines, console input and monitor
 * command lines into requests to it, and reports how the run ended. The event loop never
 * blocks.
 */
import { MessageChannel } from 'node:worker_threads';
import { hostNowNs } from '../devices/clock.js';
import { Hypervisor } from '../api/index.js';
import type { RemoteVcpu } from '../api/threads.js';
import { GdbTcpServer } from './gdb/server.js';
import { CONTROL_BYTES, REQ_DEVICE, REQ_MIGRATION, REQ_GDB, REQ_INPUT, REQ_MONITOR, REQ_QUIT, REQ_TIMER, REQ_WORD, type DeviceMessage, type DmaWriteRequest, type MachineConfig, type MachineMessage } from './config.js';
import { LevelIrqForwarder } from './remote/level-irq.js';
import { RouteServer } from './remote/route-server.js';
import { PciDmaServer } from './remote/pci-dma.js';
import { pciFunctionRanges } from '../devices/remote/pci-proxy.js';
import { virtioPciFunctionSpec } from '../devices/virtio/pci-transport.js';
import { VIRTIO_ID } from '../devices/virtio/constants.js';
import { CCSR_BASE, UART1_OFFSET } from '../boards/ppce500/board.js';
import type { MachineWorkerData } from './machine-worker.js';
import { MachineThread } from './machine-thread.js';
import { MonitorChannel } from './monitor/channel.js';
import { MonitorSession } from './monitor/session.js';
import { MonitorUnixServer } from './monitor/unix-server.js';
import { createHostPorts, type HostIo, type HostPort } from './serial-host.js';
import { createNetdevHost } from './netdev-host.js';
import { HostSetupError } from './setup-error.js';
import { StdioTerminal } from './stdio-terminal.js';
import { SharedRing } from './ring.js';
import { ngkvmVersion } from './version.js';
import { MigrationHost } from './migration/host-side.js';
import { MIGRATION_SHARED_BYTES, MigrationShared } from './migration/transport.js';

export type { HostIo } from './serial-host.js';

export interface RunResult {
  readonly code: number;
  readonly reason: string;
  /** Set when the failure is the user's (bad file, bad size): print it without a stack trace. */
  readonly error?: { readonly message: string; readonly userError: boolean };
}

/**
 * Runs a machine until it ends. `thread`: a machine thread started ahead of time (ngkvm run
 * starts it before loading the CLI); without one, a new thread is started here.
 */
export async function runMachine(config: MachineConfig, io: HostIo, thread?: MachineThread): Promise<RunResult> {
  const controlBuf = new SharedArrayBuffer(CONTROL_BYTES);
  const control = new Int32Array(controlBuf);
  let vcpus: RemoteVcpu[] = [];
  let pendingBits = 0;
  /** The guest's output rings: a machine thread blocked writing to one is woken with every request. */
  let outRings: SharedRing[] = [];

  // Requests made before the machine thread is ready are delivered with the first kick.
  const request = (bits: number): void => {
    Atomics.or(control, REQ_WORD, bits);
    // A paused machine thread (monitor `stop`, gdb hold) sleeps on the request word rather
    // than in a vCPU.
    Atomics.notify(control, REQ_WORD);
    if (vcpus.length === 0) pendingBits |= bits;
    // The e500 vCPUs of a VM share one control block, but other accelerators need each kicked.
    for (const v of vcpus) v.kick();
    for (const r of outRings) r.wakeProducer();
  };
  const portHost = {
    inputAvailable: () => request(REQ_INPUT),
    quit: () => request(REQ_QUIT),
  };

  const version = ngkvmVersion();
  const monitorPorts = config.monitor.kind !== 'none' ? new MessageChannel() : undefined;
  const channel = monitorPorts !== undefined ? new MonitorChannel(monitorPorts.port1, () => request(REQ_MONITOR)) : undefined;
  const newSession = (write: (text: string) => Promise<void> | void): MonitorSession =>
    new MonitorSession({ execute: (line) => channel!.execute(line), write, version });

  // A virtio console port on stdio takes the terminal's serial-port end (no UART uses it then).
  const stdioSerial = config.serials.some((s) => s.kind === 'stdio') || (config.chardevs ?? []).some((c) => c.backend.kind === 'stdio');
  const terminal =
    stdioSerial || config.monitor.kind === 'stdio'
      ? new StdioTerminal(io, portHost, { serial: stdioSerial, ...(config.monitor.kind === 'stdio' ? { monitor: newSession } : {}) })
      : undefined;
  const ports: HostPort[] = createHostPorts(config.serials, io, portHost, terminal?.serialPort);
  const chardevPorts: HostPort[] = createHostPorts((config.chardevs ?? []).map((c) => c.backend), io, portHost, terminal?.serialPort);
  const netdevs = (config.netdevs ?? []).map((spec) => createNetdevHost(spec, () => request(REQ_INPUT), (l) => io.stderr.write(l + '\n')));
  outRings = [...ports, ...chardevPorts].flatMap((p) => (p.rings === null ? [] : [new SharedRing(p.rings.out)]));
  const monitorServer =
    config.monitor.kind === 'unix' ? new MonitorUnixServer(config.monitor.path, config.monitor.wait, newSession, (l) => io.stderr.write(l + '\n')) : undefined;
  const gdbPorts = config.gdb !== undefined ? new MessageChannel() : undefined;
  const gdbServer =
    config.gdb !== undefined ? new GdbTcpServer(config.gdb.host, config.gdb.port, gdbPorts!.port1, () => request(REQ_GDB), (l) => io.stderr.write(l + '\n')) : undefined;
  // Devices outside the VMM (ppce500 UART1): this thread listens and does the hello; the
  // machine thread gets each connection's access descriptor, and this thread drives the
  // device's interrupt line into the accelerator's irqEvent.
  const remoteVirtio = (config.devices ?? []).flatMap((d, index) => (d.kind === 'remote' ? [{ d, index }] : []));
  const devicePorts = (config.remoteDevices ?? []).length > 0 || remoteVirtio.length > 0 ? new MessageChannel() : undefined;
  const sendDevice = (m: DeviceMessage): void => {
    devicePorts!.port1.postMessage(m);
    request(REQ_DEVICE);
  };
  // Its interrupt line drives the irqEvent the board creates (connected when the machine is
  // ready), straight to the accelerator: the machine thread never handles it.
  let uart1Irq: LevelIrqForwarder | undefined;
  const deviceWaits: Promise<void>[] = [];
  const deviceServers: RouteServer[] = (config.remoteDevices ?? []).map((d) => {
    const send = (m: DeviceMessage): void => {
      devicePorts!.port1.postMessage(m);
      request(REQ_DEVICE);
    };
    const irq = new LevelIrqForwarder(() => server.resample(0));
    uart1Irq = irq;
    let connected = (): void => {};
    if (d.wait === true) deviceWaits.push(new Promise<void>((resolve) => (connected = resolve)));
    const server: RouteServer = new RouteServer({
      name: d.kind,
      path: d.socket,
      ranges: [{ space: 'mmio', base: CCSR_BASE + UART1_OFFSET, size: 8 }],
      guestOrder: 'big',
      // A UART does no DMA: it is granted no guest memory.
      memory: { kind: 'none' },
      irqLines: 1,
      log: (l) => io.stderr.write(l + '\n'),
      onAccess: (fd) => {
        send({ kind: 'access', fd });
        connected();
      },
      onIrq: (_line, level) => irq.setLevel(level),
      onMsi: () => {},
      dmaRead: async () => 'this device is granted no guest memory',
      dmaWrite: async () => 'this device is granted no guest memory',
    });
    return server;
  });
  // Virtio-pci functions in device processes: their accesses go from the machine thread's
  // PCI proxies over the access channel; their DMA is served here from guest RAM (shared
  // memory) through the host bridge's inbound windows; INTx and MSIs go to the machine
  // thread, which owns the PCI bus and the bus-master path to the MPIC.
  const pciDma = new PciDmaServer();
  // DMA writes are done by the machine thread (its own DMA path tells the accelerator's code
  // cache and the dirty log). They are checked here (inbound window, RAM) and acknowledged to
  // the device at once; what must see them waits until the machine thread did them: a DMA read
  // here waits for 'dma-done' of every earlier write, and the machine thread does the queued
  // writes before it takes an MSI or an INTx change (sent after them).
  const dmaPorts = remoteVirtio.length > 0 ? new MessageChannel() : undefined;
  let dmaId = 0;
  let writesInFlight = 0;
  let writesDone: (() => void)[] = [];
  const dmaWrite = (addr: number, bytes: Uint8Array): string | undefined => {
    const refused = pciDma.check(addr, bytes.length);
    if (refused !== undefined) return refused;
    const req: DmaWriteRequest = { id: dmaId++, addr, data: bytes.slice() };
    writesInFlight++;
    dmaPorts!.port1.postMessage(req);
    request(REQ_DEVICE);
    return undefined;
  };
  const afterWrites = (): Promise<void> => (writesInFlight === 0 ? Promise.resolve() : new Promise((resolve) => writesDone.push(resolve)));
  for (const { d, index } of remoteVirtio) {
    let connected = (): void => {};
    if (d.wait) deviceWaits.push(new Promise<void>((resolve) => (connected = resolve)));
    const placeholder = { name: 'placeholder', kind: 'window', access: () => {} } as const;
    deviceServers.push(
      new RouteServer({
        name: `virtio-${d.virtio}-pci`,
        path: d.socket,
        ranges: pciFunctionRanges(virtioPciFunctionSpec({ name: d.virtio, virtioId: d.virtio === 'blk' ? VIRTIO_ID.block : VIRTIO_ID.entropy, vectors: 2, msixTarget: placeholder, modernTarget: { ...placeholder } })),
        guestOrder: 'big',
        // Only RAM, and only through the host bridge's inbound windows (PciDmaServer).
        memory: { kind: 'all' },
        irqLines: 1,
        log: (l) => io.stderr.write(l + '\n'),
        onAccess: (fd) => {
          sendDevice({ kind: 'access', fd, device: index });
          connected();
        },
        onIrq: (_line, level) => sendDevice({ kind: 'intx', device: index, level }),
        onMsi: (address, data) => sendDevice({ kind: 'msi', address: Number(address), data }),
        dmaRead: async (addr, length) => {
          await afterWrites();
          return pciDma.read(addr, length);
        },
        dmaWrite: async (addr, bytes) => dmaWrite(addr, bytes),
      }),
    );
  }
  // Migration links are the main thread's sockets (migration/host-side.ts).
  const migrationPorts = new MessageChannel();
  const migrationShared = new SharedArrayBuffer(MIGRATION_SHARED_BYTES);
  const migration = new MigrationHost(migrationPorts.port1, new MigrationShared(migrationShared), (l) => io.stderr.write(l + '\n'), () => request(REQ_MIGRATION));
  const closeHostEnds = async (): Promise<void> => {
    migration.close();
    for (const s of deviceServers) s.close();
    uart1Irq?.close();
    await Promise.all([...ports.map((p) => p.close()), ...chardevPorts.map((p) => p.close()), ...netdevs.map((n) => n.close()), terminal?.close(), monitorServer?.close(), gdbServer?.close()]);
    channel?.close();
  };
  try {
    for (const p of ports) await p.open();
    for (const p of chardevPorts) await p.open();
    for (const n of netdevs) await n.open();
    await terminal?.open();
    await monitorServer?.open();
    await gdbServer?.open();
    for (const s of deviceServers) {
      try {
        await s.listen();
      } catch (err) {
        throw new HostSetupError('device', `--device socket: cannot listen: ${(err as NodeJS.ErrnoException).message}`, { cause: err });
      }
    }
    const incoming = config.incoming;
    if (incoming?.kind === 'tcp') {
      try {
        await migration.listen(incoming.host, incoming.port);
      } catch (err) {
        throw new HostSetupError('incoming', `--incoming tcp:${incoming.host}:${incoming.port}: cannot listen: ${(err as NodeJS.ErrnoException).message}`, { cause: err });
      }
    }
    if (deviceWaits.length > 0) {
      const waiting = [...(config.remoteDevices ?? []).filter((d) => d.wait === true).map((d) => d.socket), ...remoteVirtio.filter((r) => r.d.wait).map((r) => r.d.socket)];
      io.stderr.write(`ngkvm: waiting for the device process${waiting.length > 1 ? 'es' : ''} on ${waiting.join(', ')}\n`);
      await Promise.all(deviceWaits);
    }
  } catch (err) {
    await closeHostEnds().catch(() => {});
    if (err instanceof HostSetupError) return { code: 1, reason: 'error', error: { message: err.message, userError: true } };
    throw err;
  }

  const data: MachineWorkerData = {
    config,
    ports: ports.map((p) => p.rings),
    chardevs: chardevPorts.map((p) => p.rings),
    netdevs: netdevs.map((n) => n.rings),
    control: controlBuf,
    ...(monitorPorts !== undefined ? { monitor: { port: monitorPorts.port2, version } } : {}),
    ...(gdbPorts !== undefined ? { gdb: { port: gdbPorts.port2 } } : {}),
    ...(devicePorts !== undefined ? { device: { port: devicePorts.port2, ...(dmaPorts !== undefined ? { dma: dmaPorts.port2 } : {}) } } : {}),
    migration: { port: migrationPorts.port2, shared: migrationShared },
  };
  const worker = (thread ?? new MachineThread()).start(data, [
    ...(monitorPorts !== undefined ? [monitorPorts.port2] : []),
    ...(gdbPorts !== undefined ? [gdbPorts.port2] : []),
    ...(devicePorts !== undefined ? [devicePorts.port2] : []),
    ...(dmaPorts !== undefined ? [dmaPorts.port2] : []),
    migrationPorts.port2,
  ]);
  let timer: NodeJS.Timeout | undefined;
  const armTimer = (deadlineNs: number): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (deadlineNs === Infinity) return;
    const ms = Math.max(0, (deadlineNs - hostNowNs()) / 1e6);
    timer = setTimeout(() => {
      timer = undefined;
      request(REQ_TIMER);
    }, ms);
  };

  const result = await new Promise<RunResult>((resolve) => {
    worker.on('message', (msg: MachineMessage) => {
      switch (msg.type) {
        case 'ready':
          if (msg.remoteUart1Irq !== undefined) uart1Irq?.connect(msg.remoteUart1Irq);
          if (msg.remoteDma !== undefined) pciDma.connect(msg.remoteDma);
          // Async: kicking a kvm vCPU from here needs the kvm accelerator loaded in this thread.
          void Promise.all(msg.vcpus.map((v) => Hypervisor.attachVcpu({ accel: msg.accel, id: v.id, ownerThread: v.ownerThread, control: v.control }))).then(
            (attached) => {
              vcpus = attached;
              if (pendingBits !== 0) request(pendingBits);
              pendingBits = 0;
            },
            (err: unknown) => resolve({ code: 1, reason: 'error', error: { message: err instanceof Error ? err.message : String(err), userError: false } }),
          );
          break;
        case 'log':
          io.stderr.write(msg.line + '\n');
          break;
        case 'dma-done': {
          // Checked before it was acknowledged, so a refusal here is the in-process bridge's
          // stricter rule (a BAR claims the bus address): the write was dropped.
          if (msg.error !== undefined) io.stderr.write(`ngkvm: device DMA write dropped: ${msg.error}\n`);
          if (--writesInFlight === 0) {
            const waiting = writesDone;
            writesDone = [];
            for (const w of waiting) w();
          }
          break;
        }
        case 'timer':
          armTimer(msg.deadlineNs);
          break;
        case 'exit':
          resolve({ code: msg.code, reason: msg.reason });
          break;
        case 'error':
          resolve({ code: 1, reason: 'error', error: { message: msg.message, userError: msg.userError } });
          break;
      }
    });
    worker.on('error', (err) => resolve({ code: 1, reason: 'error', error: { message: err.stack ?? String(err), userError: false } }));
    worker.on('exit', (code) => resolve({ code: code === 0 ? 1 : code, reason: 'the machine thread ended unexpectedly' }));
  });
  if (timer !== undefined) clearTimeout(timer);
  // The machine thread is done with the rings: flush its last output, then let it go.
  await closeHostEnds();
  await worker.terminate();
  return result;
}
