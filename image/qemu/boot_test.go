package qemu

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	stdimage "image"
	imgpng "image/png"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mehfooz/board"
	"mehfooz/clock"
	"mehfooz/daemon"
	"mehfooz/daemon/pid1"
	"mehfooz/daemon/state"
	"mehfooz/image"
	"mehfooz/image/disk"
	"mehfooz/image/flash"
	"mehfooz/image/slot"
	"mehfooz/ui"
)

// The boot test boots the QEMU board's real image under TCG, which takes a
// minute or more on two cores, so it runs only when MEHFOOZ_BOOT_TEST=1:
// `make boot-test` (part of `make test`) sets it after fetching the kernel
// and installing QEMU, and then a missing prerequisite is a failure.
var keepDir = flag.String("boot.keep", "", "keep the boot test's disk, console log and screenshots in this folder")

func bootPrereqs(t *testing.T) (kernelDir string) {
	t.Helper()
	if os.Getenv("MEHFOOZ_BOOT_TEST") != "1" {
		t.Skip("boots QEMU: run make boot-test (or set MEHFOOZ_BOOT_TEST=1)")
	}
	skip := t.Fatalf
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		skip("qemu-system-x86_64 not installed (scripts/deps.sh)")
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		skip("mkfs.ext4 not installed")
	}
	dirs, _ := filepath.Glob("../../out/kernel/*/.complete")
	if len(dirs) != 1 {
		skip("no kernel under out/kernel (scripts/fetch-kernel.sh)")
	}
	return filepath.Dir(dirs[0])
}

// phonedPackage is what becomes /init: phoned itself once it runs pid1,
// until then the stand-in in testdata/init.
func phonedPackage() string {
	if _, err := os.Stat("../../cmd/phoned/main.go"); err == nil && os.Getenv("MEHFOOZ_BOOT_INIT") == "" {
		return "mehfooz/cmd/phoned"
	}
	return "mehfooz/image/qemu/testdata/init"
}

type bootFixture struct {
	dir, disk    string
	key          ed25519.PrivateKey
	board        *board.Board
	kernel       string
	phoned       []byte
	uncompressed bool
	// ca and provision go into the image; nil: a throwaway CA and an
	// empty provisioning (the handset boots to "not provisioned").
	ca, provision []byte
}

func newBootFixture(t *testing.T) *bootFixture {
	kernel := bootPrereqs(t)
	dir := t.TempDir()
	if *keepDir != "" {
		dir = *keepDir
		os.MkdirAll(dir, 0o755)
	}
	b, _ := board.Lookup("qemu-x86_64")
	f := &bootFixture{dir: dir, disk: filepath.Join(dir, "disk.img"), board: b, kernel: kernel}
	os.Remove(f.disk) // a kept folder holds the last run's disk
	var err error
	if f.key, err = image.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "phoned")
	pkg := phonedPackage()
	t.Logf("/init is %s", pkg)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	if f.phoned, err = os.ReadFile(bin); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *bootFixture) keys() []ed25519.PublicKey {
	return []ed25519.PublicKey{f.key.Public().(ed25519.PublicKey)}
}

