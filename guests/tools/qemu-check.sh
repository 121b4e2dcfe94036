#!/bin/sh
# Run every differential test guest on QEMU, twice per CPU, and check that
# each run exits with status 0 within the time limit and that both runs
# print exactly the same bytes.
#
#   tools/qemu-check.sh [--golden DIR] [BUILD]
#
# BUILD defaults to "build".  With --golden, the (checked) output of each
# test is also written to DIR/<cpu>/<name>.out.  A test that reads the
# console gets tests/[<cpu>/]<name>.input on stdin (else /dev/null); a test
# with tests/[<cpu>/]<name>.smp runs with that many CPUs.
# Environment: QEMU (default qemu-system-ppc), TIMEOUT (default 20 s).
set -u

QEMU=${QEMU:-qemu-system-ppc}
TIMEOUT=${TIMEOUT:-20}
golden=
if [ "${1:-}" = "--golden" ]; then
	golden=$2
	shift 2
fi
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

run() {	# cpu elf input out -> exit status
	timeout "$TIMEOUT" "$QEMU" -M ppce500 -cpu "$1" -smp "$smp" -m 256 -display none \
		-serial stdio -monitor none -net none -no-reboot -bios "$2" \
		<"$3" >"$4" 2>"$4.err"
}

fail=0
total=0
for cpu in e500v2 e500mc; do
	for elf in "$build/$cpu"/*.elf; do
		[ -e "$elf" ] || continue
		name=$(basename "$elf" .elf)
		input=/dev/null
		smp=1
		for f in "$here/tests/$cpu/$name.smp" "$here/tests/$name.smp"; do
			if [ -f "$f" ]; then smp=$(cat "$f"); break; fi
		done
		for f in "$here/tests/$cpu/$name.input" "$here/tests/$name.input"; do
			if [ -f "$f" ]; then input=$f; break; fi
		done
		total=$((total + 1))
		start=$(date +%s.%N)
		run "$cpu" "$elf" "$input" "$tmp/a"; rc1=$?
		end=$(date +%s.%N)
		run "$cpu" "$elf" "$input" "$tmp/b"; rc2=$?
		secs=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')
		problem=
		[ $rc1 -eq 0 ] || problem="exit status $rc1"
		[ $rc2 -eq 0 ] || problem="${problem:+$problem, }second run exit status $rc2"
		cmp -s "$tmp/a" "$tmp/b" || problem="${problem:+$problem, }outputs differ"
		grep -q UNEXPECTED "$tmp/a" && problem="${problem:+$problem, }UNEXPECTED interrupt"
		if [ -n "$problem" ]; then
			echo "FAIL $cpu $name: $problem"
			diff "$tmp/a" "$tmp/b" | head -5
			fail=$((fail + 1))
		else
			printf 'ok   %-7s %-14s %6s s %7s bytes\n' "$cpu" "$name" \
				"$secs" "$(wc -c <"$tmp/a")"
			if [ -n "$golden" ]; then
				mkdir -p "$golden/$cpu"
				cp "$tmp/a" "$golden/$cpu/$name.out"
			fi
		fi
	done
done
echo "$((total - fail))/$total passed"
[ $fail -eq 0 ]
