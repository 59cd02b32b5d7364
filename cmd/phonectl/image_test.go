package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mehfooz/board"
	"mehfooz/daemon"
	"mehfooz/image/disk"
	"mehfooz/image/slot"
)

// imageFixture is a workspace with a signing key, a fake kernel tree that
// has every module the QEMU board names, and the provisioning inputs.
type imageFixture struct {
	dir, key, pub, kernel, phoned, ca, config string
	e                                         *env
}

func newImageFixture(t *testing.T) *imageFixture {
	t.Helper()
	dir := t.TempDir()
	f := &imageFixture{dir: dir, key: filepath.Join(dir, "sign.pem"), pub: filepath.Join(dir, "sign.pub.pem"),
		kernel: filepath.Join(dir, "kernel"), phoned: filepath.Join(dir, "phoned"),
		ca: filepath.Join(dir, "ca.pem"), config: filepath.Join(dir, "provision.json"), e: trustEnv(nil)}
	if code, out, errs := runIn(t, f.e, "image", "key", "--out", f.key); code != 0 || !strings.Contains(out, "key ID") {
		t.Fatalf("image key: %d %s %s", code, out, errs)
	}
	if code, _, errs := runIn(t, f.e, "image", "key", "--out", f.key); code == 0 || !strings.Contains(errs, "refusing to overwrite") {
		t.Fatalf("image key over an existing key: %d %s", code, errs)
	}
	if fi, err := os.Stat(f.key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key mode: %v %v", fi, err)
	}
	rel := "6.1.0-test"
	mods := filepath.Join(f.kernel, "lib/modules", rel)
	os.MkdirAll(filepath.Join(mods, "kernel"), 0o755)
	os.MkdirAll(filepath.Join(f.kernel, "boot"), 0o755)
	os.WriteFile(filepath.Join(f.kernel, "boot/vmlinuz-"+rel), bytes.Repeat([]byte("K"), 100000), 0o644)
	b, _ := board.Lookup("qemu-x86_64")
	var dep strings.Builder
	for _, m := range b.Kernel.Modules {
		dep.WriteString("kernel/" + m + ".ko:\n")
		os.WriteFile(filepath.Join(mods, "kernel", m+".ko"), []byte(m), 0o644)
	}
	os.WriteFile(filepath.Join(mods, "modules.dep"), []byte(dep.String()), 0o644)
	os.WriteFile(f.phoned, []byte("\x7fELF not really"), 0o755)
	os.WriteFile(f.ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644)
	os.WriteFile(f.config, []byte(`{"exchange":"10.0.2.2:7443"}`), 0o644)
	return f
}

func (f *imageFixture) build(t *testing.T, name, boardName string, version int, extra ...string) string {
	t.Helper()
	out := filepath.Join(f.dir, name)
	args := append([]string{"image", "build", "--board", boardName, "--version", itoa(version), "--label", "test",
		"--key", f.key, "--ca", f.ca, "--config", f.config, "--kernel", f.kernel, "--phoned", f.phoned, "--out", out}, extra...)
	if code, stdout, errs := runIn(t, f.e, args...); code != 0 || !strings.Contains(stdout, "version "+itoa(version)) {
		t.Fatalf("image build: %d %s %s", code, stdout, errs)
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestImageBuildIsReproducible(t *testing.T) {
	f := newImageFixture(t)
	a := f.build(t, "a.img", "qemu-x86_64", 1)
	b := f.build(t, "b.img", "qemu-x86_64", 1)
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("two builds from the same inputs differ")
	}
	code, out, errs := runIn(t, f.e, "verify", "--pub", f.pub, a)
	if code != 0 || !strings.Contains(out, "OK: signature and every part verified") {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"image", "build", "--board", "sim", "--version", "1"}, "required"},
		{[]string{"image", "build", "--board", "qemu-x86_64", "--version", "0", "--key", "k", "--ca", "c", "--config", "c", "--out", "o"}, "starts at 1"},
		{[]string{"image", "build", "--board", "pixel", "--version", "1", "--key", "k", "--ca", "c", "--config", "c", "--out", "o"}, "unknown board"},
	} {
		if code, _, errs := runIn(t, f.e, c.args...); code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: %d %s", c.args, code, errs)
		}
	}
	if code, _, errs := runIn(t, f.e, "image", "build", "--help"); code != 0 || !strings.Contains(errs, "--version") {
		t.Errorf("--help: %d %s", code, errs)
	}
}

