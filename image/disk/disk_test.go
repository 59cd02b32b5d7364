package disk

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// memDisk is a disk image in memory.
type memDisk []byte

func (m memDisk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m)) {
		return 0, errors.New("read beyond the disk")
	}
	return copy(p, m[off:]), nil
}

func (m memDisk) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(m)) {
		return 0, errors.New("write beyond the disk")
	}
	return copy(m[off:], p), nil
}

func formatted(t testing.TB, size int64) (memDisk, Layout) {
	t.Helper()
	l, err := Plan(size, 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	d := make(memDisk, size)
	l, err = Format(d, l, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return d, l
}

func TestFormatReadRoundTrip(t *testing.T) {
	d, want := formatted(t, 64<<20)
	got, err := Read(d, int64(len(d)))
	if err != nil {
		t.Fatal(err)
	}
	if got.DiskGUID != want.DiskGUID || len(got.Partitions) != 4 {
		t.Fatalf("read %+v, wrote %+v", got, want)
	}
	for i, p := range got.Partitions {
		if p != want.Partitions[i] {
			t.Errorf("partition %d: read %+v, wrote %+v", i, p, want.Partitions[i])
		}
	}
	perm, err := got.Find(Data)
	if err != nil || perm.Number != 4 || perm.Start != (1+1+8+8)<<20 {
		t.Fatalf("perm = %+v, %v", perm, err)
	}
	if _, err := got.Find("rootfs"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Find(rootfs) = %v", err)
	}
	if d[510] != 0x55 || d[511] != 0xaa || d[446+4] != 0xee {
		t.Fatal("no protective MBR")
	}
}

func TestReadFallsBackToBackup(t *testing.T) {
	d, want := formatted(t, 64<<20)
	copy(d[SectorSize:], make([]byte, SectorSize)) // primary header wiped
	got, err := Read(d, int64(len(d)))
	if err != nil || got.DiskGUID != want.DiskGUID {
		t.Fatalf("backup not used: %v", err)
	}
	d[2*SectorSize+60] ^= 1 // and a primary entry flipped: still the backup
	if _, err := Read(d, int64(len(d))); err != nil {
		t.Fatalf("backup not used: %v", err)
	}
	last := int64(len(d))/SectorSize - 1
	d[last*SectorSize+100] ^= 1 // the backup's reserved area is outside its CRC...
	d[last*SectorSize+20] ^= 1  // ...but its CRC field is not
	if _, err := Read(d, int64(len(d))); !errors.Is(err, ErrNoTable) {
		t.Fatalf("both tables damaged: err = %v, want ErrNoTable", err)
	}
}

func TestPlanRejects(t *testing.T) {
	for name, c := range map[string]struct{ size, slot int64 }{
		"too small":      {20 << 20, 8 << 20},
		"odd slot":       {256 << 20, 8<<20 + 1},
		"unaligned disk": {256<<20 + 1, 8 << 20},
	} {
		if _, err := Plan(c.size, c.slot); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	l, _ := Plan(64<<20, 8<<20)
	l.Partitions[1].Start = l.Partitions[0].Start
	if _, err := Format(make(memDisk, 64<<20), l, rand.Reader); err == nil {
		t.Error("overlapping partitions formatted")
	}
}

// TestPartxReadsOurTable cross-checks with util-linux's partx, which
// parses GPT with the same code as the kernel's tools.
func TestPartxReadsOurTable(t *testing.T) {
	partx, err := exec.LookPath("partx")
	if err != nil {
		t.Skip("partx (util-linux) not installed")
	}
	d, want := formatted(t, 64<<20)
	f := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(f, d, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(partx, "-b", "-P", "-o", "NR,START,SECTORS,NAME,TYPE,UUID", f).Output()
	if err != nil {
		t.Fatalf("partx: %v", err)
	}
	var lines []string
	for _, p := range want.Partitions {
		lines = append(lines, fmt.Sprintf(`NR="%d" START="%d" SECTORS="%d" NAME="%s" TYPE="%s" UUID="%s"`,
			p.Number, p.Start/SectorSize, p.Size/SectorSize, p.Name, p.Type, p.GUID))
	}
	if got, want := strings.TrimSpace(string(out)), strings.Join(lines, "\n"); got != want {
		t.Fatalf("partx sees:\n%s\nwant:\n%s", got, want)
	}
}

// fuzzDisk is a small disk with a valid table, so the fuzzer mutates
// tables rather than megabytes of zeros.
const fuzzDisk = 256 << 10

func smallFormatted(t testing.TB) memDisk {
	l := Layout{DiskSize: fuzzDisk, Partitions: []Partition{
		{Name: BootCtl, Type: TypeBootCtl, Start: 40 * SectorSize, Size: 16 * SectorSize, Number: 1},
		{Name: Data, Type: TypeLinux, Start: 64 * SectorSize, Size: 64 * SectorSize, Number: 2},
	}}
	d := make(memDisk, fuzzDisk)
	if _, err := Format(d, l, rand.Reader); err != nil {
		t.Fatal(err)
	}
	return d
}

func FuzzRead(f *testing.F) {
	d := smallFormatted(f)
	f.Add(bytes.Clone(d[:4*SectorSize])) // MBR, header, first entries
	f.Fuzz(func(t *testing.T, b []byte) {
		disk := make(memDisk, fuzzDisk)
		copy(disk, b)
		l, err := Read(disk, fuzzDisk)
		if err != nil {
			return
		}
		if err := l.check(); err != nil {
			t.Fatalf("Read returned a layout check rejects: %v", err)
		}
	})
}
