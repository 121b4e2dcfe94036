/**
 * QEMU's spellings for disks, networks, consoles and the virtio devices, parsed into the
 * machine configuration:
 *
 *   -drive file=PATH,if=virtio|none[,id=ID][,format=raw][,readonly=on|off]
 *   -netdev socket,id=ID,listen=[HOST]:PORT | connect=HOST:PORT
 *   -netdev tap,id=ID,ifname=NAME[,script=no][,downscript=no]
 *   -chardev stdio|null,id=ID | file,id=ID,path=PATH | socket,id=ID,[host=HOST,]port=PORT,server=on[,wait=off]
 *   -device virtio-blk-pci|virtio-blk-device,drive=ID[,serial=S][,num-queues=N]
 *   -device virtio-net-pci|virtio-net-device,netdev=ID[,mac=52:54:00:…]
 *   -device virtio-rng-pci|virtio-rng-device
 *   -device virtio-serial-pci|virtio-serial-device[,max_ports=N]
 *   -device virtconsole|virtserialport,chardev=ID[,name=NAME][,nr=N]
 *
 * `-pci` devices need ppce500's PCI bus, `-device` (virtio-mmio) ones x86-microvm's
 * transports. Every combination that ngkvm does not implement is a usage error that says
 * what would work. Values with commas are written with two commas, as in QEMU.
 */
import { parseMac } from '../devices/virtio/net.js';
import type { ChardevSpec, ConsolePortConfig, DriveSpec, NetdevSpec, SerialSpec, VirtioDeviceSpec, VirtioTransportKind } from '../vmm/config.js';
import { UsageError } from './options.js';

export interface DeviceOptions {
  readonly drives: DriveSpec[];
  readonly netdevs: NetdevSpec[];
  readonly chardevs: ChardevSpec[];
  readonly devices: VirtioDeviceSpec[];
}

/** `a,b=c,d=e,,f` → a leading bare word and key/value pairs (",," is a literal comma). */
export function splitQemuOptions(text: string): { head: string | undefined; props: Map<string, string> } {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ',' && text[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  let head: string | undefined;
  const props = new Map<string, string>();
  parts.forEach((p, i) => {
    const eq = p.indexOf('=');
    if (eq < 0) {
      if (i === 0) head = p;
      else props.set(p, 'on');
    } else {
      const key = p.slice(0, eq);
      if (props.has(key)) throw new UsageError(`"${text}": ${key}= is given twice`);
      props.set(key, p.slice(eq + 1));
    }
  });
  return { head, props };
}

function onOff(what: string, key: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (['on', 'yes', 'true'].includes(v)) return true;
  if (['off', 'no', 'false'].includes(v)) return false;
  throw new UsageError(`${what}: ${key}=${v} is not on or off`);
}

function onlyKeys(what: string, props: Map<string, string>, allowed: readonly string[]): void {
  for (const k of props.keys()) {
    if (!allowed.includes(k)) throw new UsageError(`${what}: unknown or unsupported property "${k}" (ngkvm takes: ${allowed.join(', ')})`);
  }
}

function need(what: string, props: Map<string, string>, key: string): string {
  const v = props.get(key);
  if (v === undefined || v === '') throw new UsageError(`${what}: needs ${key}=`);
  return v;
}

function checkId(what: string, id: string, seen: Set<string>): string {
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(id)) throw new UsageError(`${what}: id "${id}" must start with a letter and use letters, digits, '-', '.' or '_' (as QEMU requires)`);
  if (seen.has(id)) throw new UsageError(`${what}: id "${id}" is used twice`);
  seen.add(id);
  return id;
}

function hostPort(what: string, text: string, needHost: boolean): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(text);
  if (m === null) throw new UsageError(`${what}: "${text}" is not HOST:PORT`);
  const host = m[1] === '' ? (needHost ? '' : '127.0.0.1') : m[1]!.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`${what}: "${text}" needs a host (e.g. 127.0.0.1:${m[2]})`);
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`${what}: port ${port} is out of range (0..65535)`);
  return { host, port };
}