func TestFlashAndVerifyRefusals(t *testing.T) {
	f := newImageFixture(t)
	v1 := f.build(t, "v1.img", "qemu-x86_64", 1)
	v2 := f.build(t, "v2.img", "qemu-x86_64", 2)
	v3 := f.build(t, "v3.img", "qemu-x86_64", 3)
	handset := f.build(t, "h.img", "handset-a64", 4)
	target := filepath.Join(f.dir, "disk.img")
	flash := func(img string, extra ...string) (int, string, string) {
		return runIn(t, f.e, append([]string{"flash", "--board", "qemu-x86_64", "--pub", f.pub, "--image", img, "--target", target}, extra...)...)
	}

	if code, _, errs := flash(v2); code != 1 || !strings.Contains(errs, "--format --size") {
		t.Fatalf("flash to a missing file: %d %s", code, errs)
	}
	code, out, errs := flash(v2, "--format", "--size", "40M", "--slot-size", "4M")
	if code != 0 || !strings.Contains(out, "slot a") || !strings.Contains(errs, "100%") {
		t.Fatalf("flash --format: %d %s %s", code, out, errs)
	}
	// The data partition got an ext4 file system (magic 0xEF53 at 1080).
	d, _ := os.ReadFile(target)
	l, err := disk.Read(bytes.NewReader(d), int64(len(d)))
	if err != nil {
		t.Fatal(err)
	}
	perm, _ := l.Find(disk.Data)
	if binary.LittleEndian.Uint16(d[perm.Start+1080:]) != 0xef53 {
		t.Fatal("no ext4 file system on the data partition")
	}

	// The handset booted v2 and proved it good: the floor is 2.
	markGood(t, target)
	before, _ := os.ReadFile(target)

	tampered := filepath.Join(f.dir, "tampered.img")
	b, _ := os.ReadFile(v3)
	b[len(b)-2] ^= 1
	os.WriteFile(tampered, b, 0o644)
	unsigned := filepath.Join(f.dir, "unsigned.img")
	b, _ = os.ReadFile(v3)
	binary.BigEndian.PutUint32(b[16:], 0)
	os.WriteFile(unsigned, b, 0o644)
	for _, c := range []struct {
		img, want string
	}{
		{tampered, "altered or damaged"},
		{unsigned, "carries no signature"},
		{v1, "below the device's floor 2"},
		{handset, "different boards"},
	} {
		code, _, errs := flash(c.img)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("flash %s: %d %s; want %q", filepath.Base(c.img), code, errs, c.want)
		}
		if code, _, errs := runIn(t, f.e, "verify", "--pub", f.pub, "--board", "qemu-x86_64", c.img); c.img != v1 && code == 0 {
			t.Errorf("verify %s passed: %s", filepath.Base(c.img), errs)
		}
	}
	if after, _ := os.ReadFile(target); !bytes.Equal(before, after) {
		t.Fatal("a refused flash changed the target")
	}
	code, out, errs = flash(v3)
	if code != 0 || !strings.Contains(out, "slot b") {
		t.Fatalf("flash v3: %d %s %s", code, out, errs)
	}
	code, out, errs = runIn(t, f.e, "verify", "--pub", f.pub, "--board", "qemu-x86_64", target)
	if code != 0 || !strings.Contains(out, "slot a: priority 1, tries 0, successful true") || !strings.Contains(out, `version 3 "test" verified`) {
		t.Fatalf("verify device: %d %s %s", code, out, errs)
	}
	// Corrupt slot B on the device: verify reports it without writing.
	d, _ = os.ReadFile(target)
	sb, _ := l.Find(disk.SlotB)
	d[sb.Start+70000] ^= 1
	os.WriteFile(target, d, 0o644)
	code, out, errs = runIn(t, f.e, "verify", "--pub", f.pub, "--board", "qemu-x86_64", target)
	if code != 1 || !strings.Contains(out, "does not match its signed hash") {
		t.Fatalf("verify of a corrupted slot: %d %s %s", code, out, errs)
	}
	if after, _ := os.ReadFile(target); !bytes.Equal(d, after) {
		t.Fatal("verify wrote to the device")
	}
}

