// Package kmod resolves which kernel modules to load, and in which order,
// from the index files depmod writes beside them: modules.dep (hard
// dependencies), modules.softdep (modules to load before or after another,
// often named by an alias), modules.alias and modules.builtin (see depmod(8),
// modules.dep(5), modprobe.d(5)). The image builder uses it to copy a board's
// module closure into the initramfs; phoned, as init, uses the same Index to
// load them with finit_module, since there is no modprobe on the image.
package kmod

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// ErrUnknown is returned for a module name that is neither a module, an
// alias of one, nor built into the kernel.
var ErrUnknown = errors.New("kmod: unknown module")

// maxLine bounds one line of an index file.
const maxLine = 1 << 20

// Index is a parsed set of depmod files.
type Index struct {
	path    map[string]string   // module name -> path relative to the modules folder
	deps    map[string][]string // module name -> hard dependency names, as listed
	pre     map[string][]string // softdep pre: names or aliases
	post    map[string][]string // softdep post
	alias   []aliasLine
	builtin map[string]bool
}

type aliasLine struct{ pattern, module string }

// Module is one module to load.
type Module struct {
	Name string // normalised: '-' written as '_'
	Path string // relative to the modules folder, e.g. "kernel/fs/ext4/ext4.ko"
	// Soft is true for a module pulled in only by a softdep: failing to
	// load it (e.g. crc32c_intel on a CPU without SSE4.2) is not fatal.
	Soft bool
}

// Files are the index files Load reads and the image builder copies.
var Files = []string{"modules.dep", "modules.softdep", "modules.alias", "modules.builtin"}

