# VM-to-VM networking (test/guests/linux-virtio.test.ts, npm run bench -- virtio): eth0 gets
# ngkvm.ip (/24); the VM pings ngkvm.peer until it answers, then three more times, then one
# TCP transfer of ngkvm.net_mib MiB (default 1) with busybox nc: ngkvm.role=recv listens,
# ngkvm.role=send connects. Both print the data's SHA-256; the host times the transfer
# between the "bench:" markers.
mib=1
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ngkvm.ip=*) ip="${arg#ngkvm.ip=}" ;;
	ngkvm.peer=*) peer="${arg#ngkvm.peer=}" ;;
	ngkvm.role=*) role="${arg#ngkvm.role=}" ;;
	ngkvm.net_mib=*) mib="${arg#ngkvm.net_mib=}" ;;
	esac
done
ifconfig lo 127.0.0.1 up
ifconfig eth0 "$ip" netmask 255.255.255.0 up
echo "net: eth0 $ip, mac $(cat /sys/class/net/eth0/address), link $(cat /sys/class/net/eth0/operstate)"
if [ "$role" = recv ]; then
	nc -l -p 5000 < /dev/null > /tmp/recv &
	listener=$!
fi
tries=0
until ping -c 1 -W 2 "$peer" > /dev/null 2>&1; do
	tries=$((tries + 1))
	if [ $tries -ge 150 ]; then
		echo "net: $peer does not answer"
		exit 1
	fi
done
echo "net: $peer answers"
ping -c 3 "$peer" | grep 'packets transmitted'
if [ "$role" = send ]; then
	ngkvm-check gen "$mib" > /tmp/send
	echo "net: sending $(sha256sum < /tmp/send | cut -d ' ' -f 1)"
	echo "bench: start tcp"
	until nc "$peer" 5000 < /tmp/send 2> /dev/null; do sleep 1; done
	echo "net: sent"
else
	wait $listener
	echo "bench: end tcp"
	echo "net: received $(wc -c < /tmp/recv) bytes $(sha256sum < /tmp/recv | cut -d ' ' -f 1)"
fi
