package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	if b, err := Read(p); err != nil || b != nil {
		t.Fatalf("Read of missing file = %q, %v; want nil, nil", b, err)
	}
	for _, want := range []string{"one", "two, longer", "3"} {
		if err := Write(p, []byte(want), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Read(p)
		if err != nil || string(got) != want {
			t.Fatalf("Read = %q, %v; want %q", got, err, want)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("dir holds %d entries, want 1 (no temp files left)", len(ents))
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state")
	if err := Write(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A directory where the target is makes the rename fail.
	if err := Write(filepath.Join(dir, "missing", "x"), []byte("new"), 0o600); err == nil {
		t.Fatal("Write into a missing directory succeeded")
	}
	if got, _ := Read(p); string(got) != "old" {
		t.Fatalf("old content = %q", got)
	}
}

func TestCleanRemovesOnlyTemps(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, tempPrefix+"state-1"), []byte("half"), 0o600)
	os.WriteFile(filepath.Join(dir, "state"), []byte("kept"), 0o600)
	if err := Clean(dir); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "state" {
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
}
