/**
 * Object shapes that stay put, for V8.
 *
 * V8 tracks per field whether it was ever reassigned after initialisation ("const") and
 * whether it holds small integers, doubles or objects. The first time that changes for an
 * object layout, every optimised function relying on it is thrown away: with hundreds of
 * translated regions reading the Cpu at entry, one late first write (the first data-TLB miss
 * storing DEAR, the first MMIO exit, a counter crossing 2^31) deoptimised all of them.
 * `settle` gives the fields of the engine's hot objects their final kind once, at
 * construction, before any code is optimised.
 */

/** Reassigns every number and boolean field (numbers named in `doubles` through a double). */
export function settle(obj: object, doubles: readonly string[] = []): void {
  const o = obj as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const v = o[key];
    if (typeof v === 'number') {
      o[key] = doubles.includes(key) ? 0.5 : v === 0 ? 1 : 0;
      o[key] = v;
    } else if (typeof v === 'boolean') {
      o[key] = !v;
      o[key] = v;
    }
  }
}

/** Stores each of `values` into the field and then restores it (object fields that change later). */
export function settleField(obj: object, key: string, values: readonly unknown[]): void {
  const o = obj as Record<string, unknown>;
  const v = o[key];
  for (const x of values) o[key] = x;
  o[key] = v;
}
