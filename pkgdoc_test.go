package mehfooz

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnePackageDoc fails when a package has no package doc, or has it in
// more than one file, so every package says what it is in exactly one place.
func TestOnePackageDoc(t *testing.T) {
	dirs := map[string][]string{} // dir -> files with a package doc
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		seen[dir] = true
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			dirs[dir] = append(dirs[dir], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range seen {
		switch n := len(dirs[dir]); {
		case n == 0:
			t.Errorf("no package doc in %s", dir)
		case n > 1:
			t.Errorf("package doc in several files of %s: %v", dir, dirs[dir])
		}
	}
	if len(seen) < 2 {
		t.Fatalf("walked only %d package directories; is the test running at the module root?", len(seen))
	}
}

// TestNoForbiddenPackageNames keeps catch-all packages out of the tree.
func TestNoForbiddenPackageNames(t *testing.T) {
	bad := map[string]bool{"util": true, "utils": true, "common": true, "helpers": true, "helper": true, "manager": true, "misc": true}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "out") {
			return filepath.SkipDir // not ours: build outputs and caches (out/ holds an unpacked kernel)
		}
		if d.IsDir() && bad[d.Name()] {
			t.Errorf("catch-all package %s: name it after its domain", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGoModNamesToolchain(t *testing.T) {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\ngo 1.26") {
		t.Fatal("go.mod must name go 1.26: the image and CI build with Go 1.26")
	}
}
