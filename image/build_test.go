package image

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"mehfooz/board"
	"mehfooz/image/cpio"
	"mehfooz/image/kmod"
)

func kernelTree() fstest.MapFS {
	m := "lib/modules/6.1.0-56-amd64/"
	return fstest.MapFS{
		"boot/vmlinuz-6.1.0-56-amd64": {Data: []byte("bzImage")},
		m + "modules.dep": {Data: []byte("kernel/drivers/input/evdev.ko:\nkernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko\n" +
			"kernel/fs/jbd2/jbd2.ko:\nkernel/crypto/crc32c_generic.ko:\nkernel/sound/unused.ko:\n")},
		m + "modules.softdep":                 {Data: []byte("softdep ext4 pre: crypto-crc32c\nsoftdep unused pre: evdev\n")},
		m + "modules.alias":                   {Data: []byte("alias crypto-crc32c crc32c_generic\nalias pci:v1234* unused\n")},
		m + "modules.builtin":                 {Data: []byte("kernel/drivers/input/keyboard/atkbd.ko\n")},
		m + "kernel/drivers/input/evdev.ko":   {Data: []byte("evdev")},
		m + "kernel/fs/ext4/ext4.ko":          {Data: []byte("ext4")},
		m + "kernel/fs/jbd2/jbd2.ko":          {Data: []byte("jbd2")},
		m + "kernel/crypto/crc32c_generic.ko": {Data: []byte("crc32c")},
		m + "kernel/sound/unused.ko":          {Data: []byte("unused")},
	}
}

func testConfig(t testing.TB, k fs.FS) BuildConfig {
	b, err := board.Lookup("qemu-x86_64")
	if err != nil {
		t.Fatal(err)
	}
	b.Kernel.Modules = []string{"evdev", "ext4", "atkbd"}
	pubs, _ := MarshalPublicKeys(pub(testKey(1)))
	return BuildConfig{
		Board: b, Version: 3, Label: "test", Kernel: k,
		Phoned: []byte("\x7fELF phoned"), CA: []byte("-----BEGIN CERTIFICATE-----\n"),
		Provision: []byte(`{"exchange":"10.0.2.2:7443"}`), ImageKeys: pubs,
		SigningKeys: []ed25519.PrivateKey{testKey(1)},
	}
}

func unpack(t testing.TB, gz []byte) map[string]string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return unpackRaw(t, raw)
}

func unpackRaw(t testing.TB, raw []byte) map[string]string {
	t.Helper()
	r := cpio.NewReader(bytes.NewReader(raw))
	files := map[string]string{}
	for {
		h, err := r.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		d, _ := io.ReadAll(r)
		files[h.Name] = h.Type.String() + ":" + string(d)
	}
}

