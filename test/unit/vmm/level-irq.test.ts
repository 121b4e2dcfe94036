import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedNotifier } from '../../../src/api/shared-notifier.js';
import { LevelIrqForwarder } from '../../../src/vmm/remote/level-irq.js';

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

test('a device line into an irqEvent: raised on the rising edge, raised again at EOI while high, not once it is low', async () => {
  const trigger = SharedNotifier.create();
  const resample = SharedNotifier.create();
  let resamples = 0;
  const f = new LevelIrqForwarder(() => resamples++);
  f.setLevel(true); // before the machine is ready: remembered
  f.connect({ trigger: trigger.share(), resample: resample.share() });
  assert.equal(trigger.read(), 1, 'a line already high raises the interrupt once connected');
  f.setLevel(true);
  assert.equal(trigger.read(), 0, 'no edge, no signal');
  resample.signal(); // the guest's EOI while the line is still high
  await tick();
  assert.equal(resamples, 1);
  assert.equal(trigger.read(), 1, 'raised again');
  f.setLevel(false);
  resample.signal();
  await tick();
  assert.equal(resamples, 2);
  assert.equal(trigger.read(), 0, 'a low line is not raised again');
  f.setLevel(true);
  assert.equal(trigger.read(), 1);
  f.close();
  resample.signal();
  await tick();
  assert.equal(resamples, 2, 'closed: no longer listening');
});
