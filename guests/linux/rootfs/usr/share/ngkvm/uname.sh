# Proof of life for boot-path tests (U-Boot's bootm): who we are and how we were started.
uname -a
cat /proc/cmdline