// Load reads the index files from dir in fsys. modules.dep is required;
// the others may be missing.
func Load(fsys fs.FS, dir string) (*Index, error) {
	ix := newIndex()
	for _, name := range Files {
		f, err := fsys.Open(path.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) && name != "modules.dep" {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("kmod: %w", err)
		}
		err = ix.parse(name, f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return ix, nil
}

func newIndex() *Index {
	return &Index{path: map[string]string{}, deps: map[string][]string{}, pre: map[string][]string{},
		post: map[string][]string{}, builtin: map[string]bool{}}
}

// Name turns a module path or name into its normalised name:
// "kernel/drivers/char/hw_random/virtio-rng.ko" -> "virtio_rng".
func Name(p string) string {
	b := path.Base(p)
	for _, ext := range []string{".ko.xz", ".ko.zst", ".ko.gz", ".ko"} {
		if strings.HasSuffix(b, ext) {
			b = strings.TrimSuffix(b, ext)
			break
		}
	}
	return strings.ReplaceAll(b, "-", "_")
}

func (ix *Index) parse(file string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var err error
		switch file {
		case "modules.dep":
			err = ix.parseDep(line)
		case "modules.softdep":
			err = ix.parseSoftdep(line)
		case "modules.alias":
			err = ix.parseAlias(line)
		case "modules.builtin":
			ix.builtin[Name(line)] = true
		}
		if err != nil {
			return fmt.Errorf("kmod: %s:%d: %w", file, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("kmod: %s: %w", file, err)
	}
	return nil
}

// parseDep reads "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/jbd2/jbd2.ko".
func (ix *Index) parseDep(line string) error {
	mod, deps, ok := strings.Cut(line, ":")
	if !ok || !validPath(mod) {
		return fmt.Errorf("malformed dependency line %q", clip(line))
	}
	name := Name(mod)
	if _, dup := ix.path[name]; dup {
		return fmt.Errorf("module %s listed twice", name)
	}
	ix.path[name] = mod
	for _, d := range strings.Fields(deps) {
		if !validPath(d) {
			return fmt.Errorf("malformed dependency %q of %s", clip(d), name)
		}
		ix.deps[name] = append(ix.deps[name], Name(d))
	}
	return nil
}

// parseSoftdep reads "softdep ext4 pre: crypto-crc32c post: x".
func (ix *Index) parseSoftdep(line string) error {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "softdep" {
		return fmt.Errorf("malformed softdep line %q", clip(line))
	}
	mod := Name(f[1])
	var list map[string][]string
	for _, w := range f[2:] {
		switch w {
		case "pre:":
			list = ix.pre
		case "post:":
			list = ix.post
		default:
			// A word before pre: or post: is ignored, as kmod does: Linux
			// 6.1's cifs declares MODULE_SOFTDEP("gcm") without "pre:".
			if list != nil {
				list[mod] = append(list[mod], w)
			}
		}
	}
	return nil
}

// parseAlias reads "alias crypto-crc32c crc32c_generic".
func (ix *Index) parseAlias(line string) error {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "alias" {
		return fmt.Errorf("malformed alias line %q", clip(line))
	}
	if _, err := path.Match(f[1], ""); err != nil {
		return fmt.Errorf("alias pattern %q: %w", clip(f[1]), err)
	}
	ix.alias = append(ix.alias, aliasLine{pattern: f[1], module: Name(f[2])})
	return nil
}

// validPath accepts relative module paths that stay inside the modules folder.
func validPath(p string) bool {
	return p != "" && !strings.HasPrefix(p, "/") && path.Clean(p) == p && !strings.HasPrefix(p, "../") && p != ".." &&
		strings.Contains(path.Base(p), ".ko")
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Resolve returns the modules to load for names, in load order: for each,
// its softdep "pre" modules, its hard dependencies (theirs first), itself,
// then its softdep "post" modules, each module once. Names may be aliases;
// built-in modules are skipped. A name that resolves to nothing is an
// ErrUnknown error; a softdep that resolves to nothing is skipped, as
// modprobe does.
func (ix *Index) Resolve(names []string) ([]Module, error) {
	r := resolver{ix: ix, state: map[string]int{}}
	for _, n := range names {
		mods, err := ix.lookup(n)
		if err != nil {
			return nil, err
		}
		for _, m := range mods {
			if err := r.visit(m, false); err != nil {
				return nil, err
			}
		}
	}
	return r.out, nil
}

// lookup maps a name or alias to module names; nil for a built-in.
func (ix *Index) lookup(n string) ([]string, error) {
	name := Name(n)
	if _, ok := ix.path[name]; ok {
		return []string{name}, nil
	}
	if ix.builtin[name] {
		return nil, nil
	}
	var mods []string
	for _, a := range ix.alias {
		if ok, _ := path.Match(a.pattern, n); ok || a.pattern == name {
			if _, known := ix.path[a.module]; known || ix.builtin[a.module] {
				mods = append(mods, a.module)
			}
		}
	}
	if len(mods) == 0 {
		return nil, fmt.Errorf("%w %q", ErrUnknown, n)
	}
	return mods, nil
}

type resolver struct {
	ix    *Index
	state map[string]int // 1 visiting, 2 done
	out   []Module
}

const maxDepth = 64

func (r *resolver) visit(name string, soft bool) error { return r.visitDepth(name, soft, 0) }

func (r *resolver) visitDepth(name string, soft bool, depth int) error {
	if r.ix.builtin[name] {
		return nil
	}
	switch r.state[name] {
	case 2:
		if !soft {
			r.harden(name, 0)
		}
		return nil
	case 1:
		return fmt.Errorf("kmod: dependency cycle through %s", name)
	}
	if depth > maxDepth {
		return fmt.Errorf("kmod: dependencies of %s nest deeper than %d", name, maxDepth)
	}
	p, ok := r.ix.path[name]
	if !ok {
		if soft {
			return nil
		}
		return fmt.Errorf("%w %q (a dependency)", ErrUnknown, name)
	}
	r.state[name] = 1
	for _, s := range r.ix.pre[name] {
		if err := r.soft(s, depth); err != nil {
			return err
		}
	}
	deps := r.ix.deps[name]
	for i := len(deps) - 1; i >= 0; i-- {
		if err := r.visitDepth(deps[i], soft, depth+1); err != nil {
			return err
		}
	}
	r.state[name] = 2
	r.out = append(r.out, Module{Name: name, Path: p, Soft: soft})
	for _, s := range r.ix.post[name] {
		if err := r.soft(s, depth); err != nil {
			return err
		}
	}
	return nil
}

// harden marks name and its hard dependencies as required: it was first
// pulled in by a softdep and is now needed for real.
func (r *resolver) harden(name string, depth int) {
	if depth > maxDepth {
		return
	}
	for i := range r.out {
		if r.out[i].Name == name {
			if !r.out[i].Soft {
				return
			}
			r.out[i].Soft = false
		}
	}
	for _, d := range r.ix.deps[name] {
		r.harden(d, depth+1)
	}
}

func (r *resolver) soft(n string, depth int) error {
	mods, err := r.ix.lookup(n)
	if errors.Is(err, ErrUnknown) {
		return nil
	}
	for _, m := range mods {
		if r.state[m] == 1 {
			continue // a softdep back onto a module being loaded: ignore, as modprobe does
		}
		if err := r.visitDepth(m, true, depth+1); err != nil {
			return err
		}
	}
	return nil
}
