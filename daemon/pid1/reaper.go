package pid1

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// Exited is how a child ended.
type Exited struct {
	Pid    int
	Status unix.WaitStatus
}

// Reaper waits for every child of the process: the ones it started, whose
// status it hands to their starter, and the orphans the kernel reparents to
// process 1 (or to a child subreaper), which it reaps and forgets. It is the
// only caller of wait in the process; children must be started through it
// (Start), never with os/exec's Wait, whose status it would otherwise take.
type Reaper struct {
	log *slog.Logger

	mu      sync.Mutex
	waiting map[int]chan Exited // pid -> where its exit goes
	orphans int
}

// NewReaper returns a Reaper; call Run to start reaping.
func NewReaper(log *slog.Logger) *Reaper {
	return &Reaper{log: log, waiting: map[int]chan Exited{}}
}

// Run reaps children until ctx ends. SIGCHLD only wakes it: signals of
// several exits coalesce, so each wake-up waits until no zombie is left.
func (r *Reaper) Run(ctx context.Context) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, unix.SIGCHLD)
	defer signal.Stop(sig)
	r.reap() // children that exited before Notify
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			r.reap()
		}
	}
}

func (r *Reaper) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 { // ECHILD: no children; 0: none exited
			return
		}
		// Start holds mu from fork until the pid is registered, so a child
		// that exits at once is never mistaken for an orphan.
		r.mu.Lock()
		ch, ours := r.waiting[pid]
		delete(r.waiting, pid)
		if !ours {
			r.orphans++
		}
		r.mu.Unlock()
		if ours {
			ch <- Exited{Pid: pid, Status: ws}
			continue
		}
		r.log.Debug("reaped orphan", "pid", pid, "status", describe(ws))
	}
}

// Start starts a program (os.StartProcess) and returns it with a channel
// that receives its exit, once. The caller must Release the process after
// the exit arrives.
func (r *Reaper) Start(name string, argv []string, attr *os.ProcAttr) (*os.Process, <-chan Exited, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := os.StartProcess(name, argv, attr)
	if err != nil {
		return nil, nil, err
	}
	ch := make(chan Exited, 1)
	r.waiting[p.Pid] = ch
	return p, ch, nil
}

// Orphans reports how many orphans have been reaped.
func (r *Reaper) Orphans() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.orphans
}
