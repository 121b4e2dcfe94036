/**
 * Functions that generated instruction code calls by name (`Ops.h`): the shared pieces of
 * complex instructions (TLB management, SPR moves, FPU, SPE, …). Definition modules register
 * theirs when they load; the interpreter and the translator look them up here, so both call
 * the same function.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Helper = (...args: any[]) => any;

export const HELPERS: Record<string, Helper> = Object.create(null) as Record<string, Helper>;

export function registerHelpers(entries: Record<string, Helper>): void {
  for (const [name, fn] of Object.entries(entries)) {
    if (name in HELPERS && HELPERS[name] !== fn) throw new Error(`instruction helpers: ${name} registered twice`);
    HELPERS[name] = fn;
  }
}
