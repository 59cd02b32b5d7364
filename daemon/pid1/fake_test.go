package pid1

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing/fstest"
	"time"

	"golang.org/x/sys/unix"
)

// fakeSys records every call as a line of text, and fails the calls the
// test names.
type fakeSys struct {
	mu        sync.Mutex
	calls     []string
	fail      map[string]error // call prefix -> error
	files     map[string][]byte
	mixed     [][]byte
	keepalive int
	devices   map[string][]byte
	uptime    time.Duration
}

func newFakeSys() *fakeSys {
	return &fakeSys{fail: map[string]error{}, files: map[string][]byte{}, devices: map[string][]byte{}, uptime: 1500 * time.Millisecond}
}

func (f *fakeSys) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	for prefix, err := range f.fail {
		if strings.HasPrefix(call, prefix) {
			return err
		}
	}
	return nil
}

func (f *fakeSys) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeSys) Mount(source, target, fstype string, flags uintptr, data string) error {
	return f.record(fmt.Sprintf("mount %s %s %s %s %q", source, target, fstype, flagNames(flags), data))
}
func (f *fakeSys) Unmount(target string, flags int) error { return f.record("umount " + target) }
func (f *fakeSys) MkdirAll(path string, perm os.FileMode) error {
	return nil // not recorded: noise
}
func (f *fakeSys) LoadModule(path string) error { return f.record("insmod " + path) }
func (f *fakeSys) WriteFile(path string, data []byte, perm os.FileMode) error {
	if err := f.record(fmt.Sprintf("write %s %d %o", path, len(data), perm)); err != nil {
		return err
	}
	f.mu.Lock()
	f.files[path] = append([]byte(nil), data...)
	f.mu.Unlock()
	return nil
}
func (f *fakeSys) WriteSysctl(name, value string) error {
	return f.record("sysctl " + name + "=" + value)
}
func (f *fakeSys) MixEntropy(b []byte) error {
	f.mu.Lock()
	f.mixed = append(f.mixed, append([]byte(nil), b...))
	f.mu.Unlock()
	return f.record(fmt.Sprintf("mix %d", len(b)))
}
func (f *fakeSys) OpenWatchdog(path string, timeout time.Duration) (Watchdog, error) {
	if err := f.record(fmt.Sprintf("watchdog %s %v", path, timeout)); err != nil {
		return nil, err
	}
	return (*fakeWatchdog)(f), nil
}
func (f *fakeSys) KillAll(sig syscall.Signal) error {
	return f.record("kill -1 " + unix.SignalName(sig))
}
func (f *fakeSys) Sync() { f.record("sync") }
func (f *fakeSys) Reboot(cmd int) error {
	names := map[int]string{unix.LINUX_REBOOT_CMD_CAD_OFF: "cad-off", unix.LINUX_REBOOT_CMD_POWER_OFF: "power-off", unix.LINUX_REBOOT_CMD_RESTART: "restart"}
	return f.record("reboot " + names[cmd])
}
func (f *fakeSys) Uptime() time.Duration { return f.uptime }
func (f *fakeSys) ReapAny() (int, error) { return 0, unix.ECHILD }

func (f *fakeSys) InterfaceIndex(name string) (int, error) {
	if err := f.record("ifindex " + name); err != nil {
		return 0, err
	}
	return map[string]int{"lo": 1, "eth0": 2}[name], nil
}

func (f *fakeSys) Netlink(msgs [][]byte) error { return f.record(fmt.Sprintf("netlink %d", len(msgs))) }

func (f *fakeSys) OpenDevice(path string) (Device, error) {
	if err := f.record("open " + path); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.devices[path] == nil {
		return nil, fs.ErrNotExist
	}
	return &memDevice{b: f.devices[path]}, nil
}

// memDevice is a block device in memory.
type memDevice struct{ b []byte }

func (m *memDevice) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	return copy(p, m.b[off:]), nil
}
func (m *memDevice) WriteAt(p []byte, off int64) (int, error) { return copy(m.b[off:], p), nil }
func (m *memDevice) Sync() error                              { return nil }
func (m *memDevice) Close() error                             { return nil }

type fakeWatchdog fakeSys

func (w *fakeWatchdog) Keepalive() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keepalive++
	return nil
}
func (w *fakeWatchdog) Close() error { return nil }
func (f *fakeSys) keepalives() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keepalive
}

func flagNames(fl uintptr) string {
	var n []string
	for _, b := range []struct {
		bit  uintptr
		name string
	}{{unix.MS_RDONLY, "ro"}, {unix.MS_NOSUID, "nosuid"}, {unix.MS_NODEV, "nodev"}, {unix.MS_NOEXEC, "noexec"}, {unix.MS_NOATIME, "noatime"}, {unix.MS_REMOUNT, "remount"}} {
		if fl&b.bit != 0 {
			n = append(n, b.name)
			fl &^= b.bit
		}
	}
	if fl != 0 {
		n = append(n, fmt.Sprintf("%#x", fl))
	}
	if len(n) == 0 {
		return "-"
	}
	return strings.Join(n, ",")
}

// qemuRoot is the file tree a QEMU board shows after the early mounts.
func qemuRoot() fstest.MapFS {
	rel := "6.1.0-56-amd64"
	m := "lib/modules/" + rel + "/"
	return fstest.MapFS{
		"proc/sys/kernel/osrelease": {Data: []byte(rel + "\n")},
		"proc/cmdline":              {Data: []byte("console=ttyS0 quiet mehfooz.slot=b -- --board qemu-x86_64\n")},
		"proc/self/status":          {Data: []byte("Name:\tphoned\nVmRSS:\t   9216 kB\n")},
		m + "modules.dep": {Data: []byte("kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko\nkernel/fs/jbd2/jbd2.ko:\n" +
			"kernel/crypto/crc32c_generic.ko:\nkernel/drivers/input/evdev.ko:\nkernel/drivers/watchdog/i6300esb.ko:\n")},
		m + "modules.softdep":       {Data: []byte("softdep ext4 pre: crypto-crc32c\n")},
		m + "modules.alias":         {Data: []byte("alias crypto-crc32c crc32c_generic\n")},
		"sys/block/vda/vda1/uevent": {Data: []byte("DEVNAME=vda1\nPARTNAME=bootctl\n")},
		"sys/block/vda/vda4/uevent": {Data: []byte("DEVNAME=vda4\nPARTNAME=perm\n")},
	}
}

// lateFS hides a path until it has been asked for n times: a device node
// that appears once its driver probes.
type lateFS struct {
	fs.FS
	mu     sync.Mutex
	hidden string
	n      int
}

func (l *lateFS) Open(name string) (fs.File, error) {
	l.mu.Lock()
	hide := strings.HasPrefix(name, l.hidden) && l.n > 0
	if hide && name == l.hidden {
		l.n--
	}
	l.mu.Unlock()
	if hide {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return l.FS.Open(name)
}
