/**
 * A vCPU as a state section: every register the accelerator lets the VMM write (seed 001:
 * all guest-visible state as tag/value registers, pending events included), its MP state,
 * and for Book E cores the TLB array shared with the accelerator (seed 000). Registers go by
 * id, so a stream from another CPU model is refused by name rather than misread.
 */
import type { MpState, Vcpu } from '../api/hypervisor.js';
import type { BookeTlbView } from '../api/booke-tlb-view.js';
import type { RegisterId } from '../api/registers.js';
import { StateError, type DeviceState, type StateReader, type StateWriter } from '../devices/state.js';

/**
 * Registers that are not the guest's state: `tb_offset` is the time base relative to this
 * host's clock (the `tb` register carries the guest's time base instead).
 */
const HOST_RELATIVE = new Set(['tb_offset']);
const MP_STATES: readonly MpState[] = ['runnable', 'halted', 'stopped'];
const MAX_REGISTERS = 8192;

export class VcpuStateSection implements DeviceState {
  readonly stateId: string;
  readonly stateVersion = 1;

  constructor(
    private readonly vcpu: Vcpu,
    private readonly tlb?: BookeTlbView,
  ) {
    this.stateId = `cpu${vcpu.id}`;
  }

  private writable() {
    return this.vcpu.registerList().filter((d) => d.access !== 'read-only' && !HOST_RELATIVE.has(d.name));
  }

  saveState(w: StateWriter): void {
    const regs = this.writable();
    const values = this.vcpu.getRegisters(regs.map((d) => d.id));
    w.u32(regs.length);
    regs.forEach((d, k) => {
      w.u64(d.id);
      const words = Math.ceil(d.size / 8);
      w.u8(words);
      for (let i = 0; i < words; i++) w.u64(values[k]! >> BigInt(64 * i));
    });
    w.u8(MP_STATES.indexOf(this.vcpu.getMpState()));
    if (this.tlb !== undefined) {
      // The accelerator may hold entries it has not written back (kvm: KVM_DIRTY_TLB's reverse).
      this.tlb.refresh(this.vcpu);
      w.bytes(this.tlb.snapshot());
    }
  }

  loadState(r: StateReader): void {
    const byId = new Map(this.writable().map((d) => [d.id, d]));
    const count = r.u32();
    if (count > MAX_REGISTERS) throw new StateError(`${this.stateId}: ${count} registers is not a plausible count`);
    const values: [RegisterId, bigint][] = [];
    for (let k = 0; k < count; k++) {
      const id = r.u64() as RegisterId;
      const words = r.u8();
      let v = 0n;
      for (let i = 0; i < words; i++) v |= r.u64() << BigInt(64 * i);
      const d = byId.get(id);
      if (d === undefined) throw new StateError(`${this.stateId}: register 0x${id.toString(16)} is not a writable register of this CPU model (a snapshot of another CPU?)`);
      if (words !== Math.ceil(d.size / 8)) throw new StateError(`${this.stateId}: register ${d.name} comes in ${words} words, not ${Math.ceil(d.size / 8)}`);
      values.push([id, v]);
    }
    const mp = MP_STATES[r.u8()];
    if (mp === undefined) throw new StateError(`${this.stateId}: unknown MP state`);
    const tlb = this.tlb !== undefined ? r.bytes(16 * 1024 * 1024) : undefined;
    try {
      this.vcpu.setRegisters(values);
    } catch (err) {
      throw new StateError(`${this.stateId}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.vcpu.setMpState(mp);
    if (this.tlb !== undefined && tlb !== undefined) {
      try {
        this.tlb.restore(tlb);
      } catch (err) {
        throw new StateError(`${this.stateId}: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.tlb.sync(this.vcpu);
    }
  }
}
