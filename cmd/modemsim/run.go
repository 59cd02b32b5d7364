package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"mehfooz/modem/sim"
)

// run is modemsim without the process around it: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "ctl" {
		return ctl(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("modemsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		link       = fs.String("link", "", "pty mode: keep a symlink at `path` to the current pty (re-pointed after an unplug)")
		socket     = fs.String("socket", "", "socket mode: listen on the unix socket at `path` (for QEMU -chardev socket)")
		tty        = fs.String("tty", "", "tty mode: serve on the existing tty at `path` (for QEMU -serial pty)")
		control    = fs.String("control", "", "serve control requests on the unix socket at `path`")
		profile    = fs.String("profile", "eg25g", "modem `firmware`: eg25g or generic")
		simState   = fs.String("sim", "ready", "SIM at start: ready, pin, puk or absent")
		pin        = fs.String("pin", "1234", "the SIM's PIN, for --sim pin and puk")
		puk        = fs.String("puk", "12345678", "the SIM's PUK")
		plmn       = fs.String("plmn", "41001", "the SIM's operator (MCC MNC)")
		cellPLMN   = fs.String("cell-plmn", "", "the network in range (default: the SIM's)")
		rat        = fs.String("rat", "lte", "the cell's radio: gsm, edge, umts, hspa or lte")
		regDelay   = fs.Duration("register-delay", 2*time.Second, "search time before registering")
		simDelay   = fs.Duration("sim-init-delay", 800*time.Millisecond, "SIM busy time after boot (eg25g)")
		replug     = fs.Duration("replug-delay", 500*time.Millisecond, "time the port is gone after an unplug")
		ringEvery  = fs.Duration("ring-interval", 3*time.Second, "time between RINGs")
		portName   = fs.String("port-name", "usbat", "our port's name for AT+QURCCFG=\"urcport\"")
		usb        = fs.Bool("usb", false, "a module reset re-enumerates: the port hangs up and a fresh one appears")
		level      = fs.String("log-level", "info", "log `level`: debug, info, warn or error")
		transcript = fs.String("transcript", "", "write the AT transcript to `file` on exit")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: modemsim [flags]\n       modemsim ctl --control PATH REQUEST...\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "modemsim: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if modes := countSet(*link, *socket, *tty); modes > 1 {
		fmt.Fprintln(stderr, "modemsim: --link, --socket and --tty are different modes; give one")
		return 2
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "modemsim: --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))

	cfg := sim.DefaultConfig()
	cfg.Logger = log
	cfg.RegisterDelay, cfg.SIMInitDelay, cfg.ReplugDelay, cfg.RingInterval = *regDelay, *simDelay, *replug, *ringEvery
	cfg.PortName, cfg.USB = *portName, *usb
	var err error
	if cfg.Profile, err = sim.ProfileByName(*profile); err != nil {
		fmt.Fprintf(stderr, "modemsim: --profile: %v\n", err)
		return 2
	}
	if cfg.Card, err = card(*simState, *plmn, *pin, *puk); err != nil {
		fmt.Fprintf(stderr, "modemsim: %v\n", err)
		return 2
	}
	act, err := sim.ParseAcT(*rat)
	if err != nil {
		fmt.Fprintf(stderr, "modemsim: --rat: %v\n", err)
		return 2
	}
	if *cellPLMN == "" {
		*cellPLMN = *plmn
	}
	if len(*cellPLMN) != 5 || strings.Trim(*cellPLMN, "0123456789") != "" {
		fmt.Fprintf(stderr, "modemsim: --cell-plmn %q: want MCC and MNC, like 41004\n", *cellPLMN)
		return 2
	}
	cfg.Cells = []sim.Cell{sim.NewCell(*cellPLMN, act, 0)}

	m, err := sim.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "modemsim: %v\n", err)
		return 1
	}
	var line sim.Line
	switch {
	case *tty != "":
		line = &ttyLine{path: *tty, log: log}
		fmt.Fprintf(stdout, "modemsim: %s modem on tty %s\n", cfg.Profile.Name, *tty)
	case *socket != "":
		s, err := sim.ListenSocket(*socket)
		if err != nil {
			fmt.Fprintf(stderr, "modemsim: %v\n", err)
			return 1
		}
		line = s
		fmt.Fprintf(stdout, "modemsim: %s modem listening on %s\n", cfg.Profile.Name, *socket)
	default:
		p, err := sim.NewPTY(*link)
		if err != nil {
			fmt.Fprintf(stderr, "modemsim: %v\n", err)
			return 1
		}
		line = p
		if *link != "" {
			fmt.Fprintf(stdout, "modemsim: %s modem on %s (link %s)\n", cfg.Profile.Name, p.Path(), *link)
		} else {
			fmt.Fprintf(stdout, "modemsim: %s modem on %s\n", cfg.Profile.Name, p.Path())
		}
	}

	var ctlLn net.Listener
	if *control != "" {
		if fi, err := os.Lstat(*control); err == nil && fi.Mode().Type() == os.ModeSocket {
			os.Remove(*control) // left by a previous run
		}
		if ctlLn, err = net.Listen("unix", *control); err != nil {
			line.Close()
			fmt.Fprintf(stderr, "modemsim: control: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "modemsim: control socket %s\n", *control)
	}
	if err := m.Start(line); err != nil {
		fmt.Fprintf(stderr, "modemsim: %v\n", err)
		return 1
	}
	var wg sync.WaitGroup
	code := 0
	if ctlLn != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sim.ServeControl(ctx, ctlLn, m, log); err != nil {
				log.Error("control socket failed", "err", err)
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()
	m.Close()
	log.Info("modemsim stopped", "stats", fmt.Sprintf("%+v", m.Status().Stats))
	if *transcript != "" {
		if err := writeTranscript(*transcript, m); err != nil {
			fmt.Fprintf(stderr, "modemsim: %v\n", err)
			code = 1
		}
	}
	return code
}

func countSet(s ...string) int {
	n := 0
	for _, x := range s {
		if x != "" {
			n++
		}
	}
	return n
}

// card builds the SIM of the --sim, --plmn, --pin and --puk flags.
func card(state, plmn, pin, puk string) (*sim.Card, error) {
	if len(plmn) != 5 || strings.Trim(plmn, "0123456789") != "" {
		return nil, fmt.Errorf("--plmn %q: want MCC and MNC, like 41004", plmn)
	}
	c := sim.NewCard(plmn, 1)
	c.PIN, c.PUK = pin, puk
	switch state {
	case "absent":
		return nil, nil
	case "ready":
	case "pin":
		c = c.WithPIN(pin)
	case "puk":
		c = c.WithPIN(pin)
		c.PINRetries = 0
	default:
		return nil, fmt.Errorf("--sim %q: want ready, pin, puk or absent", state)
	}
	return &c, nil
}

// writeTranscript writes the file whole or not at all.
func writeTranscript(path string, m *sim.Modem) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("transcript: %w", err)
	}
	if err := m.WriteTranscript(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("transcript: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("transcript: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("transcript: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("transcript: %w", err)
	}
	return nil
}

// ctl is "modemsim ctl": one request to a running simulator.
func ctl(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("modemsim ctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	control := fs.String("control", "", "the simulator's control socket `path`")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: modemsim ctl --control PATH REQUEST...\n\nrequests (see docs/modemsim.md):")
		fmt.Fprintln(stderr, "  status, transcript [n], unplug [keep], reboot, hang, power on|off,\n  sim pull|insert|swap, cells, reg lose|deny|accept, downgrade, churn,\n  ring, sms, storm, garbage, delay, pdp drop, urc, help\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *control == "" || fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	req := strings.Join(fs.Args(), " ")
	if _, err := sim.ParseControl(req); err != nil {
		fmt.Fprintf(stderr, "modemsim ctl: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	data, err := sim.SendControl(ctx, *control, req)
	for _, d := range data {
		fmt.Fprintln(stdout, d)
	}
	if err != nil {
		fmt.Fprintf(stderr, "modemsim ctl: %v\n", err)
		return 1
	}
	return 0
}
