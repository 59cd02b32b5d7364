package daemon

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mehfooz/daemon/state"
	"mehfooz/trust/keystore"
	"mehfooz/trust/seal"
	"mehfooz/trust/trusttest"
)

// BenchmarkHandsetUnlockRSS sets up and unlocks a keystore with the
// handset's argon2id parameters (64 MiB) and reports this process's
// resident memory afterwards and at its peak: the work area goes back to
// the kernel when the unlock returns (releaseKDFMemory), not minutes later.
//
//	go test -run '^$' -bench HandsetUnlockRSS -benchtime 3x ./daemon/
func BenchmarkHandsetUnlockRSS(b *testing.B) {
	f := trusttest.New(b)
	var after, peak float64
	for b.Loop() {
		d := New(f.Clock, slog.New(slog.DiscardHandler), state.Snapshot{Board: "sim"})
		dir := b.TempDir()
		k, err := NewKeys(d, filepath.Join(dir, "keystore"), keystore.FileSecret{Path: filepath.Join(dir, "device.secret")},
			"pk-gov-0001", f.Verifier, keystore.Options{Params: seal.Handset, Clock: f.Clock})
		if err != nil {
			b.Fatal(err)
		}
		for range 2 { // set-up, then an unlock from the lock screen
			if err := k.unlock(context.Background(), state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
				b.Fatal(err)
			}
			k.lock(context.Background(), state.Intent{Kind: state.IntentLock})
		}
		after, peak = procStatusMiB(b, "VmRSS:"), procStatusMiB(b, "VmHWM:")
	}
	b.ReportMetric(after, "rss-after-MiB")
	b.ReportMetric(peak, "rss-peak-MiB")
}

func procStatusMiB(b *testing.B, field string) float64 {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatalf("%s not in /proc/self/status", field)
	return 0
}
