package cpio

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type item struct {
	h    Header
	data string
}

func readAll(t testing.TB, b []byte) ([]item, error) {
	t.Helper()
	r := NewReader(bytes.NewReader(b))
	var out []item
	for {
		h, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		d, err := io.ReadAll(r)
		if err != nil {
			return out, err
		}
		out = append(out, item{*h, string(d)})
	}
}

func sample(t testing.TB, order []int) []byte {
	t.Helper()
	adds := []func(w *Writer) error{
		func(w *Writer) error { return w.AddFile("init", 0o755, []byte("\x7fELF...")) },
		func(w *Writer) error {
			return w.AddFile("lib/modules/6.1.0/kernel/drivers/virtio/virtio.ko", 0o644, []byte("module"))
		},
		func(w *Writer) error {
			return w.AddFile("etc/mehfooz/ca.pem", 0o644, []byte("-----BEGIN CERTIFICATE-----\n"))
		},
		func(w *Writer) error { return w.AddCharDev("dev/console", 0o600, 5, 1) },
		func(w *Writer) error { return w.AddSymlink("sbin/init", "../init") },
		func(w *Writer) error { return w.AddDir("perm", 0o700) },
		func(w *Writer) error { return w.AddFile("empty", 0o644, nil) },
	}
	w := NewWriter(0)
	for _, i := range order {
		if err := adds[i](w); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v (buffer %d)", n, err, buf.Len())
	}
	return buf.Bytes()
}

func TestSameEntriesAnyOrderSameBytes(t *testing.T) {
	a := sample(t, []int{0, 1, 2, 3, 4, 5, 6})
	b := sample(t, []int{6, 5, 4, 3, 2, 1, 0})
	if !bytes.Equal(a, b) {
		t.Fatal("archives of the same entries added in another order differ")
	}
	if len(a)%4 != 0 {
		t.Fatalf("archive length %d not 4-aligned", len(a))
	}
}

func TestRoundTrip(t *testing.T) {
	items, err := readAll(t, sample(t, []int{0, 1, 2, 3, 4, 5, 6}))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, it := range items {
		names = append(names, it.h.Name)
		if it.h.Inode != uint32(i+1) || it.h.Mtime != 0 {
			t.Errorf("%s: inode %d mtime %d, want %d and 0", it.h.Name, it.h.Inode, it.h.Mtime, i+1)
		}
	}
	want := "dev dev/console empty etc etc/mehfooz etc/mehfooz/ca.pem init lib lib/modules lib/modules/6.1.0 " +
		"lib/modules/6.1.0/kernel lib/modules/6.1.0/kernel/drivers lib/modules/6.1.0/kernel/drivers/virtio " +
		"lib/modules/6.1.0/kernel/drivers/virtio/virtio.ko perm sbin sbin/init"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("names:\n got %s\nwant %s", got, want)
	}
	byName := map[string]item{}
	for _, it := range items {
		byName[it.h.Name] = it
	}
	if it := byName["init"]; it.h.Type != File || it.h.Perm != 0o755 || it.data != "\x7fELF..." {
		t.Errorf("init = %+v %q", it.h, it.data)
	}
	if it := byName["dev/console"]; it.h.Type != CharDev || it.h.Major != 5 || it.h.Minor != 1 || it.h.Perm != 0o600 {
		t.Errorf("dev/console = %+v", it.h)
	}
	if it := byName["sbin/init"]; it.h.Type != Symlink || it.h.Linkname != "../init" {
		t.Errorf("sbin/init = %+v", it.h)
	}
	if it := byName["perm"]; it.h.Type != Dir || it.h.Perm != 0o700 {
		t.Errorf("perm = %+v", it.h)
	}
	if it := byName["etc"]; it.h.Type != Dir || it.h.Perm != 0o755 {
		t.Errorf("implicit parent etc = %+v", it.h)
	}
}

