/**
 * Opening a Linux tap interface (`-netdev tap,ifname=NAME`): /dev/net/tun and the TUNSETIFF
 * ioctl through the project's native shim (its generic, size-checked ioctl), IFF_TAP |
 * IFF_NO_PI so each read and write is one Ethernet frame. Creating an interface, or
 * attaching to one owned by another user, needs CAP_NET_ADMIN; an interface made beforehand
 * with `ip tuntap add dev NAME mode tap user $USER` can be opened without it. The host side
 * (addresses, bridge) is the user's to configure, as with QEMU's `script=no`.
 */
import { loadShim, errnoName, O_RDWR } from '../../sys/native.js';

/** _IOW('T', 202, int): the kernel reads a whole struct ifreq (40 bytes) from the buffer. */
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;

export class TapError extends Error {
  readonly code = 'ERR_TAP';
}

/** Opens (creating it if needed and allowed) the tap interface `ifname`; returns its descriptor. */
export function openTap(ifname: string): number {
  const name = new TextEncoder().encode(ifname);
  if (name.length === 0 || name.length >= IFNAMSIZ || name.includes(0) || ifname.includes('/')) {
    throw new TapError(`tap interface name "${ifname}" must have 1 to ${IFNAMSIZ - 1} bytes and no '/'`);
  }
  let shim;
  try {
    shim = loadShim();
  } catch (cause) {
    throw new TapError(`-netdev tap needs the native addon that opens /dev/net/tun: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const fd = shim.open('/dev/net/tun', O_RDWR);
  if (fd < 0) {
    const e = errnoName(fd);
    throw new TapError(
      e === 'ENOENT' ? 'cannot open /dev/net/tun: the host has no tun/tap driver' : `cannot open /dev/net/tun: ${e}${e === 'EACCES' || e === 'EPERM' ? ' (it needs access to /dev/net/tun, usually root)' : ''}`,
    );
  }
  // struct ifreq { char ifr_name[16]; short ifr_flags; … } padded to 40 bytes. The buffer
  // holds all 40 bytes the kernel copies in and out, which the shim's check (the request's
  // encoded size, 4) does not cover by itself.
  const ifr = new Uint8Array(IFREQ_SIZE);
  ifr.set(name, 0);
  new DataView(ifr.buffer).setInt16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
  const r = shim.ioctl(fd, TUNSETIFF, ifr);
  if (r < 0) {
    shim.close(fd);
    const e = errnoName(r);
    throw new TapError(
      `cannot attach to tap interface "${ifname}": ${e}` +
        (e === 'EPERM' ? ' (creating a tap, or using one that belongs to another user, needs CAP_NET_ADMIN; or create it first: ip tuntap add dev ' + ifname + ' mode tap user $USER)' : '') +
        (e === 'EBUSY' ? ' (another program has it open)' : '') +
        (e === 'EINVAL' ? ' (is it a tun interface rather than a tap?)' : ''),
    );
  }
  return fd;
}

export function closeTap(fd: number): void {
  loadShim().close(fd);
}
