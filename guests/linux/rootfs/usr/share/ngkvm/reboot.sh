# reboot(2) straight away (-f: not through init), so the kernel's restart path is all that runs.
echo "rebooting"
reboot -f
