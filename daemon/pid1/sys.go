package pid1

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Sys is the system-call boundary of the init duties. The real one acts on
// the machine; tests hand in a recording fake, so every duty runs as a
// normal process and the real calls run under QEMU.
type Sys interface {
	Mount(source, target, fstype string, flags uintptr, data string) error
	Unmount(target string, flags int) error
	MkdirAll(path string, perm os.FileMode) error
	// LoadModule inserts the kernel module file at path (finit_module).
	LoadModule(path string) error
	// WriteFile replaces path atomically and durably (temp file, fsync,
	// rename, fsync of the folder), so a power cut leaves old or new.
	WriteFile(path string, data []byte, perm os.FileMode) error
	// WriteSysctl writes a value to a /proc/sys file (not atomic: not a file).
	WriteSysctl(name, value string) error
	// MixEntropy writes b into the kernel's pool (/dev/urandom) without
	// crediting it.
	MixEntropy(b []byte) error
	// OpenWatchdog opens the watchdog device and sets its timeout.
	OpenWatchdog(path string, timeout time.Duration) (Watchdog, error)
	// KillAll sends sig to every process but init (kill(-1, sig)).
	KillAll(sig syscall.Signal) error
	Sync()
	// Reboot performs reboot(2) with one of the LINUX_REBOOT_CMD_* commands.
	Reboot(cmd int) error
	// Uptime is the time since the kernel started (CLOCK_BOOTTIME).
	Uptime() time.Duration
	// InterfaceIndex returns a network interface's index.
	InterfaceIndex(name string) (int, error)
	// Netlink sends route netlink requests in order, each awaiting its ack.
	Netlink(msgs [][]byte) error
	// OpenDevice opens a block device read-write (the boot-control partition).
	OpenDevice(path string) (Device, error)
	// ReapAny reaps one exited child without blocking: its pid, 0 if none
	// has exited, or ECHILD when there are no children.
	ReapAny() (int, error)
}

// realSys is the machine.
type realSys struct{}

func (realSys) Mount(source, target, fstype string, flags uintptr, data string) error {
	return unix.Mount(source, target, fstype, flags, data)
}

func (realSys) Unmount(target string, flags int) error { return unix.Unmount(target, flags) }

func (realSys) MkdirAll(path string, perm os.FileMode) error { return os.MkdirAll(path, perm) }

func (realSys) LoadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.FinitModule(int(f.Fd()), "", 0)
}

func (realSys) WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (realSys) WriteSysctl(name, value string) error {
	return os.WriteFile(filepath.Join("/proc/sys", filepath.FromSlash(name)), []byte(value), 0)
}

func (realSys) MixEntropy(b []byte) error {
	f, err := os.OpenFile("/dev/urandom", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(b)
	return err
}

func (realSys) OpenWatchdog(path string, timeout time.Duration) (Watchdog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	secs := int(timeout / time.Second)
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.WDIOC_SETTIMEOUT, secs); err != nil {
		f.Close()
		return nil, fmt.Errorf("set timeout %ds: %w", secs, err)
	}
	return fileWatchdog{f}, nil
}

// fileWatchdog is an open /dev/watchdogN (Documentation/watchdog/watchdog-api.rst).
type fileWatchdog struct{ f *os.File }

func (w fileWatchdog) Keepalive() error { return unix.IoctlWatchdogKeepalive(int(w.f.Fd())) }

// Close closes the device without the magic 'V': the watchdog stays armed,
// so a shutdown that hangs after this still ends in a reset.
func (w fileWatchdog) Close() error { return w.f.Close() }

// errNotInit guards the calls that would be disastrous outside PID 1:
// kill(-1) from a developer's shell kills their whole session.
var errNotInit = errors.New("pid1: refusing: not process 1")

func (realSys) KillAll(sig syscall.Signal) error {
	if os.Getpid() != 1 {
		return errNotInit
	}
	err := unix.Kill(-1, sig)
	if errors.Is(err, unix.ESRCH) { // nobody left
		return nil
	}
	return err
}

func (realSys) Sync() { unix.Sync() }

func (realSys) Reboot(cmd int) error {
	if os.Getpid() != 1 {
		return errNotInit
	}
	return unix.Reboot(cmd)
}

func (realSys) Uptime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func (realSys) InterfaceIndex(name string) (int, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}

func (realSys) Netlink(msgs [][]byte) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	buf := make([]byte, 8192)
	for _, m := range msgs {
		if err := unix.Sendto(fd, m, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return fmt.Errorf("netlink: send: %w", err)
		}
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("netlink: receive: %w", err)
		}
		if err := parseAck(buf[:n], binary.NativeEndian.Uint32(m[8:])); err != nil {
			return err
		}
	}
	return nil
}

// Device is an open block device.
type Device interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Close() error
}

func (realSys) OpenDevice(path string) (Device, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_SYNC, 0)
}

func (realSys) ReapAny() (int, error) {
	var ws unix.WaitStatus
	for {
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return pid, err
	}
}
