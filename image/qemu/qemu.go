// Package qemu boots a board's signed image in QEMU under TCG, as testers
// and the boot test do. It plays the boot loader: it reads the disk image's
// A/B state, picks and verifies a slot (image/slot.Select), and hands the
// slot's kernel, initramfs and command line to qemu-system-x86_64 with the
// board's devices: std VGA, a virtio keyboard, the modem simulator on the
// second UART, the technician's bench line on the third, AC97 audio, the i6300esb watchdog, virtio-rng, the disk, and
// a NIC on QEMU's user network, which lets the guest reach the host's
// loopback as 10.0.2.2 and opens no port towards the guest. It reads the
// serial console and drives the machine over QMP (screendumps, keys,
// power button).
//
// KVM is never used: on the machines this runs on /dev/kvm is a software
// nested hypervisor on which stock kernels hang at boot.
package qemu

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"mehfooz/board"
	"mehfooz/image"
	"mehfooz/image/disk"
	"mehfooz/image/slot"
)

// Config describes one machine.
type Config struct {
	Board *board.Board
	Disk  string              // disk-image file flashed with phonectl flash
	Keys  []ed25519.PublicKey // the boot loader's trusted image keys
	Dir   string              // working folder: kernel, sockets, console log
	// ModemSocket is a unix socket a modem simulator listens on (modemsim
	// --socket); QEMU connects it to the guest's ttyS1. Empty: no modem.
	ModemSocket string
	Audio       string    // WAV file the guest's sound goes to; empty: no audio backend output
	MemoryMiB   int       // default 512
	Binary      string    // default qemu-system-x86_64
	Console     io.Writer // gets each console line as it arrives (from one goroutine)
	// NoNetwork leaves the guest without a NIC.
	NoNetwork bool
}

// Machine is a running QEMU.
type Machine struct {
	Slot     int
	Manifest *image.Manifest
	Refused  []error // slots the boot loader refused before picking Slot
	Started  time.Time
	QMPPath  string
	MonPath  string
	// BenchPath is the unix socket of the guest's third UART, the board's
	// bench line (board.Bench): phonectl status/enroll --bench reach it.
	BenchPath string

	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	stderr lockedBuffer // QEMU's own messages

	mu      sync.Mutex
	lines   []consoleLine
	changed chan struct{}
}

type consoleLine struct {
	text string
	at   time.Duration
}

// ErrExited is returned by waits when QEMU has exited.
var ErrExited = errors.New("qemu: machine exited")

// Boot selects and verifies a slot on the disk, then starts QEMU. It
// returns slot.ErrNoBootable (wrapped) without starting anything when no
// slot verifies.
func Boot(ctx context.Context, c Config) (*Machine, error) {
	if c.Board == nil || c.Board.Arch != "amd64" {
		return nil, fmt.Errorf("qemu: only the amd64 QEMU board boots here")
	}
	m := &Machine{changed: make(chan struct{}), done: make(chan struct{})}
	kernel, initrd, cmdline, err := m.load(c)
	if err != nil {
		return nil, err
	}
	m.QMPPath, m.MonPath, m.BenchPath = filepath.Join(c.Dir, "qmp.sock"), filepath.Join(c.Dir, "mon.sock"), filepath.Join(c.Dir, "bench.sock")
	for _, p := range []string{m.QMPPath, m.MonPath, m.BenchPath} {
		os.Remove(p)
	}
	args := Args(c, kernel, initrd, cmdline)
	bin := c.Binary
	if bin == "" {
		bin = "qemu-system-x86_64"
	}
	m.cmd = exec.Command(bin, args...)
	// Our own pipe, not StdoutPipe: exec's Wait closes that one as soon as
	// QEMU exits, which could drop the last console lines (the shutdown).
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	m.cmd.Stdout = pw
	m.cmd.Stderr = &m.stderr
	m.Started = time.Now()
	err = m.cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("qemu: start: %w", err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer pr.Close()
		m.readConsole(pr, c.Console)
	}()
	go func() {
		err := m.cmd.Wait()
		<-read // every line QEMU wrote is in m.lines before done closes
		if err != nil {
			m.err = fmt.Errorf("%w (%s)", err, strings.TrimSpace(m.stderr.String()))
		}
		close(m.done)
	}()
	return m, nil
}