func TestBuildIsReproducibleAndComplete(t *testing.T) {
	var a, b bytes.Buffer
	m, err := Build(&a, testConfig(t, kernelTree()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(&b, testConfig(t, kernelTree())); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two builds of the same inputs differ")
	}
	vm, err := Verify(bytes.NewReader(a.Bytes()), int64(a.Len()), []ed25519.PublicKey{pub(testKey(1))})
	if err != nil {
		t.Fatal(err)
	}
	if vm.Kernel != "6.1.0-56-amd64" || vm.Version != 3 || m.Size() != int64(a.Len()) {
		t.Fatalf("manifest %+v", vm)
	}
	cmdline, _ := ReadPart(bytes.NewReader(a.Bytes()), vm, PartCmdline)
	if got := string(cmdline); got != "console=ttyS0 quiet vt.global_cursor_default=0 panic=-1 -- --board qemu-x86_64" {
		t.Errorf("cmdline %q", got)
	}
	gz, _ := ReadPart(bytes.NewReader(a.Bytes()), vm, PartInitramfs)
	files := unpack(t, gz)
	rel := "lib/modules/6.1.0-56-amd64/"
	for name, want := range map[string]string{
		"init":                                  "file:\x7fELF phoned",
		"dev/console":                           "chardev:",
		"perm":                                  "dir:",
		PathCA:                                  "file:-----BEGIN CERTIFICATE-----\n",
		PathRelease:                             `file:{"board":"qemu-x86_64","version":3,"label":"test","kernel":"6.1.0-56-amd64"}` + "\n",
		rel + "kernel/fs/ext4/ext4.ko":          "file:ext4",
		rel + "kernel/crypto/crc32c_generic.ko": "file:crc32c",
		rel + "modules.dep":                     "file:kernel/drivers/input/evdev.ko:\nkernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko\nkernel/fs/jbd2/jbd2.ko:\nkernel/crypto/crc32c_generic.ko:\n",
		rel + "modules.softdep":                 "file:softdep ext4 pre: crypto-crc32c\n",
		rel + "modules.alias":                   "file:alias crypto-crc32c crc32c_generic\n",
	} {
		if files[name] != want {
			t.Errorf("%s = %q, want %q", name, files[name], want)
		}
	}
	if _, ok := files[rel+"kernel/sound/unused.ko"]; ok {
		t.Error("a module outside the closure was copied")
	}
}

// TestTrimmedIndexResolvesTheSameClosure checks that the loader on the
// device, reading only the trimmed index, loads what the builder resolved.
func TestTrimmedIndexResolvesTheSameClosure(t *testing.T) {
	c := testConfig(t, kernelTree())
	gz, err := Initramfs(c, "6.1.0-56-amd64")
	if err != nil {
		t.Fatal(err)
	}
	inside := fstest.MapFS{}
	for name, v := range unpack(t, gz) {
		if d, ok := strings.CutPrefix(v, "file:"); ok {
			inside[name] = &fstest.MapFile{Data: []byte(d)}
		}
	}
	dir := "lib/modules/6.1.0-56-amd64"
	full, _ := kmod.Load(kernelTree(), dir)
	trimmed, err := kmod.Load(inside, dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := full.Resolve(c.Board.Kernel.Modules)
	got, err := trimmed.Resolve(c.Board.Kernel.Modules)
	if err != nil || len(got) != len(want) {
		t.Fatalf("device resolves %v, %v; builder resolved %v", got, err, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("device resolves %v; builder resolved %v", got, want)
		}
	}
}

func TestBuildRejectsMissingInputs(t *testing.T) {
	for name, edit := range map[string]func(c *BuildConfig){
		"no phoned":      func(c *BuildConfig) { c.Phoned = nil },
		"no CA":          func(c *BuildConfig) { c.CA = nil },
		"no image keys":  func(c *BuildConfig) { c.ImageKeys = nil },
		"unknown module": func(c *BuildConfig) { c.Board.Kernel.Modules = []string{"nosuch"} },
		"no signing key": func(c *BuildConfig) { c.SigningKeys = nil },
		"version 0":      func(c *BuildConfig) { c.Version = 0 },
	} {
		c := testConfig(t, kernelTree())
		edit(&c)
		if _, err := Build(io.Discard, c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	k := kernelTree()
	k["lib/modules/6.2.0/modules.dep"] = &fstest.MapFile{}
	if _, err := Build(io.Discard, testConfig(t, k)); err == nil {
		t.Error("two kernel releases: no error")
	}
}

// TestBuildWithDebianKernel builds the QEMU board's initramfs from the real
// kernel when scripts/fetch-kernel.sh has unpacked it.
func TestBuildWithDebianKernel(t *testing.T) {
	dirs, _ := filepath.Glob("../out/kernel/*/lib/modules")
	if len(dirs) == 0 {
		t.Skip("no kernel under out/kernel (scripts/fetch-kernel.sh)")
	}
	k := os.DirFS(filepath.Dir(filepath.Dir(dirs[0])))
	c := testConfig(t, k)
	b, _ := board.Lookup("qemu-x86_64")
	c.Board = b
	rel, err := KernelRelease(k)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := initramfsArchive(c, rel)
	if err != nil {
		t.Fatal(err)
	}
	files := unpackRaw(t, raw)
	n := 0
	for name := range files {
		if strings.HasSuffix(name, ".ko") {
			n++
		}
	}
	if n < 20 || files["lib/modules/"+rel+"/kernel/drivers/gpu/drm/tiny/bochs.ko"] == "" {
		t.Fatalf("%d modules in the closure; bochs present: %v", n, files["lib/modules/"+rel+"/kernel/drivers/gpu/drm/tiny/bochs.ko"] != "")
	}
	t.Logf("%d modules, archive %d bytes without phoned", n, len(raw))
}

func TestUncompressedInitramfsIsThePlainArchive(t *testing.T) {
	c := testConfig(t, kernelTree())
	gz, err := Initramfs(c, "6.1.0-56-amd64")
	if err != nil {
		t.Fatal(err)
	}
	c.Uncompressed = true
	raw, err := Initramfs(c, "6.1.0-56-amd64")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("070701")) || len(raw) <= len(gz) {
		t.Fatalf("uncompressed initramfs: %d bytes starting %q (gzip %d)", len(raw), raw[:6], len(gz))
	}
	if got, want := unpackRaw(t, raw), unpack(t, gz); len(got) != len(want) || got["init"] != want["init"] {
		t.Fatal("the two forms hold different files")
	}
}
