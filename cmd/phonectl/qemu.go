package main

import (
	"context"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"time"

	"mehfooz/atomicfile"
	"mehfooz/board"
	"mehfooz/image/qemu"
	"mehfooz/image/slot"
)

func init() {
	register(command{path: []string{"qemu", "run"}, summary: "boot an emulated handset from a flashed disk-image file (QEMU, TCG)", run: runQEMU})
	register(command{path: []string{"qemu", "key"}, summary: "press keys on a running emulated handset", run: runQEMUKey})
	register(command{path: []string{"qemu", "screenshot"}, summary: "save a running emulated handset's screen as PNG", run: runQEMUScreenshot})
}

func runQEMU(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "qemu run", "--disk DISK --pub KEYS.pem [--modem-socket SOCK] [--dir DIR]")
	diskFile := fs.String("disk", "", "disk-image file written by phonectl flash (required)")
	pubFile := fs.String("pub", "", "public keys the boot loader trusts, PEM (required)")
	boardName := fs.String("board", "qemu-x86_64", "board")
	dir := fs.String("dir", "", "folder for the QMP and monitor sockets and the extracted kernel (default: the disk's folder)")
	modem := fs.String("modem-socket", "", "unix socket of a modem simulator (modemsim --socket), wired to the guest's ttyS1")
	audio := fs.String("audio", "", "WAV file to record the guest's sound into")
	mem := fs.Int("memory", 512, "guest memory in MiB")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *diskFile == "" || *pubFile == "" {
		return fmt.Errorf("%w: --disk and --pub are required", errUsage)
	}
	b, err := board.Lookup(*boardName)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	keys, err := readPublicKeys(*pubFile)
	if err != nil {
		return err
	}
	if *dir == "" {
		*dir = filepath.Dir(*diskFile)
	}
	m, err := qemu.Boot(ctx, qemu.Config{Board: b, Disk: *diskFile, Keys: keys, Dir: *dir, ModemSocket: *modem,
		Audio: *audio, MemoryMiB: *mem, Console: e.stdout})
	for _, r := range refusedOf(m, err) {
		fmt.Fprintf(e.stderr, "boot loader refused %v\n", r)
	}
	if err != nil {
		return explainImageError(err)
	}
	fmt.Fprintf(e.stderr, "booting slot %s: version %d %q; QMP %s, monitor %s, bench line %s\n",
		slot.Name(m.Slot), m.Manifest.Version, m.Manifest.Label, m.QMPPath, m.MonPath, m.BenchPath)
	waitErr := m.Wait(ctx)
	if ctx.Err() == nil {
		return waitErr
	}
	// Interrupted: press the power button (phoned, which grabs the
	// keyboards, powers off cleanly; QEMU exits), and Ctrl-Alt-Del for an
	// init that does not read keys; pull the plug if that takes too long.
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if q, err := m.DialQMP(sctx); err == nil {
		q.PowerButton(sctx)
		q.SendKeys(sctx, "ctrl", "alt", "delete")
		q.Close()
	}
	if err := m.Wait(sctx); err != nil {
		m.Kill()
	}
	return nil
}

func refusedOf(m *qemu.Machine, err error) []error {
	if m != nil {
		return m.Refused
	}
	return nil
}

func qmpFlag(e *env, name, synopsis string) (*flag.FlagSet, *string) {
	fs := flags(e, name, synopsis)
	return fs, fs.String("qmp", "", "the machine's QMP socket (printed by phonectl qemu run) (required)")
}

func runQEMUKey(ctx context.Context, e *env, args []string) error {
	fs, sock := qmpFlag(e, "qemu key", "--qmp SOCK KEY[+KEY...]...   (QEMU qcodes: down, ret, esc, 1, kp_5, f3, ctrl+alt+delete)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sock == "" || fs.NArg() == 0 {
		return fmt.Errorf("%w: --qmp and at least one key are required", errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	q, err := qemu.DialQMP(ctx, *sock)
	if err != nil {
		return err
	}
	defer q.Close()
	for _, chord := range fs.Args() {
		if err := q.SendKeys(ctx, splitChord(chord)...); err != nil {
			return err
		}
	}
	return nil
}

func splitChord(s string) []string {
	var keys []string
	start := 0
	for i := range len(s) {
		if s[i] == '+' {
			keys = append(keys, s[start:i])
			start = i + 1
		}
	}
	return append(keys, s[start:])
}

func runQEMUScreenshot(ctx context.Context, e *env, args []string) error {
	fs, sock := qmpFlag(e, "qemu screenshot", "--qmp SOCK --out SCREEN.png")
	out := fs.String("out", "", "PNG file to write (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sock == "" || *out == "" {
		return fmt.Errorf("%w: --qmp and --out are required", errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	q, err := qemu.DialQMP(ctx, *sock)
	if err != nil {
		return err
	}
	defer q.Close()
	// QEMU writes the dump itself, as its own user, next to the socket.
	ppm := filepath.Join(filepath.Dir(*sock), fmt.Sprintf(".screendump-%d.ppm", os.Getpid()))
	defer os.Remove(ppm)
	if err := q.Screendump(ctx, ppm); err != nil {
		return err
	}
	f, err := os.Open(ppm)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := qemu.ReadPPM(f)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, 0o644, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %dx%d\n", *out, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}
