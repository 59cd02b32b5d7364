// Package pid1 does the duties of a Linux system's first process, for
// phoned running as init on a handset image: it mounts /proc, /sys, /dev,
// /dev/pts, /run, /tmp and the persistent data partition; loads the board's
// kernel modules in modules.dep/modules.softdep order with finit_module;
// seeds the entropy pool; hardens kernel settings; reaps every zombie; keeps
// the hardware watchdog alive; turns signals into a clean poweroff or
// reboot; and supervises phoned's subsystems with restart and backoff.
//
// It starts no shell, no other service and opens no network port. Every
// system call goes through Sys, so the duties are unit-tested as a normal
// process; the real calls run under QEMU (image/qemu's boot test). On the
// sim board the same calls skip every duty, so the same binary runs as a
// plain process for development.
package pid1

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"mehfooz/board"
	"mehfooz/clock"
)

// LinePrefix starts every line pid1 writes to the console, so a harness
// can find them among kernel messages.
const LinePrefix = "mehfooz:"

// ReadyLine is what Ready prints, followed by details; the boot test
// waits for it.
const ReadyLine = LinePrefix + " ready"

// Config is what Boot needs. Only Board is required.
type Config struct {
	Board   *board.Board
	Log     *slog.Logger // nil: discard
	Clock   clock.Clock  // nil: clock.Real{}
	Console io.Writer    // where marker lines go; nil: os.Stdout (the kernel's /dev/console)
	// Sys and Root replace the machine in tests: nil means the real system
	// calls and os.DirFS("/").
	Sys  Sys
	Root fs.FS
	// DeviceWait bounds how long Boot waits for the data partition and the
	// watchdog to appear after their drivers load; zero means 10 s.
	DeviceWait time.Duration
}

// System is the booted system.
type System struct {
	board   *board.Board
	log     *slog.Logger
	clock   clock.Clock
	console io.Writer
	sys     Sys
	root    fs.FS
	pid1    bool
	cmdline map[string]string

	reaper      *Reaper
	dataMounted bool
	signals     chan os.Signal
	requests    chan Action

	cancel     context.CancelFunc
	done       chan struct{} // closed by Close
	closeOnce  sync.Once
	wg         sync.WaitGroup
	reaperStop context.CancelFunc
	reaperDone chan struct{}
}

// Boot does the init duties for cfg.Board and returns the running System.
// On a board that is not PID1 (sim) it only starts listening for SIGINT
// and SIGTERM. Duties that fail are logged and the boot goes on, because a
// handset that stops half-booted helps nobody; the returned error collects
// the ones the caller should show (the data partition missing, say). The
// System is usable either way. ctx bounds the background work (reaper,
// watchdog); cancel it only after Shutdown.
func Boot(ctx context.Context, cfg Config) (*System, error) {
	s := &System{
		board: cfg.Board, log: cfg.Log, clock: cfg.Clock, console: cfg.Console, sys: cfg.Sys, root: cfg.Root,
		pid1: cfg.Board.PID1, requests: make(chan Action, 1), signals: make(chan os.Signal, 4), done: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.console == nil {
		s.console = os.Stdout
	}
	if s.sys == nil {
		s.sys = realSys{}
	}
	if s.root == nil {
		s.root = os.DirFS("/")
	}
	wait := cfg.DeviceWait
	if wait == 0 {
		wait = 10 * time.Second
	}
	ctx, s.cancel = context.WithCancel(ctx)
	if !s.pid1 {
		signal.Notify(s.signals, unix.SIGINT, unix.SIGTERM)
		return s, nil
	}
	// First, before anything can fail: a signal process 1 has no handler
	// for is dropped by the kernel, but Go's default for SIGINT/SIGTERM is
	// to exit, and init exiting panics the kernel.
	signal.Notify(s.signals, unix.SIGINT, unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2, unix.SIGPWR)
	signal.Ignore(unix.SIGHUP, unix.SIGQUIT, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU)
	// Ctrl-Alt-Del then sends SIGINT to init instead of resetting at once.
	if err := s.sys.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF); err != nil {
		s.log.Warn("ctrl-alt-del to signal", "err", err)
	}
	s.mark("boot")

	var problems []string
	fail := func(err error) {
		s.log.Error("boot", "err", err)
		problems = append(problems, err.Error())
	}
	if err := mountAll(s.sys, earlyMounts); err != nil {
		fail(err) // without /proc and /sys little else works, but try
	}
	s.cmdline = parseCmdline(s.root)

	s.reaper = NewReaper(s.log)
	rctx, rstop := context.WithCancel(ctx)
	s.reaperStop, s.reaperDone = rstop, make(chan struct{})
	go func() { defer close(s.reaperDone); s.reaper.Run(rctx) }()

	start := s.sys.Uptime()
	rep, err := loadModules(s.sys, s.root, s.board.Kernel.Modules)
	if err != nil {
		fail(err)
	}
	for _, f := range rep.failed {
		fail(fmt.Errorf("module %s", f))
	}
	for _, f := range rep.softFailed {
		s.log.Debug("optional module not loaded", "module", f)
	}
	s.log.Info("modules loaded", "loaded", rep.loaded, "already", rep.already, "failed", len(rep.failed), "took", s.sys.Uptime()-start)

	if err := s.network(ctx, wait); err != nil {
		fail(err)
	}
	start = s.sys.Uptime()
	if err := s.mountData(ctx, wait); err != nil {
		fail(err)
	} else if mixed, err := seedEntropy(s.sys, s.root, s.board.Storage.DataDir); err != nil {
		fail(err)
	} else {
		// getrandom blocks until the kernel's pool is ready: "took" shows it.
		s.log.Info("entropy seeded", "from_saved_seed", mixed, "took", s.sys.Uptime()-start)
	}
	for _, h := range hardening {
		if err := s.sys.WriteSysctl(h.name, h.value); err != nil {
			s.log.Warn("sysctl", "name", h.name, "err", err)
		}
	}
	if err := s.startWatchdog(ctx, wait); err != nil {
		fail(err)
	}
	s.mark("init-done")
	if len(problems) > 0 {
		return s, fmt.Errorf("pid1: boot: %s", strings.Join(problems, "; "))
	}
	return s, nil
}