export interface DeviceOptionArgs {
  readonly drive: readonly string[];
  readonly netdev: readonly string[];
  readonly chardev: readonly string[];
  readonly device: readonly string[];
}

/** Parses and cross-checks the options for a board with the given virtio transport. */
export function parseDeviceOptions(args: DeviceOptionArgs, machine: 'ppce500' | 'x86-microvm'): DeviceOptions {
  const transport: VirtioTransportKind = machine === 'ppce500' ? 'pci' : 'mmio';
  const ids = { drive: new Set<string>(), netdev: new Set<string>(), chardev: new Set<string>() };
  const drives: DriveSpec[] = [];
  const devices: VirtioDeviceSpec[] = [];
  let anonymous = 0;

  for (const text of args.drive) {
    const what = `-drive ${text}`;
    const { head, props } = splitQemuOptions(text);
    if (head !== undefined) throw new UsageError(`${what}: expected key=value pairs (file=PATH,if=virtio,format=raw)`);
    onlyKeys(what, props, ['file', 'if', 'id', 'format', 'readonly', 'media', 'cache', 'discard']);
    const file = need(what, props, 'file');
    const format = props.get('format') ?? 'raw';
    if (format !== 'raw') throw new UsageError(`${what}: format=${format} is not supported; ngkvm uses raw images (convert with: qemu-img convert -O raw IN OUT)`);
    const iface = props.get('if');
    if (iface !== 'virtio' && iface !== 'none') throw new UsageError(`${what}: ${iface === undefined ? 'give if=virtio (a virtio disk) or if=none (with -device …,drive=ID)' : `if=${iface} is not supported; use if=virtio or if=none`}`);
    if ((props.get('media') ?? 'disk') !== 'disk') throw new UsageError(`${what}: only media=disk`);
    const cache = props.get('cache');
    if (cache !== undefined && !['writeback', 'none', 'writethrough', 'directsync'].includes(cache)) throw new UsageError(`${what}: cache=${cache} is not supported (writeback, none, writethrough, directsync: ngkvm always flushes when the guest asks)`);
    const discard = props.get('discard');
    if (discard !== undefined && !['unmap', 'on', 'ignore', 'off'].includes(discard)) throw new UsageError(`${what}: discard=${discard} is not unmap or ignore`);
    const readOnly = onOff(what, 'readonly', props.get('readonly'), false);
    const id = props.has('id') ? checkId(what, props.get('id')!, ids.drive) : iface === 'virtio' ? checkId(what, `virtio${anonymous++}`, ids.drive) : undefined;
    if (id === undefined) throw new UsageError(`${what}: if=none needs id=ID for a -device to name it`);
    drives.push({ id, file, readOnly });
    if (iface === 'virtio') devices.push({ kind: 'blk', transport, drive: id });
  }

  const netdevs: NetdevSpec[] = [];
  for (const text of args.netdev) {
    const what = `-netdev ${text}`;
    const { head, props } = splitQemuOptions(text);
    const id = checkId(what, need(what, props, 'id'), ids.netdev);
    if (head === 'socket') {
      onlyKeys(what, props, ['id', 'listen', 'connect']);
      const listen = props.get('listen');
      const conn = props.get('connect');
      if ((listen === undefined) === (conn === undefined)) throw new UsageError(`${what}: give exactly one of listen=[HOST]:PORT and connect=HOST:PORT`);
      const hp = hostPort(what, (listen ?? conn)!, conn !== undefined);
      netdevs.push({ kind: 'socket', id, mode: listen !== undefined ? 'listen' : 'connect', ...hp });
    } else if (head === 'tap') {
      onlyKeys(what, props, ['id', 'ifname', 'script', 'downscript']);
      for (const k of ['script', 'downscript']) {
        const v = props.get(k);
        if (v !== undefined && v !== 'no') throw new UsageError(`${what}: ngkvm runs no ${k}; give ${k}=no and configure the interface yourself (ip link set NAME up, …)`);
      }
      netdevs.push({ kind: 'tap', id, ifname: need(what, props, 'ifname') });
    } else {
      throw new UsageError(`${what}: netdev type "${head ?? ''}" is not supported; use socket (listen=/connect=) or tap (ifname=)`);
    }
  }

  const chardevs: ChardevSpec[] = [];
  for (const text of args.chardev) {
    const what = `-chardev ${text}`;
    const { head, props } = splitQemuOptions(text);
    const id = checkId(what, need(what, props, 'id'), ids.chardev);
    let backend: SerialSpec;
    if (head === 'stdio' || head === 'null') {
      onlyKeys(what, props, ['id', 'signal', 'mux']);
      if (onOff(what, 'mux', props.get('mux'), false)) throw new UsageError(`${what}: mux=on is not supported`);
      backend = { kind: head };
    } else if (head === 'file') {
      onlyKeys(what, props, ['id', 'path']);
      backend = { kind: 'file', path: need(what, props, 'path') };
    } else if (head === 'socket') {
      onlyKeys(what, props, ['id', 'host', 'port', 'server', 'wait', 'nodelay', 'telnet']);
      if (!onOff(what, 'server', props.get('server'), false)) throw new UsageError(`${what}: ngkvm's socket chardev is a TCP server: add server=on`);
      if (onOff(what, 'telnet', props.get('telnet'), false)) throw new UsageError(`${what}: telnet=on is not supported`);
      const hp = hostPort(what, `${props.get('host') ?? ''}:${need(what, props, 'port')}`, false);
      backend = { kind: 'tcp', ...hp, wait: onOff(what, 'wait', props.get('wait'), true) };
    } else {
      throw new UsageError(`${what}: chardev type "${head ?? ''}" is not supported; use stdio, file, socket or null`);
    }
    chardevs.push({ id, backend });
  }

  let serialBus: { ports: ConsolePortConfig[]; maxPorts: number; name: string } | undefined;
  /** A virtio-serial device is in a device process (its ports are not configured here). */
  let remoteSerial = false;
  for (const text of args.device) {
    const what = `-device ${text}`;
    const { head, props } = splitQemuOptions(text);
    if (head === undefined) throw new UsageError(`${what}: name the device first (e.g. -device virtio-rng-pci)`);
    const m = /^virtio-(blk|net|rng|serial)-(pci|device)$/.exec(head);
    if (m !== null) {
      const kind = m[1] as 'blk' | 'net' | 'rng' | 'serial';
      const wants: VirtioTransportKind = m[2] === 'pci' ? 'pci' : 'mmio';
      if (wants !== transport) {
        throw new UsageError(
          `${what}: ${head} needs ${wants === 'pci' ? 'a PCI bus (ppce500 has one)' : 'virtio-mmio transports (x86-microvm has them)'}; on ${machine} use virtio-${kind}-${transport === 'pci' ? 'pci' : 'device'}`,
        );
      }
      const common = ['id', 'disable-legacy', 'disable-modern', 'romfile', 'bus', 'addr'];
      if (props.get('disable-legacy') !== undefined && !onOff(what, 'disable-legacy', props.get('disable-legacy'), true)) {
        throw new UsageError(`${what}: ngkvm's virtio-pci devices are modern only (disable-legacy=on)`);
      }
      if (onOff(what, 'disable-modern', props.get('disable-modern'), false)) throw new UsageError(`${what}: ngkvm's virtio devices are modern (virtio 1.x) only`);
      for (const k of ['bus', 'addr']) if (props.has(k)) throw new UsageError(`${what}: ${k}= is not supported (devices take PCI slots / transports in command-line order)`);
      const socket = props.get('socket');
      if (socket !== undefined || props.has('wait')) {
        // Served by a device process (`ngkvm device virtio-blk|virtio-rng --socket PATH`).
        if (socket === undefined || socket === '') throw new UsageError(`${what}: wait= needs socket=PATH (the device process's route socket)`);
        if (transport !== 'pci') throw new UsageError(`${what}: devices in device processes are virtio-pci devices (ppce500)`);
        if (kind !== 'blk' && kind !== 'rng' && kind !== 'net' && kind !== 'serial') throw new UsageError(`${what}: socket= is supported for virtio-blk-pci, virtio-net-pci, virtio-rng-pci and virtio-serial-pci; ${head} runs in the VMM only`);
        if (kind === 'serial' && props.has('max_ports')) throw new UsageError(`${what}: max_ports= belongs to the device process when socket= is given (ngkvm device virtio-serial --socket PATH)`);
        for (const k of ['drive', 'serial', 'num-queues']) {
          if (props.has(k)) throw new UsageError(`${what}: ${k}= belongs to the device process when socket= is given (ngkvm device virtio-blk --socket PATH --drive file=IMG[,readonly=on] [--serial S] [--num-queues N])`);
        }
        for (const k of ['netdev', 'mac']) {
          if (props.has(k)) throw new UsageError(`${what}: ${k}= belongs to the device process when socket= is given (ngkvm device virtio-net --socket PATH --netdev socket,listen=|connect=… [--mac MAC])`);
        }
        onlyKeys(what, props, [...common, 'socket', 'wait']);
        if (devices.some((d) => d.kind === 'remote' && d.socket === socket)) throw new UsageError(`${what}: socket ${socket} is already used by another device`);
        devices.push({ kind: 'remote', transport: 'pci', virtio: kind, socket, wait: onOff(what, 'wait', props.get('wait'), false) });
        // Its ports are the device process's: a virtconsole after it has no bus here.
        if (kind === 'serial') {
          serialBus = undefined;
          remoteSerial = true;
        }
        continue;
      }
      switch (kind) {
        case 'blk': {
          onlyKeys(what, props, [...common, 'drive', 'serial', 'num-queues']);
          const drive = need(what, props, 'drive');
          const serial = props.get('serial');
          if (serial !== undefined && new TextEncoder().encode(serial).length > 20) throw new UsageError(`${what}: serial "${serial}" is longer than virtio-blk's 20 bytes`);
          const nq = props.get('num-queues');
          const queues = nq === undefined ? undefined : Number(nq);
          if (queues !== undefined && (!Number.isInteger(queues) || queues < 1 || queues > 256)) throw new UsageError(`${what}: num-queues=${nq} (1 to 256)`);
          devices.push({ kind: 'blk', transport, drive, ...(serial !== undefined ? { serial } : {}), ...(queues !== undefined ? { queues } : {}) });
          break;
        }
        case 'net': {
          onlyKeys(what, props, [...common, 'netdev', 'mac']);
          const mac = props.get('mac');
          if (mac !== undefined) {
            const bytes = parseMac(mac);
            if (bytes === undefined) throw new UsageError(`${what}: mac=${mac} is not a MAC address (xx:xx:xx:xx:xx:xx)`);
            if ((bytes[0]! & 1) !== 0) throw new UsageError(`${what}: mac=${mac} is a multicast address`);
          }
          devices.push({ kind: 'net', transport, netdev: need(what, props, 'netdev'), ...(mac !== undefined ? { mac } : {}) });
          break;
        }
        case 'rng':
          onlyKeys(what, props, [...common, 'rng', 'max-bytes', 'period']);
          if (props.has('rng')) throw new UsageError(`${what}: rng= is not supported (the host's random source is always used)`);
          devices.push({ kind: 'rng', transport });
          break;
        case 'serial': {
          onlyKeys(what, props, [...common, 'max_ports']);
          const mp = props.get('max_ports');
          const maxPorts = mp === undefined ? 31 : Number(mp);
          if (!Number.isInteger(maxPorts) || maxPorts < 1 || maxPorts > 31) throw new UsageError(`${what}: max_ports=${mp} (1 to 31)`);
          serialBus = { ports: [], maxPorts, name: head };
          devices.push({ kind: 'serial', transport, maxPorts, ports: serialBus.ports });
          break;
        }
      }
      continue;
    }
    if (head === 'virtconsole' || head === 'virtserialport') {
      onlyKeys(what, props, ['id', 'chardev', 'name', 'nr', 'bus']);
      if (serialBus === undefined && remoteSerial) throw new UsageError(`${what}: the virtio-serial device before it is in a device process (socket=), which serves its console itself (ngkvm device virtio-serial --socket PATH)`);
      if (serialBus === undefined) throw new UsageError(`${what}: needs a virtio-serial device before it (-device virtio-serial-${transport === 'pci' ? 'pci' : 'device'})`);
      const console = head === 'virtconsole';
      const used = new Set(serialBus.ports.map((p) => p.nr));
      const nrText = props.get('nr');
      // QEMU: port 0 is kept for the first console; other ports take the lowest free number from 1.
      const nr = nrText !== undefined ? Number(nrText) : console && !used.has(0) ? 0 : [...Array(serialBus.maxPorts).keys()].find((n) => n > 0 && !used.has(n)) ?? -1;
      if (nrText !== undefined && (!Number.isInteger(nr) || nr < 0 || nr >= serialBus.maxPorts)) throw new UsageError(`${what}: nr=${nrText} (0 to ${serialBus.maxPorts - 1})`);
      if (nr < 0) throw new UsageError(`${what}: ${serialBus.name} has no free port (max_ports=${serialBus.maxPorts})`);
      if (used.has(nr)) throw new UsageError(`${what}: port ${nr} is taken`);
      if (nr === 0 && !console) throw new UsageError(`${what}: port 0 is for a virtconsole (as in QEMU)`);
      const name = props.get('name');
      serialBus.ports.push({ chardev: need(what, props, 'chardev'), console, nr, ...(name !== undefined ? { name } : {}) });
      continue;
    }
    throw new UsageError(
      `${what}: device "${head}" is not supported; ngkvm has virtio-blk-, virtio-net-, virtio-rng- and virtio-serial-${transport === 'pci' ? 'pci' : 'device'}, virtconsole and virtserialport${transport === 'pci' ? ', and uart1,socket=PATH (UART1 in another process)' : ''}`,
    );
  }

  // Every reference resolves, and every backend has exactly one user.
  const users = new Map<string, string>();
  const claim = (kind: string, id: string, known: Set<string>, by: string): void => {
    if (!known.has(id)) throw new UsageError(`${by}: there is no -${kind} with id=${id}`);
    const prev = users.get(`${kind}:${id}`);
    if (prev !== undefined) throw new UsageError(`${by}: -${kind} ${id} is already used by ${prev}`);
    users.set(`${kind}:${id}`, by);
  };
  devices.forEach((d, i) => {
    const by = `device ${i + 1} (virtio-${d.kind})`;
    if (d.kind === 'blk') claim('drive', d.drive, ids.drive, by);
    if (d.kind === 'net') claim('netdev', d.netdev, ids.netdev, by);
    if (d.kind === 'serial') for (const p of d.ports) claim('chardev', p.chardev, ids.chardev, `${by} port ${p.nr}`);
  });
  for (const [kind, set] of [['drive', ids.drive], ['netdev', ids.netdev], ['chardev', ids.chardev]] as const) {
    for (const id of set) if (!users.has(`${kind}:${id}`)) throw new UsageError(`-${kind} ${id} is not used by any -device`);
  }
  return { drives, netdevs, chardevs, devices };
}
