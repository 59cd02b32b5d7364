package pid1

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mountPoint is one file system to mount at boot.
type mountPoint struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
	mode                   os.FileMode
	// busyOK tolerates EBUSY: a kernel built with DEVTMPFS_MOUNT has
	// mounted /dev already.
	busyOK bool
}

// earlyMounts are the kernel file systems every init mounts, in order. None
// of them may hold executables or device nodes except /dev itself.
var earlyMounts = []mountPoint{
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID | unix.MS_NOEXEC, "mode=0755", 0o755, true},
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "hidepid=2", 0o555, false},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", 0o555, false},
	// newinstance gives a private pts namespace; ptmxmode lets phoned
	// (root) open /dev/pts/ptmx for a modem pty in development.
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", 0o755, false},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "mode=0755,size=16m", 0o755, false},
	{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "mode=1777,size=32m", 0o1777, false},
}

func mountAll(sys Sys, mounts []mountPoint) error {
	for _, m := range mounts {
		if err := sys.MkdirAll(m.target, m.mode); err != nil {
			return fmt.Errorf("mount %s: %w", m.target, err)
		}
		err := sys.Mount(m.source, m.target, m.fstype, m.flags, m.data)
		if errors.Is(err, unix.EBUSY) && m.busyOK {
			continue
		}
		if err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, err)
		}
	}
	return nil
}

// dataMount is the persistent data partition: writable, but nothing on it
// may be executed or be a device node or setuid.
func dataMount(dev, dir, fstype string) mountPoint {
	return mountPoint{source: dev, target: dir, fstype: fstype,
		flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME, mode: 0o700}
}
