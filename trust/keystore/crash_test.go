package keystore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mehfooz/trust/revocation"
)

// The crash-consistency tests re-execute this test binary as a writer and
// SIGKILL it at random instants. After every kill the store must open, to
// the old or the new state, intact: never a torn file, never a lost
// acknowledged write. KEYSTORE_CRASH_ROUNDS raises the number of kills.

const (
	envChild = "KEYSTORE_CRASH_CHILD" // "writer" or "duress"
	envDir   = "KEYSTORE_CRASH_DIR"
)

var duressPIN = []byte("86420")

func rounds(def int) int {
	if n, err := strconv.Atoi(os.Getenv("KEYSTORE_CRASH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return def
}

// crashChild is the writer side; it runs only in the re-executed binary.
func crashChild(t *testing.T) bool {
	mode := os.Getenv(envChild)
	if mode == "" {
		return false
	}
	base := os.Getenv(envDir)
	f := fixture{dir: filepath.Join(base, "data"), secret: FileSecret{Path: filepath.Join(base, "device.secret")}}
	ks, err := Open(f.dir, f.secret, testOptions(10))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	switch mode {
	case "writer":
		if err := ks.Unlock(pin); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("ready")
		for {
			n := counter(ks) + 1
			if err := ks.Put("counter", binary.BigEndian.AppendUint64(nil, n)); err != nil {
				fmt.Println("error", err)
				os.Exit(3)
			}
			fmt.Println("ack", n)
			if n%3 == 0 { // a wrong PIN and a right one: the attempt counter is written too
				ks.Lock()
				ks.Unlock([]byte("0000"))
				if err := ks.Unlock(pin); err != nil {
					fmt.Println("error", err)
					os.Exit(3)
				}
			}
		}
	case "duress":
		fmt.Println("ready")
		ks.Unlock(duressPIN)
		fmt.Println("wiped")
		time.Sleep(time.Hour)
	}
	return true
}

func counter(ks *Keystore) uint64 {
	v, err := ks.Get("counter")
	if err != nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// runChild starts the writer, waits for "ready", kills it after delay and
// returns every line it printed.
func runChild(t *testing.T, mode, base string, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envDir+"="+base)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	for l := range lines {
		got = append(got, l)
		if l == "ready" || strings.HasPrefix(l, "error") {
			break
		}
	}
	if delay < 0 {
		for l := range lines { // calibration: let it finish its work
			got = append(got, l)
			if l == "wiped" {
				break
			}
		}
	} else {
		time.Sleep(delay)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	for l := range lines {
		got = append(got, l)
	}
	cmd.Wait()
	for _, l := range got {
		if strings.HasPrefix(l, "error") {
			t.Fatalf("writer failed: %s", l)
		}
	}
	return got
}

func TestCrashConsistencyWriter(t *testing.T) {
	if crashChild(t) {
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	base := t.TempDir()
	f := fixture{dir: filepath.Join(base, "data"), secret: FileSecret{Path: filepath.Join(base, "device.secret")}}
	os.Mkdir(f.dir, 0o700)
	f.create(t, 10).Lock()
	var acked uint64
	for i := range rounds(12) {
		delay := time.Duration(rand.IntN(300)) * time.Millisecond
		for _, l := range runChild(t, "writer", base, delay) {
			if n, ok := strings.CutPrefix(l, "ack "); ok {
				acked, _ = strconv.ParseUint(n, 10, 64)
			}
		}
		ks, err := Open(f.dir, f.secret, testOptions(10))
		if err != nil {
			t.Fatalf("round %d: store does not open after kill: %v", i, err)
		}
		if err := ks.Unlock(pin); err != nil {
			t.Fatalf("round %d: store does not unlock after kill: %v", i, err)
		}
		got := counter(ks)
		if got != acked && got != acked+1 {
			t.Fatalf("round %d: counter %d after kill, last acknowledged %d: want %d or %d", i, got, acked, acked, acked+1)
		}
		if _, err := sign(t, ks); err != nil {
			t.Fatalf("round %d: device key: %v", i, err)
		}
		acked = got
		ks.Lock()
		ents, _ := os.ReadDir(f.dir)
		if len(ents) != 1 {
			t.Fatalf("round %d: %d files left in the store directory", i, len(ents))
		}
	}
	if acked == 0 {
		t.Fatal("the writer never acknowledged a write: the test exercised nothing")
	}
	t.Logf("%d kills, %d acknowledged writes survived", rounds(12), acked)
}

func TestCrashConsistencyDuressWipe(t *testing.T) {
	if crashChild(t) {
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	var before, after int
	var span time.Duration // how long a whole duress wipe takes, measured in round 0
	for i := range rounds(8) {
		base := t.TempDir()
		f := fixture{dir: filepath.Join(base, "data"), secret: FileSecret{Path: filepath.Join(base, "device.secret")}}
		os.Mkdir(f.dir, 0o700)
		ks := f.create(t, 10)
		if err := ks.SetDuressPIN(duressPIN); err != nil {
			t.Fatal(err)
		}
		ks.Lock()
		delay := time.Duration(-1)
		if i > 0 {
			delay = time.Duration(rand.Int64N(int64(span) * 5 / 4))
		}
		start := time.Now()
		lines := runChild(t, "duress", base, delay)
		if i == 0 {
			span = time.Since(start)
		}
		ks, err := Open(f.dir, f.secret, testOptions(10))
		if err != nil {
			t.Fatalf("round %d: does not open after kill: %v", i, err)
		}
		req := ks.PendingRevocation()
		if req == nil {
			// Old state: intact and openable, and the wipe had not been acknowledged.
			if lines[len(lines)-1] == "wiped" {
				t.Fatalf("round %d: wipe reported done but the store is intact", i)
			}
			if err := ks.Unlock(pin); err != nil {
				t.Fatalf("round %d: old state does not unlock: %v", i, err)
			}
			before++
			continue
		}
		// New state: a tombstone with the duress request, and no device secret.
		q, err := revocation.ParseRequest(req)
		if err != nil || q.Reason != revocation.ReasonDuress {
			t.Fatalf("round %d: pending request %v, %v", i, q, err)
		}
		if _, err := os.Stat(f.secret.Path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("round %d: device secret survived: %v", i, err)
		}
		if err := ks.Unlock(pin); !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("round %d: wiped store answered %v", i, err)
		}
		after++
	}
	t.Logf("a wipe takes about %v; killed before it committed %d times, after %d times", span, before, after)
}
