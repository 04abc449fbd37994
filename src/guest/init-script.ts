/**
 * The reference guest's /init (run by the kernel as PID 1 from the initramfs, with /dev/console as
 * stdin/stdout/stderr). It mounts proc, sys and dev, installs the busybox applet links, prints the
 * banner and BOOT-OK (the markers tests and ../shared/peers wait for), then runs a shell with the
 * serial console as its controlling terminal (cttyhack finds the real tty, setsid makes it a
 * session leader, so Ctrl-C and job control work). Leaving the shell powers the machine off.
 *
 * Kernel command-line switches read by this script:
 *   x86jit.poweroff   power off right after BOOT-OK (boot-time measurements, smoke tests)
 */

export const BANNER = 'x86jit reference guest: busybox shell';
export const BOOT_OK = 'BOOT-OK';

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /root /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=vt100
cd /root
echo "${BANNER}"
echo ${BOOT_OK}
case " $(cat /proc/cmdline) " in
*" x86jit.poweroff "*) poweroff -f ;;
esac
setsid cttyhack sh
echo "shell exited: powering off"
poweroff -f
`;
