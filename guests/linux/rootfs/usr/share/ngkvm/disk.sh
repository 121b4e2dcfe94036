# The virtio disk check (test/guests/linux-virtio.test.ts), with root on the virtio disk
# (root=/dev/vda): the state is kept on the disk itself, one step per boot.
#   boot 1: write a file, sync, reboot the guest       -> it must survive the reboot
#   boot 2: check it, write another, sync, wait         -> the host kills the VMM (SIGKILL)
#   boot 3: check both                                  -> they must survive the kill
state=/root/ngkvm-disk
mkdir -p $state
boots=$(cat $state/boots 2>/dev/null || echo 0)
boots=$((boots + 1))
echo $boots > $state/boots
sync
echo "disk: boot $boots, root $(awk '$2 == "/" { print $3, substr($4, 1, 2) }' /proc/mounts)"
case $boots in
1)
	ngkvm-check gen 2 > $state/one
	sha256sum $state/one > $state/one.sum
	sync
	echo "disk: wrote $(cut -d ' ' -f 1 $state/one.sum)"
	echo "disk: rebooting"
	reboot -f
	;;
2)
	sha256sum -c $state/one.sum > /dev/null 2>&1 && echo "disk: the file survived the reboot" || echo "disk: the file did not survive the reboot"
	ngkvm-check gen 3 | tr a-z A-Z > $state/two
	sha256sum $state/two > $state/two.sum
	sync
	echo "disk: synced $(cut -d ' ' -f 1 $state/two.sum)"
	# The host kills the VMM now; nothing written after the sync is needed.
	sleep 1000
	;;
*)
	sha256sum -c $state/one.sum $state/two.sum > /dev/null 2>&1 && echo "disk: both files survived the VMM kill" || echo "disk: a file did not survive the VMM kill"
	df -k / | awk 'NR == 2 { print "disk: filesystem of", $2, "KiB" }'
	;;
esac
