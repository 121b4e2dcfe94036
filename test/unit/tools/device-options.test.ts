/**
 * The virtio options in QEMU's spelling (-drive, -netdev, -chardev, -device) as the CLI
 * parses them for each board, the mistakes each one names, and the raw-image backend's
 * refusal of container formats.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BoardError } from '../../../src/boards/errors.js';
import { parseDeviceOptions, splitQemuOptions, type DeviceOptionArgs } from '../../../src/tools/device-options.js';
import { UsageError } from '../../../src/tools/options.js';
import { FileBlockBackend } from '../../../src/vmm/virtio-backends/file-block.js';

const none: DeviceOptionArgs = { drive: [], netdev: [], chardev: [], device: [] };
const dir = mkdtempSync(join(tmpdir(), 'ngkvm-devopts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function usage(args: Partial<DeviceOptionArgs>, machine: 'ppce500' | 'x86-microvm', re: RegExp): void {
  assert.throws(() => parseDeviceOptions({ ...none, ...args }, machine), (e: unknown) => e instanceof UsageError && re.test(e.message), `expected a usage error matching ${re}`);
}

test('splitQemuOptions: a leading word, key=value pairs, ",," as a literal comma, a bare key as on', () => {
  const { head, props } = splitQemuOptions('socket,id=n0,path=/a,,b,server');
  assert.equal(head, 'socket');
  assert.deepEqual([...props], [['id', 'n0'], ['path', '/a,b'], ['server', 'on']]);
  assert.throws(() => splitQemuOptions('a,id=x,id=y'), UsageError);
});

test('-drive if=virtio is a virtio-blk device of the board\'s transport; if=none waits for a -device', () => {
  const pci = parseDeviceOptions({ ...none, drive: ['file=/d.img,if=virtio,format=raw,readonly=on'] }, 'ppce500');
  assert.deepEqual(pci.drives, [{ id: 'virtio0', file: '/d.img', readOnly: true }]);
  assert.deepEqual(pci.devices, [{ kind: 'blk', transport: 'pci', drive: 'virtio0' }]);
  const mmio = parseDeviceOptions({ ...none, drive: ['file=/d.img,if=none,id=d0'], device: ['virtio-blk-device,drive=d0,serial=abc,num-queues=2'] }, 'x86-microvm');
  assert.deepEqual(mmio.devices, [{ kind: 'blk', transport: 'mmio', drive: 'd0', serial: 'abc', queues: 2 }]);
  usage({ drive: ['file=/d.img,if=virtio,format=qcow2'] }, 'ppce500', /format=qcow2 is not supported.*qemu-img convert/);
  usage({ drive: ['file=/d.img,if=ide'] }, 'ppce500', /if=ide is not supported/);
  usage({ drive: ['file=/d.img,if=none,id=d0'] }, 'ppce500', /-drive d0 is not used by any -device/);
  usage({ drive: ['file=/d.img,if=none,id=d0'], device: ['virtio-blk-pci,drive=d1'] }, 'ppce500', /there is no -drive with id=d1/);
  usage({ device: ['virtio-blk-pci,drive=d0,serial=123456789012345678901'], drive: ['file=/d.img,if=none,id=d0'] }, 'ppce500', /longer than virtio-blk's 20 bytes/);
});

test('-netdev socket listen=/connect= and tap; each netdev has exactly one virtio-net', () => {
  const d = parseDeviceOptions(
    { ...none, netdev: ['socket,id=a,listen=:4321', 'socket,id=b,connect=10.0.0.1:4321', 'tap,id=t,ifname=tap0,script=no'], device: ['virtio-net-pci,netdev=a,mac=52:54:00:12:34:56', 'virtio-net-pci,netdev=b', 'virtio-net-pci,netdev=t'] },
    'ppce500',
  );
  assert.deepEqual(d.netdevs, [
    { kind: 'socket', id: 'a', mode: 'listen', host: '127.0.0.1', port: 4321 },
    { kind: 'socket', id: 'b', mode: 'connect', host: '10.0.0.1', port: 4321 },
    { kind: 'tap', id: 't', ifname: 'tap0' },
  ]);
  assert.deepEqual(d.devices[0], { kind: 'net', transport: 'pci', netdev: 'a', mac: '52:54:00:12:34:56' });
  usage({ netdev: ['socket,id=a,connect=:4321'], device: ['virtio-net-pci,netdev=a'] }, 'ppce500', /needs a host/);
  usage({ netdev: ['socket,id=a,listen=:1,connect=h:2'], device: ['virtio-net-pci,netdev=a'] }, 'ppce500', /exactly one of listen/);
  usage({ netdev: ['user,id=a'], device: ['virtio-net-pci,netdev=a'] }, 'ppce500', /"user" is not supported/);
  usage({ netdev: ['tap,id=a,ifname=t,script=/etc/qemu-ifup'], device: ['virtio-net-pci,netdev=a'] }, 'ppce500', /runs no script/);
  usage({ netdev: ['socket,id=a,listen=:1'], device: ['virtio-net-pci,netdev=a', 'virtio-net-pci,netdev=a'] }, 'ppce500', /already used by/);
  usage({ netdev: ['socket,id=a,listen=:1'], device: ['virtio-net-pci,netdev=a,mac=01:00:00:00:00:01'] }, 'ppce500', /multicast/);
});

test('-device: the transport must be the board\'s; virtconsole takes port 0, serial ports the next free numbers', () => {
  usage({ device: ['virtio-rng-device'] }, 'ppce500', /on ppce500 use virtio-rng-pci/);
  usage({ device: ['virtio-rng-pci'] }, 'x86-microvm', /on x86-microvm use virtio-rng-device/);
  usage({ device: ['virtio-rng-pci,disable-modern=on'] }, 'ppce500', /modern \(virtio 1\.x\) only/);
  usage({ device: ['virtio-rng-pci,addr=0x5'] }, 'ppce500', /addr= is not supported/);
  usage({ device: ['e1000'] }, 'ppce500', /"e1000" is not supported/);
  usage({ chardev: ['null,id=c'], device: ['virtconsole,chardev=c'] }, 'ppce500', /needs a virtio-serial device before it/);
  const d = parseDeviceOptions(
    { ...none, chardev: ['null,id=p', 'stdio,id=c', 'file,id=f,path=/tmp/x'], device: ['virtio-serial-pci,max_ports=4', 'virtserialport,chardev=p,name=org.x', 'virtconsole,chardev=c', 'virtserialport,chardev=f'] },
    'ppce500',
  );
  assert.deepEqual(d.devices, [
    {
      kind: 'serial',
      transport: 'pci',
      maxPorts: 4,
      ports: [
        { chardev: 'p', console: false, nr: 1, name: 'org.x' },
        { chardev: 'c', console: true, nr: 0 },
        { chardev: 'f', console: false, nr: 2 },
      ],
    },
  ]);
  usage({ chardev: ['null,id=a', 'null,id=b'], device: ['virtio-serial-pci,max_ports=1', 'virtconsole,chardev=a', 'virtserialport,chardev=b'] }, 'ppce500', /no free port/);
  usage({ chardev: ['socket,id=s,port=5'], device: ['virtio-serial-pci', 'virtconsole,chardev=s'] }, 'ppce500', /add server=on/);
});

test('disk images: raw files open with their size; qcow2 is refused with the conversion command; a missing file is one line', () => {
  const raw = join(dir, 'disk.raw');
  writeFileSync(raw, new Uint8Array(4096).fill(7));
  const b = FileBlockBackend.open(raw, true);
  assert.equal(b.size, 4096);
  assert.equal(b.readOnly, true);
  const got = new Uint8Array(512);
  b.read(512, got);
  assert.ok(got.every((x) => x === 7));
  b.close();
  const qcow = join(dir, 'disk.qcow2');
  writeFileSync(qcow, Uint8Array.of(0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3, ...new Uint8Array(1024)));
  assert.throws(() => FileBlockBackend.open(qcow, false), (e: unknown) => e instanceof BoardError && /is a qcow2 file.*qemu-img convert -f qcow2 -O raw/.test(e.message));
  assert.throws(() => FileBlockBackend.open(join(dir, 'nope.img'), false), (e: unknown) => e instanceof BoardError && /no such file/.test(e.message));
});

test('-device virtio-{blk,net,rng}-pci,socket=PATH: a device served by a device process (ppce500 only)', () => {
  const o = parseDeviceOptions({ ...none, device: ['virtio-blk-pci,socket=/run/b.sock,wait=on', 'virtio-rng-pci,socket=/run/r.sock', 'virtio-net-pci,socket=/run/n.sock,wait=on'] }, 'ppce500');
  assert.deepEqual(o.devices, [
    { kind: 'remote', transport: 'pci', virtio: 'blk', socket: '/run/b.sock', wait: true },
    { kind: 'remote', transport: 'pci', virtio: 'rng', socket: '/run/r.sock', wait: false },
    { kind: 'remote', transport: 'pci', virtio: 'net', socket: '/run/n.sock', wait: true },
  ]);
  usage({ device: ['virtio-net-pci,socket=/n,netdev=n0'] }, 'ppce500', /netdev= belongs to the device process .*--netdev socket/);
  usage({ device: ['virtio-net-pci,socket=/n,mac=52:54:00:12:34:56'] }, 'ppce500', /mac= belongs to the device process/);
  const con = parseDeviceOptions({ ...none, device: ['virtio-serial-pci,socket=/run/c.sock'] }, 'ppce500');
  assert.deepEqual(con.devices, [{ kind: 'remote', transport: 'pci', virtio: 'serial', socket: '/run/c.sock', wait: false }]);
  usage({ device: ['virtio-serial-pci,socket=/s', 'virtconsole,chardev=c0'] }, 'ppce500', /is in a device process \(socket=\), which serves its console itself/);
  usage({ device: ['virtio-serial-pci,socket=/s,max_ports=4'] }, 'ppce500', /max_ports= belongs to the device process/);
  usage({ device: ['virtio-blk-pci,socket=/b,num-queues=2'] }, 'ppce500', /num-queues= belongs to the device process/);
  usage({ device: ['virtio-blk-pci,socket=/b,drive=d0'] }, 'ppce500', /drive= belongs to the device process .*--drive file=IMG/);
  usage({ device: ['virtio-rng-pci,socket=/r,max-bytes=5'] }, 'ppce500', /unknown or unsupported property "max-bytes"/);
  usage({ device: ['virtio-blk-pci,wait=on'] }, 'ppce500', /wait= needs socket=PATH/);
  usage({ device: ['virtio-blk-device,socket=/b'] }, 'x86-microvm', /device processes are virtio-pci devices/);
  usage({ device: ['virtio-blk-pci,socket=/b', 'virtio-rng-pci,socket=/b'] }, 'ppce500', /socket \/b is already used/);
});
