# The migration tests' and benchmark's busy guest (npm run bench -- migrate): every 100 ms a
# new value in each page of ngkvm.dirty_mib MiB (default 4) and a "tick N" line, until the
# host stops the machine. The counter is what shows a migration lost or repeated guest time.
mib=4
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ngkvm.dirty_mib=*) mib="${arg#ngkvm.dirty_mib=}" ;;
	esac
done
exec ngkvm-check dirty "$mib" 100
