package pid1

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"testing/fstest"

	"golang.org/x/sys/unix"

	"mehfooz/board"
	"mehfooz/clock"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func qemuBoard(t *testing.T) *board.Board {
	b, err := board.Lookup("qemu-x86_64")
	if err != nil {
		t.Fatal(err)
	}
	b.Kernel.Modules = []string{"evdev", "ext4", "i6300esb"}
	return b
}

func TestBootDoesInitDutiesInOrder(t *testing.T) {
	sys := newFakeSys()
	root := qemuRoot()
	root["perm/random-seed"] = &fstestFile{Data: bytes.Repeat([]byte{7}, 512)}
	var console bytes.Buffer
	s, err := Boot(context.Background(), Config{Board: qemuBoard(t), Log: discard(), Console: &console, Sys: sys, Root: root})
	if err != nil {
		t.Fatalf("Boot: %v", err)
	}
	defer s.Close()
	want := []string{
		"reboot cad-off",
		`mount devtmpfs /dev devtmpfs nosuid,noexec "mode=0755"`,
		`mount proc /proc proc nosuid,nodev,noexec "hidepid=2"`,
		`mount sysfs /sys sysfs nosuid,nodev,noexec ""`,
		`mount devpts /dev/pts devpts nosuid,noexec "newinstance,ptmxmode=0666,mode=0620"`,
		`mount tmpfs /run tmpfs nosuid,nodev,noexec "mode=0755,size=16m"`,
		`mount tmpfs /tmp tmpfs nosuid,nodev,noexec "mode=1777,size=32m"`,
		"insmod /lib/modules/6.1.0-56-amd64/kernel/drivers/input/evdev.ko",
		"insmod /lib/modules/6.1.0-56-amd64/kernel/crypto/crc32c_generic.ko",
		"insmod /lib/modules/6.1.0-56-amd64/kernel/fs/jbd2/jbd2.ko",
		"insmod /lib/modules/6.1.0-56-amd64/kernel/fs/ext4/ext4.ko",
		"insmod /lib/modules/6.1.0-56-amd64/kernel/drivers/watchdog/i6300esb.ko",
		"ifindex lo",
		"ifindex eth0",
		"netlink 4",
		`mount /dev/vda4 /perm ext4 nosuid,nodev,noexec,noatime ""`,
		"mix 512",
		"write /perm/random-seed 512 600",
	}
	got := sys.log()
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("calls:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	rest := got[len(want):]
	if rest[len(rest)-2] != "sysctl kernel/modules_disabled=1" || !strings.HasPrefix(rest[len(rest)-1], "watchdog /dev/watchdog0 30s") {
		t.Errorf("after the seed: %v; want sysctls ending in modules_disabled, then the watchdog", rest)
	}
	if bytes.Equal(sys.files["/perm/random-seed"], bytes.Repeat([]byte{7}, 512)) {
		t.Error("the seed was not replaced: the next boot would reuse it")
	}
	if s.Slot() != "b" {
		t.Errorf("Slot() = %q, want b", s.Slot())
	}
	s.Ready()
	s.Close() // stops the idle marker
	out := console.String()
	if !strings.Contains(out, "mehfooz: boot board=qemu-x86_64 uptime=1.500s rss=9216kB\n") ||
		!strings.Contains(out, ReadyLine+" board=qemu-x86_64 uptime=1.500s rss=9216kB\n") {
		t.Errorf("console:\n%s", out)
	}
}

type fstestFile = fstest.MapFile

func TestReadyMarksIdleLater(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	var console syncBuffer
	b := qemuBoard(t)
	b.Watchdog.Device = "" // its ticker would be a second waiter on the clock
	s, err := Boot(context.Background(), Config{Board: b, Log: discard(), Clock: clk, Console: &console, Sys: newFakeSys(), Root: qemuRoot()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Ready()
	clk.BlockUntil(1, nil)
	clk.Advance(idleAfter)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(console.String(), "mehfooz: idle board=qemu-x86_64") {
		if time.Now().After(deadline) {
			t.Fatalf("no idle line: %q", console.String())
		}
		time.Sleep(time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBootWaitsForLateDevicesAndKicksWatchdog(t *testing.T) {
	sys := newFakeSys()
	root := &lateFS{FS: qemuRoot(), hidden: "sys/block/vda", n: 3}
	sys.fail["watchdog"] = errors.New("no such device") // appears later
	go func() {
		time.Sleep(200 * time.Millisecond)
		sys.mu.Lock()
		delete(sys.fail, "watchdog")
		sys.mu.Unlock()
	}()
	clk := clock.Real{}
	s, err := Boot(context.Background(), Config{Board: qemuBoard(t), Log: discard(), Clock: clk, Console: io.Discard, Sys: sys, Root: root})
	if err != nil {
		t.Fatalf("Boot: %v", err)
	}
	defer s.Close()
	if !slices.Contains(sys.log(), `mount /dev/vda4 /perm ext4 nosuid,nodev,noexec,noatime ""`) {
		t.Fatal("data partition not mounted after it appeared")
	}
	deadline := time.Now().Add(5 * time.Second)
	for sys.keepalives() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("watchdog never kicked")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBootReportsFailuresAndGoesOn(t *testing.T) {
	sys := newFakeSys()
	sys.fail["insmod /lib/modules/6.1.0-56-amd64/kernel/drivers/input/evdev.ko"] = unix.ENOEXEC
	sys.fail["insmod /lib/modules/6.1.0-56-amd64/kernel/crypto/crc32c_generic.ko"] = unix.ENODEV // soft: not reported
	sys.fail["insmod /lib/modules/6.1.0-56-amd64/kernel/fs/jbd2"] = unix.EEXIST                  // already loaded: fine
	sys.fail["mount devtmpfs"] = unix.EBUSY                                                      // mounted by the kernel: fine
	root := qemuRoot()
	delete(root, "sys/block/vda/vda4/uevent")
	s, err := Boot(context.Background(), Config{Board: qemuBoard(t), Log: discard(), Console: io.Discard, Sys: sys, Root: root, DeviceWait: 100 * time.Millisecond})
	if s == nil {
		t.Fatal("Boot returned no System")
	}
	defer s.Close()
	if err == nil {
		t.Fatal("Boot hid the failures")
	}
	for _, want := range []string{"module evdev", "exec format error", "data partition", "perm"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	for _, notWant := range []string{"crc32c", "jbd2", "devtmpfs"} {
		if strings.Contains(err.Error(), notWant) {
			t.Errorf("error %q reports %q, which is not a failure", err, notWant)
		}
	}
	calls := sys.log()
	if !slices.Contains(calls, "insmod /lib/modules/6.1.0-56-amd64/kernel/drivers/watchdog/i6300esb.ko") {
		t.Error("modules after a failed one were not loaded")
	}
	if slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "write /perm") }) {
		t.Error("seed written without a data partition")
	}
	if !slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "watchdog") }) {
		t.Error("watchdog not armed after a failure")
	}
}

func TestUnknownModuleDoesNotStopTheOthers(t *testing.T) {
	sys := newFakeSys()
	b := qemuBoard(t)
	b.Kernel.Modules = []string{"evdev", "bochs", "i6300esb"} // bochs is not in this image
	s, err := Boot(context.Background(), Config{Board: b, Log: discard(), Console: io.Discard, Sys: sys, Root: qemuRoot()})
	if s != nil {
		defer s.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "bochs") {
		t.Fatalf("Boot = %v, want the missing bochs reported", err)
	}
	calls := sys.log()
	for _, m := range []string{"evdev", "i6300esb"} {
		if !slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "insmod") && strings.Contains(c, m) }) {
			t.Errorf("%s not loaded after an unknown module: %v", m, calls)
		}
	}
}

