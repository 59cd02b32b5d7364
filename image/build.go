package image

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"mehfooz/board"
	"mehfooz/image/cpio"
	"mehfooz/image/kmod"
)

// BuildConfig is everything an image is made of. The same BuildConfig
// gives the same image bytes: nothing from the build machine (time, paths,
// user, order of a folder listing) reaches the output.
type BuildConfig struct {
	Board   *board.Board
	Version uint64 // anti-rollback index; must grow with every release
	Label   string
	// Kernel is the kernel tree: boot/vmlinuz-<release> and
	// lib/modules/<release>/ with depmod's index files, as
	// scripts/fetch-kernel.sh unpacks Debian's package or a board kernel's
	// "make install modules_install" writes.
	Kernel fs.FS
	// Phoned is the static phoned binary that becomes /init.
	Phoned []byte
	// CA is the enrollment CA certificate (PEM); Provision the provisioning
	// config; ImageKeys the public keys (PEM) that may sign the next image.
	CA, Provision, ImageKeys []byte
	// SigningKeys sign the manifest.
	SigningKeys []ed25519.PrivateKey
	// Mtime stamps every initramfs entry (seconds; SOURCE_DATE_EPOCH).
	Mtime int64
	// Uncompressed leaves the initramfs as a plain cpio archive: larger on
	// flash, but the kernel has nothing to decompress, which matters under
	// QEMU's TCG (docs/image.md, figures).
	Uncompressed bool
}

// Release is etc/mehfooz/release.json: what phoned knows about its image.
type Release struct {
	Board   string `json:"board"`
	Version uint64 `json:"version"`
	Label   string `json:"label"`
	Kernel  string `json:"kernel"`
}

// Build writes a signed image for c to w and returns its manifest.
func Build(w io.Writer, c BuildConfig) (*Manifest, error) {
	rel, err := KernelRelease(c.Kernel)
	if err != nil {
		return nil, err
	}
	kernel, err := fs.ReadFile(c.Kernel, "boot/vmlinuz-"+rel)
	if err != nil {
		return nil, fmt.Errorf("image: kernel: %w", err)
	}
	initrd, err := Initramfs(c, rel)
	if err != nil {
		return nil, err
	}
	m := Manifest{Board: c.Board.Name, Arch: c.Board.Arch, Version: c.Version, Label: c.Label, Kernel: rel}
	var buf bytes.Buffer
	if err := Write(&buf, m, Contents{Kernel: kernel, Initramfs: initrd, Cmdline: []byte(Cmdline(c.Board))}, c.SigningKeys...); err != nil {
		return nil, err
	}
	h, err := ReadHeader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, err
	}
	out, err := DecodeManifest(h.Manifest)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("image: write: %w", err)
	}
	return out, nil
}

// Cmdline is the kernel command line of b's image: the board's arguments,
// then, after "--", phoned's own (the kernel passes those to init).
func Cmdline(b *board.Board) string {
	return strings.Join(append(slices.Clone(b.Kernel.Args), "--", "--board", b.Name), " ")
}