// network brings up the loopback and the board's static data interface,
// once its driver has made it appear.
func (s *System) network(ctx context.Context, wait time.Duration) error {
	n := s.board.Network
	if n == nil {
		return nil
	}
	c, err := parseNetwork(n)
	if err != nil {
		return err
	}
	lo, err := s.sys.InterfaceIndex("lo")
	if err != nil {
		return fmt.Errorf("network: lo: %w", err)
	}
	var idx int
	err = s.poll(ctx, wait, func() (err error) {
		idx, err = s.sys.InterfaceIndex(c.iface)
		return err
	})
	if err != nil {
		return fmt.Errorf("network: %s: %w", c.iface, err)
	}
	if err := s.sys.Netlink(netMessages(c, lo, idx)); err != nil {
		return fmt.Errorf("network: %s: %w", c.iface, err)
	}
	s.log.Info("network up", "iface", c.iface, "addr", c.addr, "gateway", c.gateway)
	return nil
}

func (s *System) mountData(ctx context.Context, wait time.Duration) error {
	st := s.board.Storage
	if st.Data == "" {
		return nil
	}
	var dev string
	err := s.poll(ctx, wait, func() (err error) {
		dev, err = s.board.Partition(s.root, st.Data)
		return err
	})
	if err != nil {
		return fmt.Errorf("data partition: %w", err)
	}
	if err := mountAll(s.sys, []mountPoint{dataMount(dev, st.DataDir, st.DataFS)}); err != nil {
		return fmt.Errorf("data partition: %w", err)
	}
	s.dataMounted = true
	s.log.Info("data mounted", "dev", dev, "dir", st.DataDir)
	return nil
}

func (s *System) startWatchdog(ctx context.Context, wait time.Duration) error {
	w := s.board.Watchdog
	if w.Device == "" {
		return nil
	}
	var wd Watchdog
	err := s.poll(ctx, wait, func() (err error) {
		wd, err = s.sys.OpenWatchdog(w.Device, w.Timeout)
		return err
	})
	if err != nil {
		return fmt.Errorf("watchdog %s: %w", w.Device, err)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer wd.Close()
		kick(ctx, wd, s.clock, w.Timeout/3, s.log)
	}()
	s.log.Info("watchdog armed", "dev", w.Device, "timeout", w.Timeout)
	return nil
}

