# The userland check of the Linux tests (ngkvm.script=selftest): its output must be the same
# on QEMU and on ngkvm, so it prints nothing measured or timed.
echo "== cpuinfo"
cat /proc/cpuinfo
echo "== interrupt names"
# The counts differ from run to run; the sources and their names must not.
awk 'NR == 1 { print "cpus:", NF; next } { n = 0; for (i = 2; i <= NF; i++) if ($i !~ /^[0-9]+$/) { n = i; break } line = $1; if (n) for (i = n; i <= NF; i++) line = line " " $i; print line }' /proc/interrupts
echo "== processes and pipes"
seq 1 5000 | sort -rn | head -n 3
seq 1 1000 | awk '{ s += $1 } END { print "sum", s }' | tr a-z A-Z
for i in 1 2 3 4 5 6 7 8; do (echo "job $i" > /tmp/job.$i) & done; wait
cat /tmp/job.* | sort | md5sum
echo "== timers"
ngkvm-check sleep 250
sleep 1 && echo "slept 1 s"
echo "== fp"
ngkvm-check fp 20000
echo "== memory"
ngkvm-check mem 48
dd if=/dev/zero bs=1M count=16 2>/dev/null | sha256sum
echo "== segv"
ngkvm-check segv
echo "== rtc"
# The RTC holds the host's time: compare it with the system clock the kernel set from it.
rtc=$(hwclock -r -u -f /dev/rtc0 2>&1) && echo "rtc readable" || echo "hwclock failed: $rtc"
echo "== devices"
ls /sys/bus/platform/drivers | sort | tr '\n' ' '; echo
ls /sys/class/rtc /sys/class/gpio 2>/dev/null | sort | tr '\n' ' '; echo
echo "== done"
