/**
 * A device process's level-triggered interrupt line, driven into the accelerator's irqEvent
 * with a resample notifier (KVM's irqfd resampler, seed 001): the interrupt never passes
 * through the machine's thread or its exit loop.
 *
 * The device reports its line's level on the route's event channel; a rising level signals
 * the trigger. The accelerator holds the interrupt controller's input until the guest's EOI,
 * then drops it and signals the resample notifier: if the device's line is still high, the
 * trigger is signalled again, so a line that stays asserted is seen again, as it would be on
 * a wire.
 */
import type { NotifierShare } from '../../api/shared-notifier.js';
import { SharedNotifier } from '../../api/shared-notifier.js';

export interface LevelIrqShares {
  readonly trigger: NotifierShare;
  readonly resample: NotifierShare;
}

export class LevelIrqForwarder {
  private level = false;
  private trigger: SharedNotifier | null = null;
  private resample: SharedNotifier | null = null;

  /** `onResample`: the guest acknowledged the interrupt (the device may want to know). */
  constructor(private readonly onResample: () => void = () => {}) {}

  /** The device's line, as it reported it (before or after `connect`). */
  setLevel(level: boolean): void {
    const rising = level && !this.level;
    this.level = level;
    if (rising) this.trigger?.signal();
  }

  /** The irqEvent's notifiers, once the machine has created it (on its thread). */
  connect(shares: LevelIrqShares): void {
    this.trigger = SharedNotifier.open(shares.trigger);
    const resample = SharedNotifier.open(shares.resample);
    this.resample = resample;
    if (this.level) this.trigger.signal();
    void this.resampleLoop(resample);
  }

  /** Stops listening (the machine ended); the notifiers belong to the machine. */
  close(): void {
    const r = this.resample;
    this.resample = null;
    this.trigger = null;
    // Ends the loop's wait; the notifier belongs to the machine, so it is not closed here.
    r?.wake();
  }

  private async resampleLoop(resample: SharedNotifier): Promise<void> {
    for (;;) {
      const signalled = await resample.waitAsync();
      if (this.resample !== resample || resample.closed) return;
      if (!signalled || resample.read() === 0) continue;
      this.onResample();
      if (this.level) this.trigger?.signal();
    }
  }
}