// load plays the boot loader and writes the chosen slot's parts to c.Dir.
func (m *Machine) load(c Config) (kernel, initrd, cmdline string, err error) {
	f, err := os.OpenFile(c.Disk, os.O_RDWR, 0)
	if err != nil {
		return "", "", "", fmt.Errorf("qemu: disk: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", "", "", err
	}
	l, err := disk.Read(f, fi.Size())
	if err != nil {
		return "", "", "", fmt.Errorf("qemu: disk: %w", err)
	}
	part := func(name string) *io.SectionReader {
		p, _ := l.Find(name)
		return io.NewSectionReader(f, p.Start, p.Size)
	}
	bc, err := l.Find(disk.BootCtl)
	if err != nil {
		return "", "", "", fmt.Errorf("qemu: disk: %w", err)
	}
	store := slot.NewStore(partWriter{f, bc.Start, bc.Size}, f.Sync)
	i, man, refused, err := slot.Select(store, [2]io.ReaderAt{part(disk.SlotA), part(disk.SlotB)}, c.Keys, c.Board.Name)
	m.Refused = refused
	if err != nil {
		return "", "", "", fmt.Errorf("qemu: boot loader: %w", err)
	}
	m.Slot, m.Manifest = i, man
	sr := part([]string{disk.SlotA, disk.SlotB}[i])
	var paths [3]string
	for j, name := range []string{image.PartKernel, image.PartInitramfs, image.PartCmdline} {
		b, err := image.ReadPart(sr, man, name) // hashed again as read
		if err != nil {
			return "", "", "", fmt.Errorf("qemu: boot loader: %w", err)
		}
		if name == image.PartCmdline {
			paths[j] = withSlot(string(b), slot.Name(i))
			continue
		}
		paths[j] = filepath.Join(c.Dir, name)
		if err := os.WriteFile(paths[j], b, 0o600); err != nil {
			return "", "", "", err
		}
	}
	return paths[0], paths[1], paths[2], nil
}

// withSlot adds mehfooz.slot= among the kernel's own arguments, before the
// "--" that starts init's.
func withSlot(cmdline, name string) string {
	arg := "mehfooz.slot=" + name
	if before, after, ok := strings.Cut(cmdline, " -- "); ok {
		return before + " " + arg + " -- " + after
	}
	return cmdline + " " + arg
}

type partWriter struct {
	f          *os.File
	start, len int64
}

func (p partWriter) ReadAt(b []byte, off int64) (int, error) {
	return io.NewSectionReader(p.f, p.start, p.len).ReadAt(b, off)
}

func (p partWriter) WriteAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > p.len {
		return 0, fmt.Errorf("qemu: write beyond the boot-control partition")
	}
	return p.f.WriteAt(b, p.start+off)
}

