package qemu

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mehfooz/daemon/pid1"
)

// TestTwoHandsets is the harness of make qemu-demo: the exchange on the
// host's loopback, two emulated handsets booted from one signed image (each
// with its own disk and modem simulator), reaching the exchange only
// through QEMU's user network as 10.0.2.2. It boots both to their ready
// line and saves both screens. The call itself (enrolling both handsets,
// dialling b from a by keypad, the call connecting) needs phoned's
// enrollment and calling on the QEMU board; until then the test stops
// there and says so.
func TestTwoHandsets(t *testing.T) {
	if os.Getenv("MEHFOOZ_QEMU_DEMO") != "1" {
		t.Skip("boots two QEMU handsets: make qemu-demo")
	}
	f := newBootFixture(t)
	out := os.Getenv("MEHFOOZ_QEMU_DEMO_OUT")
	if out == "" {
		out = t.TempDir()
	}
	bin := filepath.Join(f.dir, "bin")
	for _, pkg := range []string{"./cmd/phonectl", "./cmd/exchange", "./cmd/modemsim"} {
		cmd := exec.Command("go", "build", "-o", bin+"/", pkg)
		cmd.Dir = "../.."
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, b)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// The enrollment CA and the exchange's certificate for 10.0.2.2.
	caDir := filepath.Join(f.dir, "ca")
	env := append(os.Environ(), "MEHFOOZ_CA_PASSPHRASE=qemu-demo-passphrase")
	run := func(name string, args ...string) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		cmd.Env = env
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, b)
		}
	}
	run("phonectl", "ca", "init", "--dir", caDir, "--kdf-memory", "1", "--kdf-time", "1")
	run("phonectl", "ca", "issue", "--ca", caDir, "--role", "exchange", "--host", "10.0.2.2,127.0.0.1", "--out", filepath.Join(f.dir, "exchange"))
	start := func(logName, name string, args ...string) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		log, _ := os.Create(filepath.Join(out, logName+".log"))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); log.Close() })
	}
	start("exchange", "exchange", "--listen", "127.0.0.1:7443", "--admin", "", "--turn-tls", "", "--turn-udp", "127.0.0.1:3478",
		"--relay-ip", "127.0.0.1", "--turn-host", "10.0.2.2", "--ca", filepath.Join(caDir, "ca.pem"),
		"--cert", filepath.Join(f.dir, "exchange.pem"), "--key", filepath.Join(f.dir, "exchange.key"), "--db", filepath.Join(f.dir, "exchange.db"))

	img := f.build(t, 1)
	names := []string{"a", "b"}
	machines := make([]*Machine, 2)
	var wg sync.WaitGroup
	for i, n := range names {
		dir := filepath.Join(f.dir, n)
		os.MkdirAll(dir, 0o755)
		sock := filepath.Join(dir, "modem.sock")
		start("modemsim-"+n, "modemsim", "--log-level", "warn", "--socket", sock)
		for range 100 {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		hf := *f
		hf.dir, hf.disk = dir, filepath.Join(dir, "disk.img")
		hf.flash(t, img)
		m, err := Boot(ctx, Config{Board: f.board, Disk: hf.disk, Keys: f.keys(), Dir: dir, ModemSocket: sock})
		if err != nil {
			t.Fatal(err)
		}
		machines[i] = m
		defer m.Kill()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, at, err := m.WaitLine(ctx, pid1.ReadyLine); err != nil {
				t.Errorf("handset %s: %v", n, err)
			} else {
				t.Logf("handset %s ready %.1fs after its QEMU started", n, at.Seconds())
			}
		}()
	}
	wg.Wait()
	for i, m := range machines {
		os.WriteFile(filepath.Join(out, "console-"+names[i]+".log"), []byte(strings.Join(m.Console(), "\n")+"\n"), 0o644)
	}
	if t.Failed() {
		return
	}
	for i, m := range machines {
		screenshot(t, ctx, m, filepath.Join(out, names[i]+"-ready.png"))
	}
	t.Skip("remaining for the call: enroll both handsets with the exchange, publish a directory that lets a call b, " +
		"dial b on a's keypad (phonectl qemu key), wait for the call on both consoles, save both screens")
}

func screenshot(t *testing.T, ctx context.Context, m *Machine, path string) {
	t.Helper()
	q, err := m.DialQMP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ppm := path + ".ppm"
	if err := q.Screendump(ctx, ppm); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(ppm)
	r, err := os.Open(ppm)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img, err := ReadPPM(r)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := png.Encode(w, img); err != nil {
		t.Fatal(err)
	}
}
