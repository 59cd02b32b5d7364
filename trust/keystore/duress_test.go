package keystore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
)

// lineLog records log records as "LEVEL msg k=v ...", without times.
type lineLog struct{ buf *bytes.Buffer }

func (l lineLog) Enabled(context.Context, slog.Level) bool { return true }
func (l lineLog) Handle(_ context.Context, r slog.Record) error {
	fmt.Fprintf(l.buf, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(l.buf, " %s=%v", a.Key, a.Value); return true })
	l.buf.WriteByte('\n')
	return nil
}
func (l lineLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l lineLog) WithGroup(string) slog.Handler      { return l }

// answer is what whoever holds the phone can see of one unlock attempt.
type answer struct {
	err           string
	wiped, locked bool
	failed, max   int
	log           string
}

// TestDuressAnswersAsAWrongPIN enters the duress PIN at every position of a
// run of wrong PINs, the last allowed one included, and compares each
// attempt's answer, status and log with a run of wrong PINs only.
func TestDuressAnswersAsAWrongPIN(t *testing.T) {
	const max = 4
	run := func(t *testing.T, duressAt int) []answer {
		f := newFixture(t)
		var logs bytes.Buffer
		opt := testOptions(max)
		opt.Log = slog.New(lineLog{&logs})
		ks, err := Create(f.dir, f.secret, "pk-0001", pin, opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := ks.SetDuressPIN([]byte("999999")); err != nil {
			t.Fatal(err)
		}
		ks.Lock()
		logs.Reset()
		var out []answer
		for i := 1; i <= max+1; i++ {
			p := []byte("000000")
			if i == duressAt {
				p = []byte("999999")
			}
			err := ks.Unlock(p)
			s := ks.Status()
			out = append(out, answer{err: fmt.Sprint(err), wiped: s.Wiped, locked: s.Locked, failed: s.Failed, max: s.MaxAttempts, log: logs.String()})
			logs.Reset()
		}
		return out
	}
	want := run(t, 0)
	if want[max-1].err != ErrWiped.Error() {
		t.Fatalf("control run: attempt %d answered %q, want %q", max, want[max-1].err, ErrWiped)
	}
	for k := 1; k <= max; k++ {
		got := run(t, k)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("duress PIN as attempt %d: attempt %d shows\n%+v\nwant (wrong PINs only)\n%+v", k, i+1, got[i], want[i])
			}
		}
	}
}

// BenchmarkUnlockWrong and BenchmarkUnlockDuress compare the cost of a
// wrong PIN and of the duress PIN, with the cheap test KDF so that the
// difference, the file-system work, is not hidden under argon2id.
func BenchmarkUnlockWrong(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		b.StopTimer()
		ks := benchStore(b, dir)
		b.StartTimer()
		if err := ks.Unlock([]byte("000000")); !errors.Is(err, ErrWrongPIN) {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnlockDuress(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		b.StopTimer()
		ks := benchStore(b, dir)
		b.StartTimer()
		if err := ks.Unlock([]byte("999999")); !errors.Is(err, ErrWrongPIN) {
			b.Fatal(err)
		}
	}
}

var benchN int

func benchStore(b *testing.B, dir string) *Keystore {
	benchN++
	d := filepath.Join(dir, fmt.Sprint(benchN))
	ks, err := Create(d, FileSecret{Path: d + ".secret"}, "pk-0001", pin, testOptions(10))
	if err != nil {
		b.Fatal(err)
	}
	if err := ks.SetDuressPIN([]byte("999999")); err != nil {
		b.Fatal(err)
	}
	ks.Lock()
	return ks
}
