import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MmioBus, type MmioTarget } from '../../../src/devices/bus.js';
import { OpenPic } from '../../../src/devices/mpic/openpic.js';
import { FSL_PCI_HOST_SIZE, FslPciHost } from '../../../src/devices/pci/fsl-pci-host.js';
import { loadSections, saveSections } from '../../../src/devices/state.js';

const CCSR = 0xf_e000_0000;
const HOST = CCSR + 0x8000;
const MPIC = CCSR + 0x4_0000;
const CFG_ENABLE = 0x8000_0000;

/** A CPU bus with the host controller and an MPIC where QEMU's ppce500 has them. */
function machine() {
  const logs: string[] = [];
  const bus = new MmioBus(() => {});
  const mpic = new OpenPic(1, { setInt: () => {}, setCint: () => {}, setProxyMode: () => {} });
  bus.map(MPIC, 0x4_0000, mpic);
  const host = new FslPciHost({ cpu: bus, ccsrBase: CCSR, log: (l) => logs.push(l) });
  bus.map(HOST, FSL_PCI_HOST_SIZE, host);
  return { bus, host, mpic, logs };
}

/** CPU load of `size` bytes: the bytes in address order. */
function load(bus: MmioBus, addr: number, size: number): number[] {
  const data = new Uint8Array(size);
  bus.access(addr, false, data);
  return [...data];
}

function store(bus: MmioBus, addr: number, bytes: number[]): void {
  bus.access(addr, true, new Uint8Array(bytes));
}

const be32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const loadBe32 = (bus: MmioBus, addr: number) => load(bus, addr, 4).reduce((a, b) => a * 256 + b, 0);
const storeBe32 = (bus: MmioBus, addr: number, v: number) => store(bus, addr, be32(v));

/** Config space bytes as U-Boot's sequence reads them (stwbrx/lwbrx on CFG_DATA). */
function cfgSelect(bus: MmioBus, devfn: number, reg: number, busNo = 0): void {
  storeBe32(bus, HOST, (CFG_ENABLE | (busNo << 16) | (devfn << 8) | reg) >>> 0);
}

/** U-Boot's programming of outbound window 1 (CPU 0xC_0000_0000 → PCI 0xE000_0000, 512 MiB). */
function ubootWindows(bus: MmioBus): void {
  storeBe32(bus, HOST + 0xc20, 0x000e_0000);
  storeBe32(bus, HOST + 0xc28, 0x00c0_0000);
  storeBe32(bus, HOST + 0xc30, 0x8004_401c);
  storeBe32(bus, HOST + 0xc40, 0);
  storeBe32(bus, HOST + 0xc48, 0x00fe_1000);
  storeBe32(bus, HOST + 0xc50, 0x8008_800f);
}

/** BAR0 ← 0xE000_0000 and memory decoding on, as U-Boot leaves the host bridge. */
function ubootBridge(bus: MmioBus): void {
  cfgSelect(bus, 0, 0x10);
  store(bus, HOST + 4, [0x00, 0x00, 0x00, 0xe0]);
  cfgSelect(bus, 0, 0x04);
  store(bus, HOST + 4, [0x06, 0, 0, 0]);
}

test('host bridge config space through CFG_ADDR/CFG_DATA: every width and byte lane', () => {
  const { bus } = machine();
  cfgSelect(bus, 0, 0x00);
  assert.deepEqual(load(bus, HOST + 4, 4), [0x57, 0x19, 0x30, 0x00], 'vendor 0x1957, device 0x0030, little-endian');
  assert.deepEqual(load(bus, HOST + 4, 2), [0x57, 0x19]);
  assert.deepEqual(load(bus, HOST + 6, 2), [0x30, 0x00]);
  assert.deepEqual([4, 5, 6, 7].map((o) => load(bus, HOST + o, 1)[0]), [0x57, 0x19, 0x30, 0x00]);
  cfgSelect(bus, 0, 0x08);
  assert.deepEqual(load(bus, HOST + 4, 4), [0x00, 0x00, 0x20, 0x0b], 'class 0x0B20 (PowerPC processor), revision 0');
  cfgSelect(bus, 0, 0x2c);
  assert.deepEqual(load(bus, HOST + 4, 4), [0xf4, 0x1a, 0x00, 0x11], 'subsystem 0x1AF4:0x1100');
  const header: number[] = [];
  for (let reg = 0; reg < 0x40; reg += 4) {
    cfgSelect(bus, 0, reg);
    header.push(...load(bus, HOST + 4, 4));
  }
  const expected = new Array(0x40).fill(0);
  expected.splice(0, 4, 0x57, 0x19, 0x30, 0x00);
  expected.splice(0x0a, 2, 0x20, 0x0b);
  expected.splice(0x2c, 4, 0xf4, 0x1a, 0x00, 0x11);
  assert.deepEqual(header, expected, 'status/command 0, header type 0, no other BARs, no ROM, no interrupt pin');
});

