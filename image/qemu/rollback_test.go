package qemu

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"mehfooz/daemon/pid1"
	"mehfooz/image/disk"
	"mehfooz/image/slot"
)

// TestBootRollsBack installs an update whose init dies at once, gives it a
// single try, and shows the device coming back on the previous slot: the
// boot loader spends the try, the kernel panics, the next boot skips the
// exhausted slot, the old image boots and marks itself good.
func TestBootRollsBack(t *testing.T) {
	f := newBootFixture(t)
	f.phoned = buildInit(t, f.dir, "mehfooz/image/qemu/testdata/init")
	f.flash(t, f.build(t, 1)) // slot A
	good := f.phoned
	f.phoned = buildInit(t, f.dir, "mehfooz/image/qemu/testdata/broken")
	if res := f.flash(t, f.build(t, 2)); res.Slot != slot.B {
		t.Fatalf("update went to slot %s", slot.Name(res.Slot))
	}
	f.phoned = good
	setTries(t, f.disk, slot.B, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m, err := f.boot(t, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Slot != slot.B || m.Manifest.Version != 2 {
		t.Fatalf("first boot: slot %s version %d, want the update", slot.Name(m.Slot), m.Manifest.Version)
	}
	if _, _, err := m.WaitLine(ctx, "Kernel panic"); err != nil {
		t.Fatalf("the broken update did not fail as planned: %v\n%s", err, strings.Join(m.Console(), "\n"))
	}
	m.Wait(ctx) // panic=-1 reboots at once; -no-reboot makes QEMU exit

	m, err = f.boot(t, ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Kill()
	if m.Slot != slot.A || m.Manifest.Version != 1 {
		t.Fatalf("second boot: slot %s version %d, want the rollback to A", slot.Name(m.Slot), m.Manifest.Version)
	}
	if _, _, err := m.WaitLine(ctx, "boot slot marked successful"); err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(m.Console(), "\n"))
	}
	if _, _, err := m.WaitLine(ctx, pid1.ReadyLine); err != nil {
		t.Fatal(err)
	}
	q, err := m.DialQMP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q.SendKeys(ctx, "ctrl", "alt", "delete") // the stand-in init
	q.PowerButton(ctx)                       // phoned, which grabs the keyboards
	q.Close()
	m.Wait(ctx)
	r := f.inspect(t)
	if !r.State.Slots[slot.A].Successful || r.State.Floor != 1 || r.State.Bootable(slot.B) {
		t.Fatalf("after the rollback: %+v", r.State)
	}
}

// setTries edits the boot state as only a test may: fewer tries for slot i.
func setTries(t *testing.T, path string, i int, tries uint8) {
	t.Helper()
	d, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l, err := disk.Read(d, 256<<20)
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := l.Find(disk.BootCtl)
	st := slot.NewStore(partWriter{d, bc.Start, bc.Size}, d.Sync)
	s, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	s.Slots[i].Tries = tries
	if err := st.Save(&s); err != nil {
		t.Fatal(err)
	}
}
