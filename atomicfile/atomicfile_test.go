package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	if b, err := Read(p); err != nil || b != nil {
		t.Fatalf("Read of missing file = %q, %v; want nil, nil", b, err)
	}
	for _, want := range []string{"one", "two, longer", "3"} {
		if err := WriteFile(p, []byte(want), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Read(p)
		if err != nil || string(got) != want {
			t.Fatalf("Read = %q, %v; want %q", got, err, want)
		}
	}
	if err := WriteFile(p, []byte("new"), 0o640); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode = %v, %v; want 0640 exactly", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("dir holds %d entries, want 1 (no temp files left)", len(ents))
	}
}

func TestFailedFillLeavesOldAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, 0o600, func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("content after failed write = %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temp file left behind: %v", ents)
	}
}

func TestMissingDirIsAnError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	if err := WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "f"), nil, 0o600); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	if got, _ := Read(p); string(got) != "old" {
		t.Fatalf("old content = %q", got)
	}
}

// A writer killed before its rename leaves a temp file; Clean finds it by
// the same prefix Write uses.
func TestCleanRemovesOnlyTemps(t *testing.T) {
	dir := t.TempDir()
	leftover := filepath.Join(dir, "state")
	err := Write(leftover, 0o600, func(w io.Writer) error {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents { // keep a copy of the temp file, as a kill would
			os.Link(filepath.Join(dir, e.Name()), filepath.Join(dir, e.Name()+"-kept"))
		}
		return errors.New("killed")
	})
	if err == nil {
		t.Fatal("fill error not returned")
	}
	os.WriteFile(filepath.Join(dir, "kept"), []byte("kept"), 0o600)
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("before Clean: %v, want a temp file and kept", ents)
	}
	if err := Clean(dir); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "kept" {
		t.Fatalf("after Clean: %v", ents)
	}
}

func TestShredZeroesThenUnlinks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	secret := bytes.Repeat([]byte{0xA5}, 70000)
	os.WriteFile(p, secret, 0o600)
	// Keep a second link to observe the inode's content after the unlink.
	q := filepath.Join(dir, "observer")
	if err := os.Link(p, q); err != nil {
		t.Skipf("hard links unsupported: %v", err)
	}
	if err := Shred(p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("file still exists: %v", err)
	}
	got, _ := os.ReadFile(q)
	if len(got) != len(secret) || !bytes.Equal(got, make([]byte, len(secret))) {
		t.Fatalf("content after shred is not all zeros (len %d)", len(got))
	}
	if err := Shred(p); err != nil {
		t.Fatalf("Shred of a missing file: %v", err)
	}
}

func TestFileStore(t *testing.T) {
	f := File{Path: filepath.Join(t.TempDir(), "b")}
	if b, err := f.Load(); err != nil || b != nil {
		t.Fatalf("Load empty = %q, %v", b, err)
	}
	if err := f.Save([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, _ := f.Load(); string(b) != "x" {
		t.Fatalf("Load = %q", b)
	}
	if st, _ := os.Stat(f.Path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
}
