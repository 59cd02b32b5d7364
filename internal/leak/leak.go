// Package leak lets a test fail when goroutines it started outlive it:
// whoever starts a goroutine must stop it and wait for it.
package leak

import (
	"runtime"
	"testing"
	"time"
)

// Check records the goroutine count now and, when the test ends, waits up
// to 2 s for it to fall back, then fails with every goroutine's stack. The
// tests of a package that uses it must not run in parallel.
func Check(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		for range 200 {
			if runtime.NumGoroutine() <= before {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before the test, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	})
}