test('CFG_ADDR: big-endian, full-word writes only, narrower reads give its low bytes (QEMU)', () => {
  const { bus, host } = machine();
  storeBe32(bus, HOST, 0x8000_002c);
  assert.equal(loadBe32(bus, HOST), 0x8000_002c);
  assert.deepEqual(load(bus, HOST, 2), [0x00, 0x2c]);
  assert.deepEqual(load(bus, HOST + 3, 1), [0x2c]);
  store(bus, HOST, [0x12, 0x34]);
  store(bus, HOST + 3, [0x08]);
  assert.equal(host.read(0, 4), 0x8000_002c, 'sub-word writes are ignored');
});

test('the low two CFG_ADDR bits shift the data window, and reads stop at the end of config space', () => {
  const { bus } = machine();
  cfgSelect(bus, 0, 0x01);
  assert.deepEqual([4, 5, 6, 7].map((o) => load(bus, HOST + o, 1)[0]), [0x19, 0x19, 0x00, 0x00], 'byte k is config byte (1 | k)');
  cfgSelect(bus, 0, 0x02);
  assert.deepEqual(load(bus, HOST + 4, 4), [0x30, 0x00, 0x00, 0x00]);
  cfgSelect(bus, 0, 0xfc);
  store(bus, HOST + 4, [0xf0, 0xde, 0xbc, 0x9a]);
  cfgSelect(bus, 0, 0xfe);
  assert.deepEqual(load(bus, HOST + 4, 4), [0xbc, 0x9a, 0x00, 0x00]);
  cfgSelect(bus, 0, 0xfd);
  store(bus, HOST + 4, [0xa1, 0xa2, 0xa3, 0xa4]);
  cfgSelect(bus, 0, 0xfc);
  assert.deepEqual(load(bus, HOST + 4, 4), [0xf0, 0xa1, 0xa2, 0xa3], 'the byte past 0xFF is dropped');
});

test('empty slots, other functions and buses, and a clear enable bit read all-ones of the access width', () => {
  const { bus, host } = machine();
  const probe = () => [load(bus, HOST + 4, 4), load(bus, HOST + 6, 2), load(bus, HOST + 7, 1)];
  const ones = [[0xff, 0xff, 0xff, 0xff], [0xff, 0xff], [0xff]];
  for (const devfn of [1 << 3, 31 << 3, 1, 7]) {
    cfgSelect(bus, devfn, 0);
    assert.deepEqual(probe(), ones, `devfn 0x${devfn.toString(16)}`);
  }
  cfgSelect(bus, 0, 0, 1);
  assert.deepEqual(probe(), ones, 'bus 1');
  storeBe32(bus, HOST, 0x7f00_0000);
  assert.deepEqual(probe(), ones, 'enable bit clear');
  storeBe32(bus, HOST, 0x0000_003c);
  store(bus, HOST + 4, [0x55, 0, 0, 0]);
  storeBe32(bus, HOST, 0xff00_0000);
  assert.deepEqual(load(bus, HOST + 4, 4), [0x57, 0x19, 0x30, 0x00], 'bits 30..24 are ignored');
  assert.equal(host.hostBridge.readConfig(0x3c, 1), 0, 'the disabled write went nowhere');
});

