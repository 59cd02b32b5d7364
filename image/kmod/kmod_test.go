package kmod

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

var sampleFS = fstest.MapFS{
	"m/modules.dep": {Data: []byte(`kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko:
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
kernel/crypto/crc32c_generic.ko:
kernel/arch/x86/crypto/crc32c-intel.ko:
kernel/drivers/gpu/drm/tiny/bochs.ko: kernel/drivers/gpu/drm/drm_vram_helper.ko kernel/drivers/gpu/drm/drm_ttm_helper.ko kernel/drivers/gpu/drm/ttm/ttm.ko kernel/drivers/gpu/drm/drm_kms_helper.ko kernel/drivers/gpu/drm/drm.ko
kernel/drivers/gpu/drm/drm_vram_helper.ko: kernel/drivers/gpu/drm/drm_ttm_helper.ko kernel/drivers/gpu/drm/ttm/ttm.ko kernel/drivers/gpu/drm/drm_kms_helper.ko kernel/drivers/gpu/drm/drm.ko
kernel/drivers/gpu/drm/drm_ttm_helper.ko: kernel/drivers/gpu/drm/ttm/ttm.ko kernel/drivers/gpu/drm/drm.ko
kernel/drivers/gpu/drm/ttm/ttm.ko: kernel/drivers/gpu/drm/drm.ko
kernel/drivers/gpu/drm/drm_kms_helper.ko: kernel/drivers/gpu/drm/drm.ko
kernel/drivers/gpu/drm/drm.ko:
kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
`)},
	"m/modules.softdep": {Data: []byte("# Soft dependencies extracted from modules themselves.\nsoftdep ext4 pre: crypto-crc32c\nsoftdep jbd2 pre: crypto-crc32c\nsoftdep drm post: nonexistent\n")},
	"m/modules.alias":   {Data: []byte("# Aliases\nalias crypto-crc32c crc32c_generic\nalias crypto-crc32c crc32c_intel\nalias pci:v00001234d00001111sv*sd*bc03sc*i* bochs\n")},
	"m/modules.builtin": {Data: []byte("kernel/drivers/input/keyboard/atkbd.ko\n")},
}

func names(mods []Module) string {
	var s []string
	for _, m := range mods {
		n := m.Name
		if m.Soft {
			n += "?"
		}
		s = append(s, n)
	}
	return strings.Join(s, " ")
}

func TestResolveOrdersDependenciesFirst(t *testing.T) {
	ix, err := Load(sampleFS, "m")
	if err != nil {
		t.Fatal(err)
	}
	mods, err := ix.Resolve([]string{"ext4", "bochs", "virtio-rng", "atkbd", "pci:v00001234d00001111sv00001AF4sd00001100bc03sc00i00"})
	if err != nil {
		t.Fatal(err)
	}
	want := "crc32c_generic? crc32c_intel? jbd2 mbcache crc16 ext4 drm drm_kms_helper ttm drm_ttm_helper drm_vram_helper bochs virtio virtio_ring virtio_rng"
	if got := names(mods); got != want {
		t.Fatalf("load order:\n got %s\nwant %s", got, want)
	}
	if mods[len(mods)-1].Path != "kernel/drivers/char/hw_random/virtio-rng.ko" {
		t.Errorf("virtio_rng path = %q", mods[len(mods)-1].Path)
	}
	// A module first pulled in by a softdep becomes required when named.
	mods, _ = ix.Resolve([]string{"ext4", "crc32c_generic"})
	if got := names(mods); !strings.HasPrefix(got, "crc32c_generic crc32c_intel?") {
		t.Fatalf("hardened softdep: %s", got)
	}
}

