/**
 * Region translator of the e500 engine: hot guest code becomes JavaScript functions that V8
 * can optimise.
 *
 * Design (issue 13; figures in bench/engine-notes.md):
 * - Semantics are written once, in the instruction definitions (insn/defs-*.ts): each
 *   definition is a template that emits JS through an `Ops` emitter. The interpreter's
 *   per-variant functions and the translator's inlined code are both generated from it; the
 *   state an instruction reads and writes is what its template asked the emitter for.
 * - A region has one entry (a hot block) and contains the blocks of the same 4 KiB page
 *   reachable from it by static edges that have run, up to a size limit. Its control flow is
 *   structured: blocks in reverse postorder, loops as labelled `for (;;)` with `continue` on
 *   back edges, forward edges as `break` out of labelled blocks; no dispatch switch. An
 *   irreducible edge, an edge to a block outside the region and every dynamic target leave
 *   the region.
 * - GPRs, CR fields, XER[SO/OV/CA], LR and CTR are JS locals, loaded at entry and stored once
 *   in a shared epilogue; a write that a liveness pass finds dead (overwritten before any
 *   read or region exit) is not emitted.
 * - Leaving a region goes through the epilogue with a code: chain (next PC known), stop (a
 *   fault or exit was recorded in the Cpu; no exceptions are thrown anywhere in the engine)
 *   or return to the engine. Chaining looks the target up through the instruction-side soft
 *   TLB and the page's block table (the same lookup serves `blr`/`bctr` targets: a return
 *   address cache in effect) and returns the next region, which the engine's trampoline
 *   calls; so region-to-region transfers never pass through block dispatch.
 * - Interrupts, timers and kicks are checked only where a region loops or chains (the
 *   instruction budget); instructions that change MSR, translation or timers end the region.
 * - Cold paths (soft-TLB misses, faults) contain no arithmetic, so that V8 does not deoptimise
 *   for missing type feedback when they first run; guest addresses are int32 everywhere
 *   inside the engine (kernel addresses above 2 GiB stay small integers in V8).
 */
export {};