test('host bridge: writable bits of a generic QEMU PCI device', () => {
  const { bus, host } = machine();
  const writeWord = (reg: number, v: number) => {
    cfgSelect(bus, 0, reg);
    store(bus, HOST + 4, [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
  };
  for (let reg = 0; reg < 0x100; reg += 4) writeWord(reg, 0xffff_ffff);
  const f = host.hostBridge;
  assert.equal(f.readConfig(0x00, 4), 0x0030_1957, 'identity is read-only');
  assert.equal(f.readConfig(0x04, 4), 0x0000_0507, 'command: I/O, memory, master, SERR, INTx disable; status bits write-one-to-clear');
  assert.equal(f.readConfig(0x08, 4), 0x0b20_0000);
  assert.equal(f.readConfig(0x0c, 4), 0x0000_00ff, 'cache line size only');
  assert.equal(f.readConfig(0x10, 4), 0xfff0_0000, 'BAR0 sizing: 1 MiB, 32-bit memory');
  for (const reg of [0x14, 0x18, 0x1c, 0x20, 0x24, 0x28, 0x30, 0x34, 0x38]) assert.equal(f.readConfig(reg, 4), 0, `0x${reg.toString(16)}`);
  assert.equal(f.readConfig(0x2c, 4), 0x1100_1af4);
  assert.equal(f.readConfig(0x3c, 4), 0x0000_00ff, 'interrupt line only');
  assert.equal(f.readConfig(0x40, 4), 0xffff_ffff, 'past the header: plain storage');
  assert.equal(f.readConfig(0xfc, 4), 0xffff_ffff);
  writeWord(0x10, 0xe000_000f);
  assert.equal(f.readConfig(0x10, 4), 0xe000_0000, 'BAR type bits are read-only');
});

test('MSI: a write to BAR0+0x41740 through outbound window 1 reaches the MPIC MSIIR', () => {
  const { bus, host } = machine();
  ubootWindows(bus);
  ubootBridge(bus);
  storeBe32(bus, 0xc_0004_1740, 0x2500_0000);
  assert.equal(loadBe32(bus, MPIC + 0x1720), 0x2, 'MSISR: group 1 pending');
  assert.equal(loadBe32(bus, MPIC + 0x1610), 0x20, 'MSIR1 bit 5');
  // A bus master sees the same alias in PCI memory space.
  host.pci.memory.access(0xe004_1740, true, new Uint8Array(be32(0xe300_0000)));
  assert.equal(loadBe32(bus, MPIC + 0x1720), 0x80);
  assert.equal(loadBe32(bus, 0xc_0000_8c30), 0x8004_401c, 'the alias shows the controller itself');
});

test('BAR0 decodes only with memory enabled, at a non-zero address below the 4 GiB top', () => {
  const { bus } = machine();
  ubootWindows(bus);
  ubootBridge(bus);
  const seen = () => loadBe32(bus, 0xc_0000_8c20);
  assert.equal(seen(), 0x000e_0000);
  cfgSelect(bus, 0, 0x04);
  store(bus, HOST + 4, [0x04, 0, 0, 0]);
  assert.equal(seen(), 0, 'memory space disabled');
  store(bus, HOST + 4, [0x06, 0, 0, 0]);
  assert.equal(seen(), 0x000e_0000);
  cfgSelect(bus, 0, 0x10);
  store(bus, HOST + 4, [0xff, 0xff, 0xff, 0xff]);
  assert.equal(seen(), 0, 'sizing pattern: not decoded');
  storeBe32(bus, HOST + 0xc20, 0x000f_fe00);
  store(bus, HOST + 4, [0, 0, 0xe0, 0xff]);
  assert.equal(seen(), 0x000f_fe00, 'BAR at 0xFFE0_0000 decodes');
  storeBe32(bus, HOST + 0xc20, 0);
  store(bus, HOST + 4, [0, 0, 0, 0]);
  assert.equal(loadBe32(bus, 0xc_0004_1000), 0, 'BAR at 0 does not decode');
  store(bus, HOST + 4, [0, 0, 0x10, 0]);
  assert.equal(loadBe32(bus, 0xc_0014_1000), 0x00c3_0002, 'BAR at 0x10_0000: MPIC FRR');
});

test('outbound windows map, move, close, and stack as in QEMU', () => {
  const { bus } = machine();
  ubootBridge(bus);
  const ccsrVia = (cpu: number) => loadBe32(bus, cpu + 0x8c30);
  assert.equal(ccsrVia(0xc_0000_0000), 0, 'nothing mapped at reset');
  ubootWindows(bus);
  assert.equal(ccsrVia(0xc_0000_0000), 0x8004_401c);
  storeBe32(bus, HOST + 0xc28, 0x00c1_0000);
  assert.equal(ccsrVia(0xc_0000_0000), 0, 'old base released');
  assert.equal(ccsrVia(0xc_1000_0000), 0x8004_401c, 'new base');
  storeBe32(bus, HOST + 0xc28, 0x00c0_0000);
  storeBe32(bus, HOST + 0xc30, 0);
  assert.equal(ccsrVia(0xc_0000_0000), 0, 'disabled');
  storeBe32(bus, HOST + 0xc30, 0x8004_4013);
  assert.equal(ccsrVia(0xc_0000_0000), 0x8004_4013, '1 MiB window');
  assert.equal(loadBe32(bus, 0xc_0010_0000), 0, 'past its end');
  storeBe32(bus, HOST + 0xc24, 0x1234_5678);
  assert.equal(loadBe32(bus, 0xc_0000_8c24), 0x1234_5678, 'POTEAR is stored but does not move the window');

  // Window 4 over window 1, pointing at CCSR+0x8000: the higher-numbered window answers.
  storeBe32(bus, HOST + 0xc80, 0x000e_0008);
  storeBe32(bus, HOST + 0xc88, 0x00c0_0000);
  storeBe32(bus, HOST + 0xc90, 0x8004_4013);
  const cfgAddrView = () => loadBe32(bus, 0xc_0000_0000);
  assert.equal(cfgAddrView(), 0x8000_0004);
  storeBe32(bus, HOST + 0xc30, 0x8004_4013);
  assert.equal(cfgAddrView(), 0x8000_0004, 'reprogramming window 1 does not bring it forward');
  storeBe32(bus, HOST + 0xc90, 0x8000_003f);
  assert.equal(cfgAddrView(), 0, 'size code 0x3F is an empty window (QEMU wraps 2 << 63)');

  // A window over the CCSR itself stays below the CCSR devices.
  storeBe32(bus, HOST + 0xc60, 0x000e_0000);
  storeBe32(bus, HOST + 0xc68, 0x00fe_0000);
  storeBe32(bus, HOST + 0xc70, 0x8004_4013);
  assert.equal(loadBe32(bus, HOST + 0xc68), 0x00fe_0000);
  assert.equal(loadBe32(bus, CCSR + 0x5000), 0, 'a CCSR hole reached through the window does not loop');
});

test('window 2 reaches the empty 64 KiB I/O space at bus address 0: reads 0, writes ignored', () => {
  const { bus } = machine();
  ubootWindows(bus);
  ubootBridge(bus);
  store(bus, 0xf_e100_0000, [1, 2, 3, 4]);
  assert.deepEqual(load(bus, 0xf_e100_0000, 4), [0, 0, 0, 0]);
});

test('window mapping goes through the CPU space interface and reset closes the windows', () => {
  const calls: string[] = [];
  const host = new FslPciHost({
    cpu: {
      access: () => {},
      mapUnderlay: (base: number, size: number, t: MmioTarget, prio: number) => calls.push(`map ${t.name} 0x${base.toString(16)} 0x${size.toString(16)} ${prio}`),
      unmap: (t: MmioTarget) => calls.push(`unmap ${t.name}`),
    },
    ccsrBase: CCSR,
  });
  host.write(0xc48, 4, 0x00fe_1000);
  host.write(0xc50, 4, 0x8008_800f);
  host.write(0xc68, 4, 0xffff_ffff);
  host.write(0xc70, 4, 0x8000_0020);
  assert.deepEqual(calls, [
    'unmap pci-outbound-2',
    'unmap pci-outbound-2',
    'map pci-outbound-2 0xfe1000000 0x10000 1',
    'unmap pci-outbound-3',
    'unmap pci-outbound-3',
  ], 'a base beyond the 36-bit physical space maps nothing');
  host.write(0xc68, 4, 0x00ff_ffff);
  assert.equal(calls.at(-1), 'map pci-outbound-3 0xffffff000 0x1000 2', 'clipped at 2^36');
  calls.length = 0;
  host.reset();
  assert.deepEqual(calls, ['unmap pci-outbound-1', 'unmap pci-outbound-2', 'unmap pci-outbound-3', 'unmap pci-outbound-4']);
  assert.equal(host.read(0xc50, 4), 0);
  assert.equal(host.hostBridge.readConfig(0x10, 4), 0);
});

test('inbound windows: storage and PCI-to-CPU translation for bus masters', () => {
  const { host } = machine();
  assert.equal(host.pciToCpu(0x1000), undefined, 'closed at reset');
  host.write(0xde0, 4, 0);
  host.write(0xde8, 4, 0);
  host.write(0xdf0, 4, 0xa0f5_501e);
  assert.equal(host.pciToCpu(0x0123_4567), 0x0123_4567, "U-Boot's 2 GiB identity window");
  assert.equal(host.pciToCpu(0x8000_0000), undefined);
  host.write(0xdc0, 4, 0x0010_0000);
  host.write(0xdc8, 4, 0x0009_0000);
  host.write(0xdcc, 4, 0x1234);
  host.write(0xdd0, 4, 0x8000_0013);
  assert.equal(host.pciToCpu(0x9008_0000), 0x1_0008_0000, 'window 2: PCI 0x9000_0000 → CPU 0x1_0000_0000, 1 MiB');
  assert.equal(host.pciToCpu(0x9010_0000), undefined);
  assert.equal(host.read(0xdcc, 4), 0x1234, 'PIWBEAR is stored');
  host.write(0xdc4, 4, 0xffff_ffff);
  assert.equal(host.read(0xdc4, 4), 0, 'the reserved word after PITAR is not');
  host.write(0xdf0, 4, 0x2000_001e);
  assert.equal(host.pciToCpu(0x1000), undefined, 'disabled');
});

test('ATMU registers: sub-word accesses and the gasket timer as QEMU decodes them', () => {
  const { host } = machine();
  host.write(0xe20, 4, 0x1234_5678);
  assert.equal(host.read(0xe20, 4), 0x1234_5678);
  assert.equal(host.read(0xe3c, 4), 0x1234_5678, 'answers anywhere in 0xE20-0xE3F');
  host.write(0xe22, 2, 0x3456);
  assert.equal(host.read(0xe20, 4), 0x3456, 'a narrow write stores the zero-extended value');
  host.write(0xc20, 4, 0x000e_0000);
  assert.equal(host.read(0xc20, 2), 0, 'a narrow read gives the low bytes');
  assert.equal(host.read(0xc21, 1), 0, 'an offset inside a register decodes nothing');
  host.write(0xc2c, 4, 0xffff_ffff);
  assert.equal(host.read(0xc2c, 4), 0, 'POWBEAR is ignored');
  assert.equal(host.read(0xc00, 4), 0, 'window 0 is not modelled');
});

test("PCIe IP block revision 1 (0xBF8), which Linux's fsl_pci reads, reads 0 without a log line; other unknown offsets are logged", () => {
  const { host, logs } = machine();
  assert.equal(host.read(0xbf8, 4), 0);
  assert.deepEqual(logs, []);
  assert.equal(host.read(0xbfc, 4), 0);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /unmodelled register at offset 0xbfc \(4-byte access\)/);
});

test('guest garbage never throws: every offset, size and alignment', () => {
  const { bus, host, logs } = machine();
  ubootWindows(bus);
  ubootBridge(bus);
  for (let off = 0; off < FSL_PCI_HOST_SIZE; off++) {
    for (const size of [1, 2, 4, 8]) {
      if (off + size > FSL_PCI_HOST_SIZE) continue;
      load(bus, HOST + off, size);
      store(bus, HOST + off, new Array(size).fill(0xa5));
    }
  }
  for (const size of [1, 2, 3, 4]) {
    assert.doesNotThrow(() => host.read(0x1000, size));
    assert.doesNotThrow(() => host.write(0x2345, size, 0xffff_ffff));
  }
  assert.ok(logs.length >= 1 && logs.length < 10, `unknown offsets are logged, rate-limited (${logs.length} lines)`);
  assert.ok(logs.some((l) => /unmodelled register at offset 0x8 \(1-byte/.test(l)));
});

test('state: windows, the configuration address and the host bridge BAR carry over; the copy decodes the same addresses', () => {
  const a = machine();
  ubootBridge(a.bus);
  ubootWindows(a.bus);
  cfgSelect(a.bus, 0, 0x2c); // a configuration address left selected
  const b = machine();
  loadSections(saveSections([a.host, a.host.pci]), [b.host, b.host.pci]);
  assert.equal(loadBe32(b.bus, 0xc_0000_8c30), 0x8004_401c, 'CCSR through the outbound window and BAR0, as on the original');
  assert.deepEqual(load(b.bus, HOST, 4), load(a.bus, HOST, 4), 'CFG_ADDR');
  assert.deepEqual(load(b.bus, HOST + 4, 4), load(a.bus, HOST + 4, 4), 'CFG_DATA of the selected register');
  for (let off = 0xc20; off < 0xe00; off += 4) assert.equal(loadBe32(b.bus, HOST + off), loadBe32(a.bus, HOST + off), `ATMU 0x${off.toString(16)}`);
  const bare = machine();
  loadSections(saveSections([machine().host, machine().host.pci]), [bare.host, bare.host.pci]);
  assert.equal(loadBe32(bare.bus, 0xc_0000_8c30), 0, 'a reset state loads as closed windows');
});