// KernelRelease finds the one release under lib/modules of a kernel tree.
func KernelRelease(k fs.FS) (string, error) {
	ents, err := fs.ReadDir(k, "lib/modules")
	if errors.Is(err, fs.ErrNotExist) {
		// A kernel with everything built in has no modules folder; its
		// release is then the vmlinuz name.
		boots, berr := fs.Glob(k, "boot/vmlinuz-*")
		if berr == nil && len(boots) == 1 {
			return strings.TrimPrefix(boots[0], "boot/vmlinuz-"), nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("image: kernel modules: %w", err)
	}
	var rels []string
	for _, e := range ents {
		if e.IsDir() {
			rels = append(rels, e.Name())
		}
	}
	if len(rels) != 1 {
		return "", fmt.Errorf("image: kernel tree holds %d module releases %v, want 1", len(rels), rels)
	}
	return rels[0], nil
}

// Initramfs builds the gzip-compressed newc archive: phoned as /init, the
// board's module closure with index files trimmed to it, and the
// provisioning files.
func Initramfs(c BuildConfig, rel string) ([]byte, error) {
	raw, err := initramfsArchive(c, rel)
	if err != nil || c.Uncompressed {
		return raw, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	// No name and no time in the gzip header: both would vary by machine.
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return gz.Bytes(), nil
}

// initramfsArchive is the uncompressed archive.
func initramfsArchive(c BuildConfig, rel string) ([]byte, error) {
	if len(c.Phoned) == 0 {
		return nil, errors.New("image: no phoned binary")
	}
	w := cpio.NewWriter(c.Mtime)
	errs := []error{
		w.AddFile(PathInit, 0o755, c.Phoned),
		// The kernel opens /dev/console for init's stdio before anything is mounted.
		w.AddCharDev("dev/console", 0o600, 5, 1),
		w.AddDir("proc", 0o555), w.AddDir("sys", 0o555),
		w.AddDir("run", 0o755), w.AddDir("tmp", 0o777), // tmpfs is mounted 1777 over it
	}
	if d := strings.TrimPrefix(c.Board.Storage.DataDir, "/"); d != "" {
		errs = append(errs, w.AddDir(d, 0o700))
	}
	relJSON, err := json.Marshal(Release{Board: c.Board.Name, Version: c.Version, Label: c.Label, Kernel: rel})
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{PathCA, c.CA}, {PathProvision, c.Provision}, {PathImageKeys, c.ImageKeys}, {PathRelease, append(relJSON, '\n')}} {
		if len(f.data) == 0 {
			return nil, fmt.Errorf("image: %s is empty", f.name)
		}
		errs = append(errs, w.AddFile(f.name, 0o444, f.data))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("image: initramfs: %w", err)
	}
	if len(c.Board.Kernel.Modules) > 0 {
		if err := addModules(w, c.Kernel, rel, c.Board.Kernel.Modules); err != nil {
			return nil, err
		}
	}
	var raw bytes.Buffer
	if _, err := w.WriteTo(&raw); err != nil {
		return nil, fmt.Errorf("image: initramfs: %w", err)
	}
	return raw.Bytes(), nil
}

// addModules copies the closure of names and index files that describe
// only it, so the loader on the device resolves the same closure.
func addModules(w *cpio.Writer, k fs.FS, rel string, names []string) error {
	dir := path.Join("lib/modules", rel)
	ix, err := kmod.Load(k, dir)
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	mods, err := ix.Resolve(names)
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	keep := map[string]bool{}
	for _, m := range mods {
		b, err := fs.ReadFile(k, path.Join(dir, m.Path))
		if err != nil {
			return fmt.Errorf("image: module %s: %w", m.Name, err)
		}
		if err := w.AddFile(path.Join(PathModulesRoot, rel, m.Path), 0o444, b); err != nil {
			return fmt.Errorf("image: %w", err)
		}
		keep[m.Name] = true
	}
	for _, name := range kmod.Files {
		b, err := fs.ReadFile(k, path.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) && name != "modules.dep" {
			continue
		}
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		if err := w.AddFile(path.Join(PathModulesRoot, rel, name), 0o444, trimIndex(name, b, keep)); err != nil {
			return fmt.Errorf("image: %w", err)
		}
	}
	return nil
}

// trimIndex keeps the lines of an index file that concern kept modules;
// modules.builtin is kept whole (a name may be built in).
func trimIndex(file string, b []byte, keep map[string]bool) []byte {
	if file == "modules.builtin" {
		return b
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		var mod string
		switch {
		case len(f) == 0:
			continue
		case file == "modules.dep":
			mod = strings.TrimSuffix(f[0], ":")
		case file == "modules.softdep" && len(f) > 1 && f[0] == "softdep":
			mod = f[1]
		case file == "modules.alias" && len(f) == 3:
			mod = f[2]
		default:
			continue
		}
		if keep[kmod.Name(mod)] {
			out.WriteString(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
