/**
 * DMA reads of PCI devices in device processes, served on the VMM's main thread (which reads
 * their event channels): a bus address goes through the host bridge's inbound windows, published
 * by the machine thread (DmaWindowTable), to a CPU physical address that must lie entirely in
 * guest RAM (at guest-physical 0, shared memory). Anything else is refused: only RAM is ever
 * reachable, never a device register.
 *
 * What differs from the in-process path (FslPciHost.dmaTranslate): a bus address that a BAR
 * claims is not told apart (it is translated like any other; the in-process bridge treats it
 * as peer-to-peer and refuses it); the result is RAM either way.
 *
 * DMA *writes* are not done here but on the machine thread (Ppce500Board.remoteDmaWrite): a
 * write must reach the accelerator's code cache (the e500's decoded code for the page is
 * dropped) and the dirty log, which only the thread that owns the VM can tell. Written here
 * behind the vCPU's back, a page cache page that once held decoded code would run stale.
 */
import { DmaWindowTable } from '../../devices/remote/pci-proxy.js';

export interface SharedRam {
  readonly ram: readonly Uint8Array[];
  readonly chunkBytes: number;
  readonly ramSize: number;
  readonly windows: SharedArrayBuffer;
}

export class PciDmaServer {
  private ram: SharedRam | undefined;
  private windows: DmaWindowTable | undefined;

  /** The machine is built: its RAM and inbound windows. */
  connect(ram: SharedRam): void {
    this.ram = ram;
    this.windows = new DmaWindowTable(ram.windows);
  }

  read(addr: number, length: number): Uint8Array | string {
    const cpu = this.resolve(addr, length);
    if (typeof cpu === 'string') return cpu;
    const out = new Uint8Array(length);
    this.copy(cpu, length, (chunk, at, done, n) => out.set(chunk.subarray(at, at + n), done));
    return out;
  }

  /** Why a DMA of `length` bytes at bus address `addr` is refused, or undefined: it reaches RAM. */
  check(addr: number, length: number): string | undefined {
    const cpu = this.resolve(addr, length);
    return typeof cpu === 'string' ? cpu : undefined;
  }

  private resolve(addr: number, length: number): number | string {
    const ram = this.ram;
    const windows = this.windows;
    if (ram === undefined || windows === undefined) return 'the machine is not running yet';
    const range = `[0x${addr.toString(16)}, 0x${(addr + length).toString(16)})`;
    const cpu = windows.translate(addr, length);
    if (cpu === undefined) return `bus addresses ${range}: no inbound window of the PCI host bridge maps them`;
    if (cpu < 0 || cpu + length > ram.ramSize) return `bus addresses ${range} reach CPU address 0x${cpu.toString(16)}, which is not guest RAM`;
    return cpu;
  }

  private copy(cpu: number, length: number, move: (chunk: Uint8Array, at: number, done: number, n: number) => void): void {
    const ram = this.ram!;
    for (let done = 0; done < length; ) {
      const index = Math.floor((cpu + done) / ram.chunkBytes);
      const at = (cpu + done) % ram.chunkBytes;
      const chunk = ram.ram[index]!;
      const n = Math.min(length - done, chunk.length - at);
      move(chunk, at, done, n);
      done += n;
    }
  }
}