// markGood plays the handset: the boot loader picks a slot and phoned
// marks it successful.
func markGood(t *testing.T, path string) {
	t.Helper()
	fl, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	fi, _ := fl.Stat()
	l, err := disk.Read(fl, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := l.Find(disk.BootCtl)
	st := slot.NewStore(section{fl, bc.Start}, nil)
	s, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	i, err := s.Choose()
	if err != nil {
		t.Fatal(err)
	}
	s.MarkSuccessful(i)
	if err := st.Save(&s); err != nil {
		t.Fatal(err)
	}
}

type section struct {
	f   *os.File
	off int64
}

func (s section) ReadAt(p []byte, off int64) (int, error)  { return s.f.ReadAt(p, s.off+off) }
func (s section) WriteAt(p []byte, off int64) (int, error) { return s.f.WriteAt(p, s.off+off) }

// TestFlashWritesDeviceID: a fleet image names no handset; flash --format
// --device-id puts the handset's ID on the new data partition, where
// phoned reads it (daemon.DeviceIDFile).
func TestFlashWritesDeviceID(t *testing.T) {
	debugfs, err := exec.LookPath("debugfs")
	if err != nil {
		t.Skip("debugfs (e2fsprogs) is missing")
	}
	f := newImageFixture(t)
	img := f.build(t, "v1.img", "qemu-x86_64", 1)
	target := filepath.Join(f.dir, "disk.img")
	flash := func(extra ...string) (int, string, string) {
		return runIn(t, f.e, append([]string{"flash", "--board", "qemu-x86_64", "--pub", f.pub, "--image", img, "--target", target}, extra...)...)
	}
	if code, _, errs := flash("--format", "--size", "40M", "--slot-size", "4M", "--device-id", "../etc"); code != 2 || !strings.Contains(errs, "device ID") {
		t.Fatalf("bad --device-id: %d %s", code, errs)
	}
	if code, out, errs := flash("--format", "--size", "40M", "--slot-size", "4M", "--device-id", "pk-gov-0009"); code != 0 {
		t.Fatalf("flash --device-id: %d %s %s", code, out, errs)
	}
	if code, _, errs := flash("--device-id", "pk-gov-0010"); code != 2 || !strings.Contains(errs, "needs --format") {
		t.Fatalf("--device-id without --format: %d %s", code, errs)
	}
	d, _ := os.ReadFile(target)
	l, err := disk.Read(bytes.NewReader(d), int64(len(d)))
	if err != nil {
		t.Fatal(err)
	}
	perm, _ := l.Find(disk.Data)
	out, err := exec.Command(debugfs, "-R", "cat /"+daemon.DeviceIDFile, target+"?offset="+strconv.FormatInt(perm.Start, 10)).Output()
	if err != nil {
		t.Fatalf("debugfs: %v", err)
	}
	id, err := daemon.ReadDeviceID(bytes.NewReader(out))
	if err != nil || id != "pk-gov-0009" {
		t.Fatalf("device ID on the data partition: %q, %v", out, err)
	}
}
