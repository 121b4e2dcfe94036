# UART1 (ttyS1) served by a device process (ngkvm device uart): a line out and a line back,
# both through the 8250 driver's interrupts (the receive side has no other way in).
exec 3<>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo
echo "ping from ttyS1" >&3
if read -t 60 line <&3; then
	echo "ttyS1 answered: $line"
else
	echo "ttyS1: no answer"
fi
exec 3<&-