func TestResolveErrors(t *testing.T) {
	ix, _ := Load(sampleFS, "m")
	if _, err := ix.Resolve([]string{"nosuch"}); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown module: %v", err)
	}
	cyc := fstest.MapFS{"modules.dep": {Data: []byte("a.ko: b.ko\nb.ko: a.ko\n")}}
	ix, err := Load(cyc, ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Resolve([]string{"a"}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	missing := fstest.MapFS{"modules.dep": {Data: []byte("a.ko: b.ko\n")}}
	ix, _ = Load(missing, ".")
	if _, err := ix.Resolve([]string{"a"}); !errors.Is(err, ErrUnknown) {
		t.Errorf("missing dependency: %v", err)
	}
	if _, err := Load(fstest.MapFS{}, "."); err == nil {
		t.Error("no modules.dep: no error")
	}
}

func TestLoadRejectsMalformed(t *testing.T) {
	for name, files := range map[string]fstest.MapFS{
		"no colon":      {"modules.dep": {Data: []byte("kernel/a.ko kernel/b.ko\n")}},
		"escaping path": {"modules.dep": {Data: []byte("../../etc/a.ko:\n")}},
		"absolute dep":  {"modules.dep": {Data: []byte("kernel/a.ko: /tmp/b.ko\n")}},
		"duplicate":     {"modules.dep": {Data: []byte("kernel/a.ko:\nkernel/x/a.ko:\n")}},
		"softdep alone": {"modules.dep": {Data: []byte("a.ko:\n")}, "modules.softdep": {Data: []byte("softdep\n")}},
		"alias fields":  {"modules.dep": {Data: []byte("a.ko:\n")}, "modules.alias": {Data: []byte("alias x\n")}},
		"alias pattern": {"modules.dep": {Data: []byte("a.ko:\n")}, "modules.alias": {Data: []byte("alias [ a\n")}},
		"not a module":  {"modules.dep": {Data: []byte("kernel/a.txt:\n")}},
	} {
		if _, err := Load(files, "."); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestDebianKernelIndex resolves the QEMU board's modules against the real
// Debian kernel when scripts/fetch-kernel.sh has unpacked it.
func TestDebianKernelIndex(t *testing.T) {
	dirs, _ := filepath.Glob("../../out/kernel/*/lib/modules/*")
	if len(dirs) == 0 {
		t.Skip("no kernel unpacked under out/kernel (scripts/fetch-kernel.sh)")
	}
	ix, err := Load(os.DirFS(dirs[0]), ".")
	if err != nil {
		t.Fatal(err)
	}
	mods, err := ix.Resolve([]string{"virtio_pci", "virtio_blk", "bochs", "ext4", "snd_intel8x0", "evdev"})
	if err != nil {
		t.Fatal(err)
	}
	got := names(mods)
	for _, want := range []string{"crc32c_generic? ", "jbd2 ", "ext4", "drm ", "bochs", "snd_ac97_codec", "snd_intel8x0", "evdev"} {
		if !strings.Contains(got+" ", want) {
			t.Errorf("closure lacks %q: %s", want, got)
		}
	}
	if strings.Index(got, "crc32c_generic") > strings.Index(got, "ext4") {
		t.Errorf("crc32c_generic must load before ext4 (modules.softdep): %s", got)
	}
	for _, m := range mods {
		if _, err := os.Stat(filepath.Join(dirs[0], m.Path)); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("kernel/a.ko: kernel/b.ko\nkernel/b.ko:\n"), []byte("softdep a pre: x post: b\n"), []byte("alias x b\n"))
	f.Fuzz(func(t *testing.T, dep, soft, alias []byte) {
		ix, err := Load(fstest.MapFS{
			"modules.dep":     {Data: dep},
			"modules.softdep": {Data: soft},
			"modules.alias":   {Data: alias},
		}, ".")
		if err != nil {
			return
		}
		for name := range ix.path {
			mods, err := ix.Resolve([]string{name})
			if err != nil {
				continue
			}
			seen := map[string]bool{}
			for _, m := range mods {
				if seen[m.Name] {
					t.Fatalf("%s loaded twice in %v", m.Name, mods)
				}
				seen[m.Name] = true
				for _, d := range ix.deps[m.Name] {
					if !seen[d] && !ix.builtin[d] {
						t.Fatalf("%s before its dependency %s in %v", m.Name, d, mods)
					}
				}
			}
		}
	})
}