// Args is the QEMU command line for c booting kernel and initrd with
// cmdline: the board's emulated hardware, headless, TCG only.
func Args(c Config, kernel, initrd, cmdline string) []string {
	mem := c.MemoryMiB
	if mem == 0 {
		mem = 512
	}
	d := c.Board.Display
	args := []string{
		"-M", "q35", "-accel", "tcg", "-m", fmt.Sprint(mem), "-smp", "1",
		"-no-reboot", "-display", "none", "-nodefaults",
		"-kernel", kernel, "-initrd", initrd, "-append", cmdline,
		// ttyS0: the console, on our stdout.
		"-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
	}
	// ttyS1: the modem.
	if c.ModemSocket != "" {
		args = append(args, "-chardev", "socket,id=modem,path="+c.ModemSocket, "-serial", "chardev:modem")
	} else {
		args = append(args, "-serial", "null")
	}
	// ttyS2: the bench line, a socket QEMU listens on for the technician.
	args = append(args, "-chardev", "socket,id=bench,path="+filepath.Join(c.Dir, "bench.sock")+",server=on,wait=off", "-serial", "chardev:bench")
	args = append(args,
		// std VGA, whose EDID offers the board's panel size; bochs-drm
		// gives /dev/fb0 in that mode.
		"-device", fmt.Sprintf("VGA,edid=on,xres=%d,yres=%d", d.Width, d.Height),
		"-device", "virtio-keyboard-pci",
		"-device", "virtio-rng-pci",
		"-device", "i6300esb", "-action", "watchdog=reset",
		"-drive", "file="+c.Disk+",format=raw,if=virtio,cache=writeback",
		"-qmp", "unix:"+filepath.Join(c.Dir, "qmp.sock")+",server=on,wait=off",
		"-monitor", "unix:"+filepath.Join(c.Dir, "mon.sock")+",server=on,wait=off",
	)
	if c.Audio != "" {
		args = append(args, "-audiodev", "wav,id=snd0,path="+c.Audio, "-device", "AC97,audiodev=snd0")
	} else {
		args = append(args, "-audiodev", "none,id=snd0", "-device", "AC97,audiodev=snd0")
	}
	if c.NoNetwork {
		args = append(args, "-nic", "none")
	} else {
		// User networking: the guest is 10.0.2.15 and reaches the host's
		// loopback as 10.0.2.2; there is no hostfwd, so nothing on the
		// host can connect into the guest.
		args = append(args, "-nic", "user,model=virtio-net-pci,ipv6=off")
	}
	return args
}

func (m *Machine) readConsole(r io.Reader, tee io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if tee != nil {
			fmt.Fprintln(tee, line)
		}
		m.mu.Lock()
		m.lines = append(m.lines, consoleLine{text: line, at: time.Since(m.Started)})
		close(m.changed)
		m.changed = make(chan struct{})
		m.mu.Unlock()
	}
	// A line longer than the scanner takes: keep draining, or QEMU would
	// block on a full pipe.
	io.Copy(io.Discard, r)
}

// WaitLine waits for a console line containing substr (one not returned
// before) and returns it with the time since QEMU started.
func (m *Machine) WaitLine(ctx context.Context, substr string) (string, time.Duration, error) {
	seen := 0
	for {
		m.mu.Lock()
		for ; seen < len(m.lines); seen++ {
			if strings.Contains(m.lines[seen].text, substr) {
				l := m.lines[seen]
				m.mu.Unlock()
				return l.text, l.at, nil
			}
		}
		ch := m.changed
		m.mu.Unlock()
		select {
		case <-ch:
		case <-m.done:
			m.mu.Lock()
			n := len(m.lines)
			m.mu.Unlock()
			if seen < n {
				continue
			}
			return "", 0, fmt.Errorf("%w before %q: %v", ErrExited, substr, m.err)
		case <-ctx.Done():
			return "", 0, fmt.Errorf("qemu: waiting for %q: %w", substr, ctx.Err())
		}
	}
}

// Console returns every console line so far.
func (m *Machine) Console() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, len(m.lines))
	for i, l := range m.lines {
		out[i] = l.text
	}
	return out
}

// Wait waits for QEMU to exit.
func (m *Machine) Wait(ctx context.Context) error {
	select {
	case <-m.done:
		return m.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Kill stops QEMU at once and waits for it.
func (m *Machine) Kill() {
	m.cmd.Process.Kill()
	<-m.done
}

// lockedBuffer collects QEMU's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (m *Machine) exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Pid is QEMU's process ID.
func (m *Machine) Pid() int { return m.cmd.Process.Pid }
