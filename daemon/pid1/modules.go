package pid1

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"mehfooz/image/kmod"
)

// moduleReport says what loading the board's modules did.
type moduleReport struct {
	loaded, already int
	failed          []string // "name: error" of required modules
	softFailed      []string // softdeps that did not load, e.g. crc32c_intel without SSE4.2
}

// loadModules loads names and everything they depend on, in the order
// modules.dep and modules.softdep give (image/kmod), from
// /lib/modules/<release>. A module that fails is reported and the rest are
// still loaded: a missing sound card must not keep the phone from booting.
func loadModules(sys Sys, root fs.FS, names []string) (moduleReport, error) {
	var rep moduleReport
	if len(names) == 0 {
		return rep, nil
	}
	rel, err := fs.ReadFile(root, "proc/sys/kernel/osrelease")
	if err != nil {
		return rep, fmt.Errorf("modules: kernel release: %w", err)
	}
	dir := path.Join("lib/modules", strings.TrimSpace(string(rel)))
	ix, err := kmod.Load(root, dir)
	if err != nil {
		return rep, fmt.Errorf("modules: %w", err)
	}
	// Resolve each name on its own: one unknown module (a driver left out
	// of this image) must not keep the others from loading.
	var mods []kmod.Module
	seen := map[string]bool{}
	for _, n := range names {
		ms, err := ix.Resolve([]string{n})
		if err != nil {
			rep.failed = append(rep.failed, fmt.Sprintf("%s: %v", n, err))
			continue
		}
		for _, m := range ms {
			if !seen[m.Name] {
				seen[m.Name] = true
				mods = append(mods, m)
			} else if !m.Soft {
				for i := range mods {
					if mods[i].Name == m.Name {
						mods[i].Soft = false
					}
				}
			}
		}
	}
	for _, m := range mods {
		err := sys.LoadModule("/" + path.Join(dir, m.Path))
		switch {
		case err == nil:
			rep.loaded++
		case errors.Is(err, unix.EEXIST):
			rep.already++
		case m.Soft:
			rep.softFailed = append(rep.softFailed, fmt.Sprintf("%s: %v", m.Name, err))
		default:
			rep.failed = append(rep.failed, fmt.Sprintf("%s: %v", m.Name, err))
		}
	}
	return rep, nil
}
