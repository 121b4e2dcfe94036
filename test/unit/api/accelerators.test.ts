/**
 * The accelerator records and the fallback policy (seed 003): which accelerator runs a
 * guest architecture, what happens when the one asked for cannot, and what never happens
 * silently.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentRangeError, Hypervisor, UnsupportedError, accelerators, fallbackAfterFailure, planAccelerator } from '../../../src/api/index.js';

test('each accelerator says what it runs and whether it is software', () => {
  assert.deepEqual(
    accelerators().map((a) => [a.name, a.arch, a.software]),
    [
      ['e500', 'ppc', true],
      ['kvm', 'x86_64', false],
    ],
  );
});

test('targets are listed without opening the accelerator (kvm needs no /dev/kvm for it), the same names as hv.targets()', async () => {
  const e500 = await Hypervisor.targets('e500');
  const hv = await Hypervisor.open({ accel: 'e500' });
  assert.deepEqual(e500.map((t) => t.name), [...hv.targets()]);
  assert.ok(e500.every((t) => t.description.length > 0 && (t.family === 'e500v2' || t.family === 'e500mc')));
  assert.deepEqual((await Hypervisor.targets('kvm')).map((t) => t.name), ['host']);
  await assert.rejects(Hypervisor.targets('hvf' as never), ArgumentRangeError);
  hv.close();
});

test('default: the hardware accelerator for the architecture, else the software one; no fallback line', () => {
  assert.deepEqual(planAccelerator('x86_64', 'x86-microvm'), { accel: 'kvm' });
  assert.deepEqual(planAccelerator('ppc', 'ppce500'), { accel: 'e500' });
  assert.deepEqual(planAccelerator('ppc', 'ppce500', 'e500'), { accel: 'e500' });
});

test('an accelerator for another architecture falls back to the software one, saying so in one line', () => {
  const plan = planAccelerator('ppc', 'ppce500', 'kvm');
  assert.equal(plan.accel, 'e500');
  assert.equal(plan.fallback, 'the kvm accelerator runs x86-64 guests and ppce500 is PowerPC: using the e500 accelerator (the software e500 vCPU) instead');
  assert.ok(!plan.fallback.includes('\n'));
});

test('where no software accelerator exists there is no fallback: a clear error', () => {
  assert.throws(
    () => planAccelerator('x86_64', 'x86-microvm', 'e500'),
    (e: unknown) => e instanceof UnsupportedError && /no software accelerator runs x86-64 guests; use --accel kvm \(Linux KVM/.test(e.message),
  );
});

test('an accelerator that fails to open falls back only to a software one for the same architecture', () => {
  assert.equal(fallbackAfterFailure('x86_64', 'kvm', '/dev/kvm does not exist'), undefined, 'x86-64 has no software accelerator');
  assert.equal(fallbackAfterFailure('ppc', 'e500', 'whatever'), undefined, 'the software one itself failed: nothing else to try');
  const ppc = fallbackAfterFailure('ppc', 'kvm', '/dev/kvm does not exist');
  assert.deepEqual(ppc, { accel: 'e500', fallback: 'the kvm accelerator is not available here (/dev/kvm does not exist): using the e500 accelerator (the software e500 vCPU) instead' });
});