// build makes a signed image of version v.
func (f *bootFixture) build(t *testing.T, v uint64) []byte {
	t.Helper()
	pubs, _ := image.MarshalPublicKeys(f.keys()...)
	ca, prov := f.ca, f.provision
	if ca == nil {
		ca, prov = testCA(t), []byte("{}\n")
	}
	var buf bytes.Buffer
	_, err := image.Build(&buf, image.BuildConfig{
		Board: f.board, Version: v, Label: "boot-test", Kernel: os.DirFS(f.kernel),
		Phoned: f.phoned, CA: ca, Provision: prov, ImageKeys: pubs,
		SigningKeys: []ed25519.PrivateKey{f.key}, Uncompressed: f.uncompressed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// flash writes img to the disk (formatting a new one, with an ext4 data
// partition, as phonectl flash --format does).
func (f *bootFixture) flash(t *testing.T, img []byte) *flash.Result {
	t.Helper()
	format := false
	if _, err := os.Stat(f.disk); err != nil {
		format = true
		if err := os.WriteFile(f.disk, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(f.disk, 256<<20); err != nil {
			t.Fatal(err)
		}
	}
	d, err := os.OpenFile(f.disk, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	res, err := flash.Flash(bytes.NewReader(img), int64(len(img)), flash.Target{Dev: d, Size: 256 << 20, Sync: d.Sync},
		flash.Options{Keys: f.keys(), Board: f.board.Name, Format: format, SlotSize: 32 << 20, Rand: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	if res.Formatted {
		p, _ := res.Layout.Find(disk.Data)
		out, err := exec.Command("mkfs.ext4", "-q", "-F", "-L", "perm", "-E", "offset="+strconv.FormatInt(p.Start, 10),
			f.disk, strconv.FormatInt(p.Size>>10, 10)+"k").CombinedOutput()
		if err != nil {
			t.Fatalf("mkfs.ext4: %v %s", err, out)
		}
	}
	return res
}

func (f *bootFixture) boot(t *testing.T, ctx context.Context) (*Machine, error) {
	t.Helper()
	var tee io.Writer
	if testing.Verbose() {
		tee = prefixWriter{t}
	}
	return Boot(ctx, Config{Board: f.board, Disk: f.disk, Keys: f.keys(), Dir: f.dir, Console: tee})
}

// prefixWriter logs console lines as they come, for go test -v.
type prefixWriter struct{ t *testing.T }

func (p prefixWriter) Write(b []byte) (int, error) {
	p.t.Log("console: " + strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func (f *bootFixture) inspect(t *testing.T) *flash.Report {
	t.Helper()
	d, err := os.Open(f.disk)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r, err := flash.Inspect(flash.Target{Dev: readOnly{d}, Size: 256 << 20}, f.keys(), f.board.Name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type readOnly struct{ f *os.File }

func (r readOnly) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (r readOnly) WriteAt([]byte, int64) (int, error)      { return 0, errors.New("read only") }

// TestBoot boots the signed image to phoned's ready line, checks that the
// init duties ran on the real kernel (modules, data partition, watchdog,
// the slot marked good), reboots it cleanly with Ctrl-Alt-Del, and then
// shows a tampered slot refused by the boot loader.
func TestBoot(t *testing.T) {
	f := newBootFixture(t)
	f.flash(t, f.build(t, 1))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m, err := f.boot(t, ctx)
	if err != nil {
		t.Fatal(err)
	}
	console := func() string { return strings.Join(m.Console(), "\n") }
	defer func() {
		m.Kill()
		os.WriteFile(filepath.Join(f.dir, "console.log"), []byte(console()+"\n"), 0o644)
		if t.Failed() && !testing.Verbose() {
			t.Logf("console:\n%s", console())
		}
	}()
	if m.Slot != slot.A || m.Manifest.Version != 1 {
		t.Fatalf("booted slot %s version %d", slot.Name(m.Slot), m.Manifest.Version)
	}
	line, at, err := m.WaitLine(ctx, pid1.ReadyLine)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ready %.2fs after QEMU started: %s", at.Seconds(), line)
	for _, want := range []string{"mehfooz: init-done", "modules loaded", "network up", "data mounted", "watchdog armed", "entropy seeded"} {
		if !strings.Contains(console(), want) {
			t.Errorf("console lacks %q", want)
		}
	}
	// No listening TCP socket and no bound UDP socket: nothing can reach in.
	if !strings.Contains(console(), `msg="listening sockets" tcp_listen_and_udp_bound=0`) {
		t.Error("the guest has a listening network port (or did not report)")
	}
	for _, bad := range []string{"level=ERROR", "Kernel panic", "Call Trace"} {
		if strings.Contains(console(), bad) {
			t.Errorf("console shows %q", bad)
		}
	}

	q, err := m.DialQMP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	shot := filepath.Join(f.dir, "screen.ppm")
	if phonedPackage() == "mehfooz/cmd/phoned" {
		if _, _, err := m.WaitLine(ctx, "mehfooz: first-frame"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.WaitLine(ctx, "boot slot marked successful"); err != nil {
			t.Fatal(err)
		}
	}
	// Phoned marks its slot good once healthy (pid1.System.BootSucceeded).
	marked := strings.Contains(console(), "boot slot marked successful")
	if err := q.Screendump(ctx, shot); err != nil {
		t.Fatal(err)
	}
	if w, h, err := ppmSize(shot); err != nil || w != f.board.Display.Width || h != f.board.Display.Height {
		t.Errorf("screendump %dx%d (%v), want the board's %dx%d", w, h, err, f.board.Display.Width, f.board.Display.Height)
	} else if phonedPackage() == "mehfooz/cmd/phoned" {
		// The image's provisioning is empty, so phoned shows the critical
		// alert that says so, over a modem that is off: the same screen the
		// ui package draws for that state, pixel for pixel.
		// The alert's text is the loader's own error for that file.
		_, perr := daemon.LoadProvisioning(strings.NewReader("{}\n"), "")
		if perr == nil {
			t.Fatal("an empty provisioning loads")
		}
		compareScreen(t, shot, state.Snapshot{Board: f.board.Name, Alerts: []state.Alert{{
			ID: "a1", Kind: state.AlertNoService, Severity: state.SeverityCritical, Title: "Handset not provisioned",
			Text: perr.Error(),
		}}}, func() error { return q.Screendump(ctx, shot) })
	}
	// phoned grabs the keyboards, so the power button (its key reaches phoned
	// through evdev) asks for a clean power-off; the stand-in init takes
	// Ctrl-Alt-Del (SIGINT from the kernel) as a clean reboot. QEMU exits either way.
	stop, end := func() error { return q.PowerButton(ctx) }, "mehfooz: poweroff"
	if phonedPackage() != "mehfooz/cmd/phoned" {
		stop, end = func() error { return q.SendKeys(ctx, "ctrl", "alt", "delete") }, "mehfooz: reboot"
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.WaitLine(ctx, end); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(ctx); err != nil {
		t.Fatalf("QEMU after the reboot: %v", err)
	}
	r := f.inspect(t)
	switch {
	case marked && (!r.State.Slots[slot.A].Successful || r.State.Floor != 1):
		t.Fatalf("phoned said it marked slot A, the disk says %+v", r.State)
	case !marked && phonedPackage() == "mehfooz/cmd/phoned":
		t.Log("phoned does not call pid1.System.BootSucceeded yet: slot A stays on trial")
	case !marked:
		t.Fatal("the stand-in init did not mark its slot")
	}

	// Flip one byte of the kernel in slot A on the disk: the boot loader
	// refuses it and, with no other slot, boots nothing.
	d, _ := os.OpenFile(f.disk, os.O_RDWR, 0)
	l, _ := disk.Read(d, 256<<20)
	sa, _ := l.Find(disk.SlotA)
	kp, _ := m.Manifest.Part(image.PartKernel)
	b := make([]byte, 1)
	d.ReadAt(b, sa.Start+kp.Offset+1000)
	b[0] ^= 0x01
	d.WriteAt(b, sa.Start+kp.Offset+1000)
	d.Close()
	if _, err := f.boot(t, ctx); !errors.Is(err, slot.ErrNoBootable) || !errors.Is(err, image.ErrTampered) {
		t.Fatalf("boot of a tampered slot: %v; want refused as tampered", err)
	}
}

// compareScreen checks that the screendump at path shows what the ui package
// draws for snap at the same size: at most 0.5 % of the pixels may differ
// by more than a few levels (blit rounding), none does today.
func compareScreen(t *testing.T, path string, snap state.Snapshot, retake func() error) {
	t.Helper()
	want := expectedScreen(t, path, snap)
	var bad, n int
	// The kernel copies the framebuffer to the display a little after
	// phoned writes it (fbdev deferred I/O), later still under TCG.
	for deadline := time.Now().Add(20 * time.Second); ; {
		got := readScreen(t, path)
		bad, n = differing(want, got), len(want.Pix)/4
		if bad <= n/200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
		if err := retake(); err != nil {
			t.Fatal(err)
		}
	}
	if bad > n/200 {
		png := strings.TrimSuffix(path, ".ppm") + "-expected.png"
		if out, err := os.Create(png); err == nil {
			imgpng.Encode(out, want)
			out.Close()
		}
		t.Errorf("screendump differs from the expected screen in %d of %d pixels (expected screen: %s)", bad, n, png)
	}
}

func readScreen(t *testing.T, path string) *stdimage.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadPPM(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// expectedScreen draws snap with the ui package at the size of the
// screendump at path.
func expectedScreen(t *testing.T, path string, snap state.Snapshot) *stdimage.RGBA {
	t.Helper()
	want := stdimage.NewRGBA(readScreen(t, path).Bounds())
	snaps := make(chan state.Snapshot, 1)
	snaps <- snap
	app, err := ui.New(ui.Config{Display: ui.ImageDisplay(want), Snapshots: snaps, Send: func(state.Intent) {}, Clock: clock.NewFake(time.Unix(0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	// The first frame is drawn once the snapshot is read; a screenshot
	// flushes what is drawn, so ask until the screen is no longer blank.
	for deadline := time.Now().Add(10 * time.Second); want.Pix[3] == 0 && time.Now().Before(deadline); {
		if _, err := app.Screenshot(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	return want
}

// differing counts the pixels whose colour differs by more than a few levels.
func differing(want, got *stdimage.RGBA) int {
	bad := 0
	for i := 0; i < len(want.Pix) && i < len(got.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			if d := int(want.Pix[i+c]) - int(got.Pix[i+c]); d > 8 || d < -8 {
				bad++
				break
			}
		}
	}
	return bad
}

func ppmSize(path string) (int, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b[:min(len(b), 64)]))
	if len(f) < 3 || f[0] != "P6" {
		return 0, 0, fmt.Errorf("not a binary PPM")
	}
	w, err1 := strconv.Atoi(f[1])
	h, err2 := strconv.Atoi(f[2])
	return w, h, errors.Join(err1, err2)
}

// testCA is a throwaway CA certificate for the image's CA slot.
func testCA(t *testing.T) []byte {
	k, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "boot test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
