# The disk part of the virtio benchmark (npm run bench -- virtio): sequential O_DIRECT writes
# and reads of ngkvm.bench_mib MiB (default 16) and ngkvm.bench_reads random 4 KiB reads
# (default 2000) on the scratch disk /dev/vdb, between markers the host times.
mib=16
reads=2000
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ngkvm.bench_mib=*) mib="${arg#ngkvm.bench_mib=}" ;;
	ngkvm.bench_reads=*) reads="${arg#ngkvm.bench_reads=}" ;;
	esac
done
echo "bench: start seqwrite"
ngkvm-check seqwrite /dev/vdb 0 "$mib"
echo "bench: end seqwrite"
echo "bench: start seqread"
ngkvm-check seqread /dev/vdb "$mib" "$mib"
echo "bench: end seqread"
echo "bench: start randread"
ngkvm-check randread /dev/vdb "$reads"
echo "bench: end randread"
