package qemu

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mehfooz/board"
	"mehfooz/image"
	"mehfooz/image/flash"
	"mehfooz/image/slot"
)

// TestMachineWithAFakeEmulator runs the boot loader and the console and
// exit plumbing against a shell script standing in for QEMU, so they are
// tested on every go test, not only in make boot-test.
func TestMachineWithAFakeEmulator(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	keys := []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}
	b, _ := board.Lookup("qemu-x86_64")
	var img bytes.Buffer
	if err := image.Write(&img, image.Manifest{Board: b.Name, Arch: "amd64", Version: 4, Kernel: "6.1"},
		image.Contents{Kernel: []byte("bzImage"), Initramfs: []byte("cpio"), Cmdline: []byte(image.Cmdline(b))}, key); err != nil {
		t.Fatal(err)
	}
	diskPath := filepath.Join(dir, "disk.img")
	d, _ := os.Create(diskPath)
	d.Truncate(40 << 20)
	if _, err := flash.Flash(bytes.NewReader(img.Bytes()), int64(img.Len()), flash.Target{Dev: d, Size: 40 << 20},
		flash.Options{Keys: keys, Board: b.Name, Format: true, SlotSize: 4 << 20, Rand: rand.Reader}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	// The fake prints its arguments' -append value and a few lines, then
	// fails the way QEMU does on a bad option.
	fake := filepath.Join(dir, "fake-qemu")
	os.WriteFile(fake, []byte(`#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = -append ] && echo "cmdline: $2"; shift; done
echo "mehfooz: ready board=qemu-x86_64 uptime=1.000s"
echo "last words"
echo "qemu: bad option" >&2
exit 3
`), 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := Boot(ctx, Config{Board: b, Disk: diskPath, Keys: keys, Dir: dir, Binary: fake})
	if err != nil {
		t.Fatal(err)
	}
	if m.Slot != slot.A || m.Manifest.Version != 4 {
		t.Fatalf("booted %s v%d", slot.Name(m.Slot), m.Manifest.Version)
	}
	line, _, err := m.WaitLine(ctx, "cmdline:")
	if err != nil || !strings.Contains(line, "panic=-1 mehfooz.slot=a -- --board qemu-x86_64") {
		t.Fatalf("cmdline line %q, %v: want the slot before --", line, err)
	}
	if _, _, err := m.WaitLine(ctx, "mehfooz: ready"); err != nil {
		t.Fatal(err)
	}
	err = m.Wait(ctx)
	if err == nil || !strings.Contains(err.Error(), "qemu: bad option") {
		t.Fatalf("Wait = %v, want the exit with QEMU's message", err)
	}
	if c := m.Console(); c[len(c)-1] != "last words" {
		t.Fatalf("the last console line was lost: %q", c)
	}
	if _, _, err := m.WaitLine(ctx, "never printed"); !errors.Is(err, ErrExited) {
		t.Fatalf("WaitLine after exit = %v, want ErrExited", err)
	}
	for _, want := range []string{"kernel", "initramfs"} {
		if b, err := os.ReadFile(filepath.Join(dir, want)); err != nil || len(b) == 0 {
			t.Errorf("%s not extracted: %v", want, err)
		}
	}
	if s := readState(t, diskPath); s.Slots[slot.A].Tries != slot.DefaultTries-1 {
		t.Errorf("the boot loader did not save the spent try: %+v", s.Slots[slot.A])
	}
}

func readState(t *testing.T, path string) slot.State {
	t.Helper()
	d, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r, err := flash.Inspect(flash.Target{Dev: readOnly{d}, Size: 40 << 20}, nil, "qemu-x86_64")
	if err != nil {
		t.Fatal(err)
	}
	return r.State
}
