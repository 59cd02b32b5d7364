package pid1

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"mehfooz/clock"
)

// The reaper calls wait(-1), which would take the exit status of any child
// of the test process; so it is tested in a helper process of its own,
// made a child subreaper (prctl PR_SET_CHILD_SUBREAPER) so that orphans are
// reparented to it as they are to process 1 on the handset.
const helperEnv = "PID1_TEST_HELPER"

const sh = "/bin/sh"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode))
	}
	os.Exit(m.Run())
}

func helper(mode string) int {
	switch mode {
	case "subreaper":
		if err := subreaperScenario(); err != nil {
			fmt.Println("FAIL:", err)
			return 1
		}
		fmt.Println("OK")
		return 0
	}
	return 2
}

func subreaperScenario() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return err
	}
	r := NewReaper(discard())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// Children are small shell commands: re-running this (race-built)
	// test binary for each would take seconds apiece.
	start := func(script string) (*os.Process, <-chan Exited, error) {
		return r.Start(sh, []string{sh, "-c", script}, &os.ProcAttr{})
	}

	// 1. Children that exit at once, all at the same moment: each starter
	// gets its own child's status, none is mistaken for an orphan.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, exit, err := start(fmt.Sprintf("exit %d", i%7))
			if err != nil {
				errs <- err
				return
			}
			defer p.Release()
			select {
			case e := <-exit:
				if e.Pid != p.Pid || !e.Status.Exited() || e.Status.ExitStatus() != i%7 {
					errs <- fmt.Errorf("child %d: got pid %d status %s, want pid %d exit %d", i, e.Pid, describe(e.Status), p.Pid, i%7)
				}
			case <-time.After(20 * time.Second):
				errs <- fmt.Errorf("child %d: exit status never delivered", i)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	if n := r.Orphans(); n != 0 {
		return fmt.Errorf("%d supervised children counted as orphans", n)
	}

	// 2. Orphans: each child leaves a grandchild that outlives it; the
	// grandchildren become ours and must not stay zombies.
	for range 5 {
		p, exit, err := start("sleep 0.1 & exit 0")
		if err != nil {
			return err
		}
		<-exit
		p.Release()
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Orphans() < 5 {
		if time.Now().After(deadline) {
			return fmt.Errorf("reaped %d orphans, want 5; zombies: %v", r.Orphans(), zombies())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if z := zombies(); len(z) > 0 {
		return fmt.Errorf("zombies left: %v", z)
	}

	// 3. A supervised program: failure, "do not restart", and stop on cancel.
	clk := clock.Real{}
	run := func(script string, ctx context.Context) error {
		return r.Process(Program{Path: sh, Args: []string{"-c", script}}, clk)(ctx)
	}
	if err := run("exit 3", context.Background()); !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "status 3") {
		return fmt.Errorf("exit 3: %v", err)
	}
	if err := run("exit 125", context.Background()); err != nil {
		return fmt.Errorf("exit 125: %v, want nil (do not restart)", err)
	}
	if err := run("kill -9 $$", context.Background()); !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "killed") {
		return fmt.Errorf("killed: %v", err)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer scancel()
	t0 := time.Now()
	if err := run("exec sleep 30", sctx); !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cancelled program: %v", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		return fmt.Errorf("SIGTERM did not stop the program promptly (%v)", d)
	}
	return nil
}

// zombies lists our children in state Z.
func zombies() []int {
	var z []int
	ents, _ := os.ReadDir("/proc")
	me := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces; split after ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[0] == "Z" && f[1] == strconv.Itoa(me) {
			z = append(z, pid)
		}
	}
	return z
}

func TestReaperInSubreaper(t *testing.T) {
	if _, err := os.Stat(sh); err != nil {
		t.Skip("no /bin/sh for the child processes")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=subreaper")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("subreaper scenario: %v\n%s", err, out)
	}
}
