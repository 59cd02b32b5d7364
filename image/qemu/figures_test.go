package qemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"mehfooz/daemon/pid1"
	"mehfooz/image"
)

// TestFigures measures the boot figures of docs/image.md: for each variant
// of the image, its size, and over several boots the time from QEMU's start
// to phoned's ready line (and the first drawn frame, when phoned marks
// one), the guest uptime at each marker, and phoned's resident memory at
// ready and idle. scripts/image-figures.sh runs it; it prints a Markdown
// table.
func TestFigures(t *testing.T) {
	if os.Getenv("MEHFOOZ_FIGURES") != "1" {
		t.Skip("measures boots for minutes: scripts/image-figures.sh")
	}
	runs := 3
	if n, err := strconv.Atoi(os.Getenv("MEHFOOZ_FIGURES_RUNS")); err == nil && n > 0 {
		runs = n
	}
	f := newBootFixture(t)
	phoned := f.phoned
	standIn := buildInit(t, f.dir, "mehfooz/image/qemu/testdata/init")
	full := slices.Clone(f.board.Kernel.Modules)
	minimal := []string{"virtio_pci", "virtio_blk", "virtio_rng", "virtio_net", "i6300esb", "ext4"}
	variants := []struct {
		name         string
		init         []byte
		modules      []string
		uncompressed bool
	}{
		{"pid1 duties only (stand-in init), no display/input/sound modules", standIn, minimal, false},
		{"pid1 duties only (stand-in init), all board modules", standIn, full, false},
		{"phoned, all board modules", phoned, full, false},
		{"phoned, all board modules, initramfs not compressed", phoned, full, true},
	}
	var rows []string
	for _, v := range variants {
		f.phoned = v.init
		f.board.Kernel.Modules = v.modules
		f.uncompressed = v.uncompressed
		img := f.build(t, 1)
		h, _ := image.ReadHeader(strings.NewReader(string(img)))
		m, _ := image.DecodeManifest(h.Manifest)
		ip, _ := m.Part(image.PartInitramfs)
		var wall, up, upInit, upDone, frame, own []float64
		var rssReady, rssIdle []int
		for range runs {
			os.Remove(f.disk)
			f.flash(t, img)
			r := measureBoot(t, f)
			wall, up, upInit, upDone = append(wall, r.wallReady), append(up, r.upReady), append(upInit, r.upBoot), append(upDone, r.upInitDone)
			own = append(own, r.upReady-r.upInitDone)
			rssReady, rssIdle = append(rssReady, r.rssReady), append(rssIdle, r.rssIdle)
			if r.wallFrame > 0 {
				frame = append(frame, r.wallFrame)
			}
		}
		frameCol := "not marked"
		if len(frame) > 0 {
			frameCol = spread(frame)
		}
		rows = append(rows, fmt.Sprintf("| %s | %.1f | %.1f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s |",
			v.name, float64(len(v.init))/(1<<20), float64(ip.Size)/(1<<20), float64(m.Size())/(1<<20),
			spread(wall), frameCol, spread(up), spread(upInit), spread(subtract(upDone, upInit)),
			ints(rssReady), ints(rssIdle), spread(own)))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	out := []string{
		fmt.Sprintf("%d boots per row, QEMU TCG, 1 vCPU, 512 MiB; host load average at the end: %s", runs, strings.Fields(string(load))[0]),
		"",
		"| image | /init MiB | initramfs MiB | image MiB | QEMU start → ready, s | → first frame, s | guest uptime at ready, s | kernel → init, s | init duties, s | RSS at ready, kB | RSS idle, kB | init-done → ready, s |",
		"|---|---|---|---|---|---|---|---|---|---|---|---|",
	}
	out = append(out, rows...)
	t.Log("\n" + strings.Join(out, "\n"))
	if p := os.Getenv("MEHFOOZ_FIGURES_OUT"); p != "" {
		os.WriteFile(p, []byte(strings.Join(out, "\n")+"\n"), 0o644)
	}
}

type bootFigures struct {
	wallReady, wallFrame        float64
	upBoot, upInitDone, upReady float64
	rssReady, rssIdle           int
}

func measureBoot(t *testing.T, f *bootFixture) bootFigures {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m, err := f.boot(t, ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Kill()
	var r bootFigures
	wait := func(marker string) (string, float64) {
		line, at, err := m.WaitLine(ctx, pid1.LinePrefix+" "+marker+" ")
		if err != nil {
			t.Fatalf("%v\n%s", err, strings.Join(m.Console(), "\n"))
		}
		return line, at.Seconds()
	}
	l, _ := wait("boot")
	r.upBoot = field(l, "uptime")
	l, _ = wait("init-done")
	r.upInitDone = field(l, "uptime")
	l, r.wallReady = wait("ready")
	r.upReady, r.rssReady = field(l, "uptime"), int(field(l, "rss"))
	l, _ = wait("idle")
	r.rssIdle = int(field(l, "rss"))
	for _, c := range m.Console() {
		if strings.Contains(c, pid1.LinePrefix+" first-frame ") {
			r.wallFrame = r.wallReady - r.upReady + field(c, "uptime")
		}
	}
	q, err := m.DialQMP(ctx)
	if err == nil {
		q.SendKeys(ctx, "ctrl", "alt", "delete") // the stand-in init
		q.PowerButton(ctx)                       // phoned, which grabs the keyboards
		q.Close()
	}
	m.Wait(ctx)
	return r
}

// field reads "key=1.234s" or "key=9216kB" from a marker line.
func field(line, key string) float64 {
	for _, w := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(w, key+"="); ok {
			v = strings.TrimSuffix(strings.TrimSuffix(v, "s"), "kB")
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

func spread(xs []float64) string {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 1 {
		return fmt.Sprintf("%.2f", s[0])
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", s[len(s)/2], s[0], s[len(s)-1])
}

func ints(xs []int) string {
	s := slices.Clone(xs)
	slices.Sort(s)
	return fmt.Sprintf("%d (%d–%d)", s[len(s)/2], s[0], s[len(s)-1])
}

func subtract(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func buildInit(t *testing.T, dir, pkg string) []byte {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg)+".bin")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
