# The userland benchmark (npm run bench -- linux): CPU-heavy jobs between markers the host
# times. ngkvm.bench_mib=N on the command line sets the data size (default 32 MiB).
mib=32
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ngkvm.bench_mib=*) mib="${arg#ngkvm.bench_mib=}" ;;
	esac
done
ngkvm-check gen "$mib" > /tmp/data
echo "bench: start sha256"
sha256sum /tmp/data
echo "bench: end sha256"
echo "bench: start gzip"
gzip -c /tmp/data | wc -c
echo "bench: end gzip"
