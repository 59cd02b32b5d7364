package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mehfooz/image/disk"
)

func TestQEMUCommandsRefuseBeforeStartingAnything(t *testing.T) {
	f := newImageFixture(t)
	img := f.build(t, "v1.img", "qemu-x86_64", 1)
	target := filepath.Join(f.dir, "disk.img")
	if code, _, errs := runIn(t, f.e, "flash", "--board", "qemu-x86_64", "--pub", f.pub, "--image", img, "--target", target, "--format", "--size", "40M", "--slot-size", "4M"); code != 0 {
		t.Fatalf("flash: %s", errs)
	}
	// Corrupt the kernel in slot A: the boot loader must refuse it, and no
	// QEMU is started (the binary named does not even exist).
	d, _ := os.ReadFile(target)
	l, _ := disk.Read(strings.NewReader(string(d)), int64(len(d)))
	a, _ := l.Find(disk.SlotA)
	d[a.Start+64<<10+10] ^= 1
	os.WriteFile(target, d, 0o644)
	code, _, errs := runIn(t, f.e, "qemu", "run", "--disk", target, "--pub", f.pub)
	if code != 1 || !strings.Contains(errs, "slot a: image: part does not match") || !strings.Contains(errs, "altered or damaged") {
		t.Fatalf("qemu run of a tampered slot: %d %s", code, errs)
	}
	for _, c := range [][]string{
		{"qemu", "run"},
		{"qemu", "run", "--disk", target},
		{"qemu", "key", "down"},
		{"qemu", "screenshot", "--qmp", "x.sock"},
		{"qemu", "run", "--disk", target, "--pub", f.pub, "--board", "nosuch"},
	} {
		if code, _, errs := runIn(t, f.e, c...); code != 2 {
			t.Errorf("%v: code %d %s, want a usage error", c, code, errs)
		}
	}
	if got := splitChord("ctrl+alt+delete"); !slices.Equal(got, []string{"ctrl", "alt", "delete"}) {
		t.Errorf("splitChord = %v", got)
	}
}
