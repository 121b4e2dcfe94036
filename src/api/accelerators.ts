/**
 * The accelerators the API knows, one record each: what it runs (guest architecture), whether
 * it is software (runs anywhere) or needs the host's virtualization, its CPU models, and how
 * to load it. Everything that differs per accelerator outside the accelerator itself is a
 * field here, so `Hypervisor.open`, `attachVcpu` and `adoptVcpu` name none of them.
 *
 * Loading is lazy (dynamic imports): listing accelerators or their targets costs no engine.
 */
import { ArgumentRangeError, UnsupportedError } from './errors.js';
import type { AcceleratorHypervisor, AcceleratorName, AcceleratorVcpu, GuestArch, VcpuTransfer } from './hypervisor.js';

/** A CPU model an accelerator can create (`VcpuInit.target`). */
export interface TargetInfo {
  readonly name: string;
  readonly description: string;
  /** The CPU family, where kernels are built per family (e500: e500v2 or e500mc; x86: x86_64). */
  readonly family: string;
}

export interface AcceleratorInfo {
  readonly name: AcceleratorName;
  readonly arch: GuestArch;
  /** A software vCPU: available wherever the API runs. Otherwise it needs the host's hardware support. */
  readonly software: boolean;
  /** One phrase, for messages ("the software e500 vCPU"). */
  readonly description: string;
}

interface AcceleratorModule extends AcceleratorInfo {
  open(): Promise<AcceleratorHypervisor>;
  /** The CPU models, without opening the accelerator (no device needed). */
  targets(): Promise<readonly TargetInfo[]>;
  /** Loads what kicking this accelerator's vCPUs from the calling thread needs, if anything. */
  readonly prepareKick?: () => Promise<void>;
  /** Capability `vcpu-transfer`: binds a transferred vCPU to the calling thread. */
  readonly adopt?: (transfer: VcpuTransfer) => Promise<AcceleratorVcpu>;
}

const MODULES: Readonly<Record<AcceleratorName, AcceleratorModule>> = {
  e500: {
    name: 'e500',
    arch: 'ppc',
    software: true,
    description: 'the software e500 vCPU',
    open: async () => new (await import('../accel/e500/hypervisor.js')).E500Hypervisor(),
    targets: async () => (await import('../accel/e500/models.js')).e500Targets(),
  },
  kvm: {
    name: 'kvm',
    arch: 'x86_64',
    software: false,
    description: 'Linux KVM (/dev/kvm)',
    open: async () => (await import('../accel/kvm/hypervisor.js')).KvmHypervisor.open(),
    targets: async () => [{ name: 'host', description: 'the host CPU with every CPUID feature KVM supports', family: 'x86_64' }],
    prepareKick: async () => {
      await import('../accel/kvm/kick.js');
    },
    adopt: async (t) => (await import('../accel/kvm/vcpu.js')).adoptKvmVcpu(t),
  },
};

export const ACCELERATOR_NAMES: readonly AcceleratorName[] = Object.keys(MODULES) as AcceleratorName[];

/** The record of `name`, or an ArgumentRangeError naming the known ones. */
export function acceleratorModule(name: unknown): AcceleratorModule {
  const m = typeof name === 'string' && Object.hasOwn(MODULES, name) ? MODULES[name as AcceleratorName] : undefined;
  if (m === undefined) throw new ArgumentRangeError(`unknown accelerator ${JSON.stringify(name)}; choose one of: ${ACCELERATOR_NAMES.join(', ')}`);
  return m;
}

/** Every accelerator, as information. */
export function accelerators(): readonly AcceleratorInfo[] {
  return ACCELERATOR_NAMES.map((n) => {
    const { name, arch, software, description } = MODULES[n];
    return { name, arch, software, description };
  });
}

/** Whether a handle of `accel`'s vCPUs needs the accelerator loaded in the kicking thread. */
export function kickNeedsAccelerator(accel: string): boolean {
  return Object.hasOwn(MODULES, accel) && MODULES[accel as AcceleratorName].prepareKick !== undefined;
}

const ARCH_NAMES: Readonly<Record<GuestArch, string>> = { ppc: 'PowerPC', x86_64: 'x86-64' };

/** The accelerator to use for a guest of `arch`, and why it is not the one asked for (seed 003). */
export interface AcceleratorPlan {
  readonly accel: AcceleratorName;
  /** Set when `accel` is not what was asked for: one line saying what was asked, why not, and what is used. */
  readonly fallback?: string;
}

/**
 * Which accelerator runs a guest of `arch` (the machine `what`), given the one asked for
 * (undefined: the default, the hardware one where there is one, else the software one). An
 * accelerator for another architecture falls back to the software accelerator for `arch`
 * where one exists, with a line saying so; where none does, an UnsupportedError says what
 * would work. Seed 003: never silently, and only to a software accelerator.
 */
export function planAccelerator(arch: GuestArch, what: string, requested?: AcceleratorName): AcceleratorPlan {
  const forArch = ACCELERATOR_NAMES.map((n) => MODULES[n]).filter((m) => m.arch === arch);
  const software = forArch.find((m) => m.software);
  if (requested === undefined) {
    const chosen = forArch.find((m) => !m.software) ?? software;
    if (chosen === undefined) throw new UnsupportedError(`no accelerator runs ${ARCH_NAMES[arch]} guests (${what})`);
    return { accel: chosen.name };
  }
  const asked = acceleratorModule(requested);
  if (asked.arch === arch) return { accel: asked.name };
  const why = `the ${asked.name} accelerator runs ${ARCH_NAMES[asked.arch]} guests and ${what} is ${ARCH_NAMES[arch]}`;
  if (software === undefined) {
    const others = forArch.map((m) => `--accel ${m.name} (${m.description})`);
    throw new UnsupportedError(`${why}, and no software accelerator runs ${ARCH_NAMES[arch]} guests${others.length > 0 ? `; use ${others.join(' or ')}` : ''}`);
  }
  return { accel: software.name, fallback: `${why}: using the ${software.name} accelerator (${software.description}) instead` };
}

/**
 * After the planned accelerator failed to open (no device, no permission): the software
 * accelerator for `arch` to fall back to, with the line saying so, or undefined when there is
 * none (or it was the one that failed), so the caller reports the failure itself.
 */
export function fallbackAfterFailure(arch: GuestArch, failed: AcceleratorName, reason: string): AcceleratorPlan | undefined {
  const software = ACCELERATOR_NAMES.map((n) => MODULES[n]).find((m) => m.arch === arch && m.software);
  if (software === undefined || software.name === failed) return undefined;
  return { accel: software.name, fallback: `the ${failed} accelerator is not available here (${reason}): using the ${software.name} accelerator (${software.description}) instead` };
}