// poll retries f every 50 ms until it succeeds or d passes: device nodes
// appear only once their driver has probed, after its module loaded.
func (s *System) poll(ctx context.Context, d time.Duration, f func() error) error {
	deadline := s.clock.Now().Add(d)
	for {
		err := f()
		if err == nil || !s.clock.Now().Before(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.clock.After(50 * time.Millisecond):
		}
	}
}

// Reaper returns the reaper children must be started through; nil on a
// board that is not PID1 (a plain process has a real init above it).
func (s *System) Reaper() *Reaper { return s.reaper }

// Slot returns the boot slot the boot loader chose ("a" or "b", from
// mehfooz.slot= on the kernel command line), or "" if none was passed.
func (s *System) Slot() string { return s.cmdline["mehfooz.slot"] }

// Request asks Wait to return a, e.g. when the user chooses "power off".
func (s *System) Request(a Action) {
	select {
	case s.requests <- a:
	default: // one is pending already
	}
}

// Wait blocks until the system should end and says how: a Request, or a
// signal (SIGTERM, and SIGINT from Ctrl-Alt-Del, reboot; SIGUSR2 and
// SIGPWR power off; on the sim board SIGINT and SIGTERM mean Exit), or ctx
// ending (Exit on sim, Poweroff on a device).
func (s *System) Wait(ctx context.Context) Action {
	for {
		select {
		case a := <-s.requests:
			return a
		case <-ctx.Done():
			if s.pid1 {
				return Poweroff
			}
			return Exit
		case sig := <-s.signals:
			s.log.Info("signal", "signal", sig)
			if !s.pid1 {
				return Exit
			}
			switch sig {
			case unix.SIGINT, unix.SIGTERM:
				return Reboot
			case unix.SIGUSR2, unix.SIGPWR:
				return Poweroff
			}
		}
	}
}

// idleAfter is when, after Ready, the "idle" marker reports phoned's
// resident memory once start-up allocations have settled.
const idleAfter = 10 * time.Second

// Ready prints the ready line with the time since the kernel started and
// phoned's resident memory, and ten seconds later an "idle" line with the
// memory again. Call it once, when phoned is up.
func (s *System) Ready() {
	if s.pid1 {
		// No listening port: the handset reaches out, nobody reaches in.
		if n, err := listeners(s.root); err != nil {
			s.log.Warn("listening sockets", "err", err)
		} else {
			s.log.Info("listening sockets", "tcp_listen_and_udp_bound", n)
		}
	}
	s.mark("ready")
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := s.clock.NewTimer(idleAfter)
		defer t.Stop()
		select {
		case <-t.C():
			s.mark("idle")
		case <-s.done:
		}
	}()
}

// Mark prints a timestamped marker line ("mehfooz: first-frame uptime=…"),
// from which the boot figures of docs/image.md are taken.
func (s *System) Mark(event string) { s.mark(event) }

func (s *System) mark(event string) {
	rss := ""
	if r := s.rss(); r != "" {
		rss = " rss=" + r // phoned's resident memory, once /proc is mounted
	}
	fmt.Fprintf(s.console, "%s %s board=%s uptime=%s%s\n", LinePrefix, event, s.board.Name, seconds(s.sys.Uptime()), rss)
}

// rss reads VmRSS from /proc/self/status.
func (s *System) rss() string {
	b, err := fs.ReadFile(s.root, "proc/self/status")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strings.ReplaceAll(strings.TrimSpace(v), " ", "")
		}
	}
	return ""
}

// Close stops the background work (watchdog kicks, reaping) and waits for
// it. Shutdown does not need it; tests and the sim board do.
func (s *System) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.cancel()
	s.stopReaper()
	s.wg.Wait()
	signal.Stop(s.signals)
}

func (s *System) stopReaper() {
	if s.reaperStop != nil {
		s.reaperStop()
		<-s.reaperDone
	}
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// parseCmdline reads key=value words of /proc/cmdline (before any "--").
func parseCmdline(root fs.FS) map[string]string {
	m := map[string]string{}
	b, err := fs.ReadFile(root, "proc/cmdline")
	if err != nil {
		return m
	}
	for _, w := range strings.Fields(string(b)) {
		if w == "--" {
			break
		}
		if k, v, ok := strings.Cut(w, "="); ok {
			m[k] = v
		}
	}
	return m
}