func TestShutdownSyncsUnmountsAndReboots(t *testing.T) {
	for _, c := range []struct {
		action    Action
		umountErr error
		want      []string
	}{
		{Reboot, nil, []string{"kill -1 SIGTERM", "kill -1 SIGKILL", "sync", "umount /perm", "sync", "reboot restart"}},
		{Poweroff, unix.EBUSY, []string{"kill -1 SIGTERM", "kill -1 SIGKILL", "sync", "umount /perm", `mount  /perm  ro,remount ""`, "sync", "reboot power-off"}},
	} {
		sys := newFakeSys()
		var console bytes.Buffer
		s, err := Boot(context.Background(), Config{Board: qemuBoard(t), Log: discard(), Console: &console, Sys: sys, Root: qemuRoot()})
		if err != nil {
			t.Fatal(err)
		}
		n := len(sys.log())
		if c.umountErr != nil {
			sys.fail["umount"] = c.umountErr
		}
		sys.fail["reboot"] = errors.New("still running") // a real reboot does not return
		err = s.Shutdown(c.action)
		s.Close()
		if err == nil || !strings.Contains(err.Error(), c.action.String()) {
			t.Errorf("%v: Shutdown = %v, want the reboot error", c.action, err)
		}
		if got := sys.log()[n:]; !slices.Equal(got, c.want) {
			t.Errorf("%v: calls\n got %v\nwant %v", c.action, got, c.want)
		}
		if !strings.Contains(console.String(), "mehfooz: "+c.action.String()+" uptime=") {
			t.Errorf("%v: no shutdown line on the console: %q", c.action, console.String())
		}
	}
}

func TestSimBoardSkipsEveryDuty(t *testing.T) {
	sim, _ := board.Lookup("sim")
	sys := newFakeSys()
	s, err := Boot(context.Background(), Config{Board: sim, Log: discard(), Console: io.Discard, Sys: sys, Root: qemuRoot()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Shutdown(Poweroff); err != nil {
		t.Fatalf("Shutdown on sim = %v", err)
	}
	if calls := sys.log(); len(calls) != 0 {
		t.Fatalf("sim made system calls: %v", calls)
	}
	if s.Reaper() != nil {
		t.Error("sim has a reaper; its children belong to the real init")
	}
	// SIGTERM to a plain phoned ends it (Exit), and Notify keeps the
	// test process alive.
	syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a := s.Wait(ctx); a != Exit {
		t.Fatalf("Wait after SIGTERM = %v, want exit", a)
	}
}

func TestWaitReturnsRequests(t *testing.T) {
	sys := newFakeSys()
	s, err := Boot(context.Background(), Config{Board: qemuBoard(t), Log: discard(), Console: io.Discard, Sys: sys, Root: qemuRoot()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Request(Poweroff)
	s.Request(Reboot) // dropped: one is pending
	if a := s.Wait(context.Background()); a != Poweroff {
		t.Fatalf("Wait = %v, want poweroff", a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if a := s.Wait(ctx); a != Poweroff {
		t.Fatalf("Wait with ctx done on a device = %v, want poweroff", a)
	}
}
