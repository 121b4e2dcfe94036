# What Linux sees of the virtio devices (test/guests/linux-virtio.test.ts compares it with
# QEMU's): the PCI functions, the virtio bus, each device's negotiated features and
# sysfs attributes, the interrupt names, the driver messages. Nothing timed or random.
# Kernel messages stop going to the console first: one printed while this runs (the RNG's
# "crng init done" once hwrng is read, a link change) would split a line of the listing at a
# point that is timing. The driver messages are read from the log (dmesg) at the end.
dmesg -n 1
echo "== lspci"
lspci | sort
echo "== virtio bus"
for d in /sys/bus/virtio/devices/*; do
	echo "$(basename $d) device $(cat $d/device) vendor $(cat $d/vendor) status $(cat $d/status) driver $(basename $(readlink $d/driver)) on $(basename $(dirname $(readlink -f $d)))"
	echo "  features $(cat $d/features)"
	echo "  $(cat $d/modalias)"
done
if [ -e /sys/block/vda ]; then
	echo "== vda"
	cd /sys/block/vda
	echo "size $(cat size) ro $(cat ro) cache $(cat queue/write_cache) serial $(cat serial 2>/dev/null)"
	for f in logical_block_size physical_block_size minimum_io_size optimal_io_size max_segments max_segment_size max_hw_sectors_kb discard_granularity discard_max_hw_bytes write_zeroes_max_bytes rotational nr_requests; do
		echo "$f $(cat queue/$f)"
	done
	echo "queues $(ls mq | wc -l)"
	cd /
	dd if=/dev/vda bs=64k 2> /dev/null | sha256sum
fi
if [ -e /sys/class/net/eth0 ]; then
	echo "== eth0"
	for f in address mtu type carrier operstate addr_len tx_queue_len; do echo "$f $(cat /sys/class/net/eth0/$f)"; done
fi
if [ -e /sys/class/misc/hw_random ]; then
	echo "== hwrng"
	cat /sys/class/misc/hw_random/rng_available /sys/class/misc/hw_random/rng_current
	echo "read $(head -c 64 /dev/hwrng | wc -c) bytes"
fi
if [ -d /sys/class/virtio-ports ]; then
	echo "== ports"
	for p in /sys/class/virtio-ports/*; do echo "$(basename $p) name $(cat $p/name 2>/dev/null)"; done
	ls /dev | grep -E '^(hvc|vport)' | sort | tr '\n' ' '; echo
fi
echo "== interrupts"
awk '/virtio/ { print $NF, $(NF-2) }' /proc/interrupts | sort
echo "== dmesg"
dmesg | grep -i virtio
echo "== done"