func TestWriterRejects(t *testing.T) {
	for name, add := range map[string]func(w *Writer) error{
		"absolute dotdot":   func(w *Writer) error { return w.AddFile("/../etc/passwd", 0o644, nil) },
		"dotdot":            func(w *Writer) error { return w.AddFile("a/../../b", 0o644, nil) },
		"unclean":           func(w *Writer) error { return w.AddFile("a//b", 0o644, nil) },
		"empty":             func(w *Writer) error { return w.AddFile("", 0o644, nil) },
		"trailer name":      func(w *Writer) error { return w.AddFile(trailer, 0o644, nil) },
		"setuid":            func(w *Writer) error { return w.AddFile("x", 0o4755, nil) },
		"duplicate":         func(w *Writer) error { w.AddFile("x", 0o644, nil); return w.AddFile("x", 0o644, nil) },
		"parent is a file":  func(w *Writer) error { w.AddFile("x", 0o644, nil); return w.AddFile("x/y", 0o644, nil) },
		"file over folder":  func(w *Writer) error { w.AddFile("x/y", 0o644, nil); return w.AddFile("x", 0o644, nil) },
		"empty link target": func(w *Writer) error { return w.AddSymlink("x", "") },
	} {
		if err := add(NewWriter(0)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := NewWriter(-1).WriteTo(io.Discard); err == nil {
		t.Error("negative mtime: no error")
	}
}

func TestReaderRejectsDamage(t *testing.T) {
	good := sample(t, []int{0, 1, 2, 3, 4, 5, 6})
	cases := map[string][]byte{
		"truncated header": good[:50],
		"truncated data":   good[:len(good)-200],
		"no trailer":       good[:bytes.LastIndex(good, []byte(magic))],
		"bad magic":        append([]byte("070702"), good[6:]...),
		"non-hex field":    append(append([]byte(magic), []byte("0000000g")...), good[14:]...),
		"empty":            nil,
	}
	huge := bytes.Clone(good)
	copy(huge[6+11*8:], "00ffffff") // namesize of the first entry
	cases["huge name"] = huge
	dotdot := bytes.Clone(good)
	i := bytes.Index(dotdot, []byte("dev\x00"))
	copy(dotdot[i:], "../\x00")
	cases["dotdot name"] = dotdot
	for name, b := range cases {
		if _, err := readAll(t, b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

// TestKernelCompatibleWithGNUCpio cross-checks the format with GNU cpio, the
// reference implementation: it must extract our archive, and our reader
// must read one it wrote.
func TestKernelCompatibleWithGNUCpio(t *testing.T) {
	cpioBin, err := exec.LookPath("cpio")
	if err != nil {
		t.Skip("GNU cpio not installed (scripts/deps.sh installs it)")
	}
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours.cpio")
	if err := os.WriteFile(ours, sample(t, []int{0, 1, 2, 4, 5, 6}), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	cmd := exec.Command(cpioBin, "-i", "-d", "--quiet", "-F", ours)
	cmd.Dir = out
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -i: %v: %s", err, b)
	}
	if b, err := os.ReadFile(filepath.Join(out, "lib/modules/6.1.0/kernel/drivers/virtio/virtio.ko")); err != nil || string(b) != "module" {
		t.Fatalf("extracted module = %q, %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(out, "sbin/init")); err != nil || l != "../init" {
		t.Fatalf("extracted symlink = %q, %v", l, err)
	}
	cmd = exec.Command(cpioBin, "-o", "-H", "newc", "--quiet")
	cmd.Dir = out
	cmd.Stdin = strings.NewReader("init\nsbin\nsbin/init\netc/mehfooz/ca.pem\n")
	theirs, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -o: %v", err)
	}
	items, err := readAll(t, theirs)
	if err != nil {
		t.Fatalf("reading GNU cpio's archive: %v", err)
	}
	if len(items) != 4 || items[0].data != "\x7fELF..." || items[2].h.Linkname != "../init" {
		t.Fatalf("GNU archive read as %+v", items)
	}
}

func FuzzReader(f *testing.F) {
	f.Add(sample(f, []int{0, 1, 2, 3, 4, 5, 6}))
	f.Add(sample(f, []int{6}))
	f.Add([]byte(magic + strings.Repeat("0", 13*8)))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := readAll(t, b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error not wrapping ErrFormat: %v", err)
			}
			return
		}
		// Whatever the reader accepts, the writer can write again and the
		// reader reads back the same entries.
		w := NewWriter(0)
		for _, it := range items {
			var err error
			switch it.h.Type {
			case File:
				err = w.AddFile(it.h.Name, it.h.Perm, []byte(it.data))
			case Dir:
				err = w.AddDir(it.h.Name, it.h.Perm)
			case Symlink:
				err = w.AddSymlink(it.h.Name, it.h.Linkname)
			case CharDev:
				err = w.AddCharDev(it.h.Name, it.h.Perm, it.h.Major, it.h.Minor)
			}
			if err != nil {
				return // duplicates and the like: valid framing, refused content
			}
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(t, buf.Bytes()); err != nil {
			t.Fatalf("re-written archive unreadable: %v", err)
		}
	})
}
