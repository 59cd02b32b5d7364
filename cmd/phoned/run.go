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
	"path/filepath"
	"sync"

	"mehfooz/board"
	"mehfooz/clock"
	"mehfooz/daemon"
	"mehfooz/daemon/api"
	"mehfooz/daemon/pid1"
	"mehfooz/daemon/state"
	"mehfooz/modem"
	"mehfooz/modem/policy"
	"mehfooz/trust"
	"mehfooz/trust/keystore"
	"mehfooz/ui/key"
)

// run boots, starts the subsystems, waits for the end and shuts down. As
// process 1 it never returns on success: Shutdown powers off or reboots.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "phoned:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))
	clk := clock.Real{}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sys, err := pid1.Boot(ctx, pid1.Config{Board: o.board, Log: log, Clock: clk, Console: stdout})
	if err != nil {
		// Boot goes on after a failed duty; the handset shows the rest.
		log.Error("boot", "err", err)
	}
	defer sys.Close()

	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		log.Error("data folder", "err", err)
	}
	setMixer(o.board, log)
	d := daemon.New(clk, log, state.Snapshot{Board: o.board.Name, Lock: state.Lock{}})
	services, err := openServices(o, d, sys, log)
	if err != nil {
		log.Error("open devices", "err", err)
		return shutdown(sys, pid1.Poweroff, log)
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&pid1.Supervisor{Log: log, Clock: clk}).Run(ctx, services...)
	}()
	sys.Ready()
	action := sys.Wait(ctx)
	log.Info("stopping", "action", action)
	cancel()
	wg.Wait()
	d.Wait()
	return shutdown(sys, action, log)
}

// shutdown ends the system; for a plain process it returns the exit code.
func shutdown(sys *pid1.System, a pid1.Action, log *slog.Logger) int {
	for {
		err := sys.Shutdown(a)
		if err == nil {
			return 0
		}
		// Process 1 must never exit: keep trying.
		log.Error("shutdown", "err", err)
	}
}

// openServices opens what the board names and returns phoned's subsystems.
// A handset without provisioning still boots to its screen and local API,
// with an alert, so a technician can see what is missing.
func openServices(o *options, d *daemon.Daemon, sys *pid1.System, log *slog.Logger) ([]pid1.Service, error) {
	display, err := openDisplay(o, log)
	if err != nil {
		return nil, err
	}
	// The first frame on the screen is the boot's health mark: the slot the
	// boot loader tried is marked good, and the figures take their time.
	var first sync.Once
	firstFrame := func() {
		first.Do(func() {
			sys.Mark("first-frame")
			if err := sys.BootSucceeded(); err != nil && !errors.Is(err, pid1.ErrNoSlot) {
				log.Error("mark boot slot", "err", err)
			}
		})
	}
	pressed := make(chan key.Key, 16)
	keySvc, err := keysService(o, pressed, func() { sys.Request(pid1.Poweroff) }, log.With("subsystem", "keys"))
	if err != nil {
		return nil, err
	}
	services := []pid1.Service{
		d.APIService(func() (net.Listener, error) { return listenUnix(o.socket) }, api.SameUser(os.Getuid())),
		d.UIService(display, pressed, firstFrame),
		keySvc,
	}
	if o.board.Battery != "" {
		sys := os.DirFS("/")
		services = append(services, d.BatteryService(func() (int, bool, error) { return o.board.ReadBattery(sys) }))
	}
	if o.board.Bench.Port != "" {
		services = append(services, d.BenchService(benchOpener(o.board.Bench.Port, o.board.Bench.Baud)))
	}
	prov, err := loadProvisioning(o.provisioning, filepath.Join(o.dataDir, daemon.DeviceIDFile))
	if err != nil {
		d.Raise(state.AlertNoService, state.SeverityCritical, "Handset not provisioned", err.Error())
		return services, nil
	}
	verifier, err := trust.NewVerifier(prov.CACert(), clock.Real{})
	if err != nil {
		return nil, err
	}
	keys, err := daemon.NewKeys(d, filepath.Join(o.dataDir, "keystore"), keystore.FileSecret{Path: filepath.Join(o.dataDir, "device.secret")},
		prov.DeviceID, verifier, keystore.Options{Log: log.With("subsystem", "keystore")})
	if err != nil {
		d.Raise(state.AlertKeystore, state.SeverityCritical, "Keystore unreadable", err.Error())
		return services, nil
	}
	calls := daemon.NewCalls(d, daemon.CallsConfig{Audio: callAudio(o, string(prov.DeviceID))})
	services = append(services, d.LinkService(daemon.LinkConfig{Prov: prov, Verifier: verifier, Keys: keys, Clock: clock.Real{}, Calls: calls}))
	if o.modemPort != "" {
		cellular, err := policy.LoadBytes(prov.Cellular)
		if err != nil {
			d.Raise(state.AlertNoService, state.SeverityCritical, "Cellular provisioning refused", err.Error())
		} else {
			svc, err := d.ModemService(modem.Config{
				Open:      serialOpener(o.modemPort, o.board.Modem.Baud),
				Clock:     clock.Real{},
				Log:       log.With("subsystem", "modem"),
				PIN:       daemon.SIMPINs{Keys: keys},
				Provision: cellular,
				Power:     board.NoPower{},
			})
			if err != nil {
				return nil, err
			}
			services = append(services, svc)
		}
	}
	return services, nil
}

// loadProvisioning reads the provisioning file and, if there is one, the
// device ID file of the data partition (a fleet image names no handset).
func loadProvisioning(path, idPath string) (*daemon.Provisioning, error) {
	var local trust.DeviceID
	if f, err := os.Open(idPath); err == nil {
		local, err = daemon.ReadDeviceID(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return daemon.LoadProvisioning(f, local)
}

// listenUnix listens on a fresh unix socket that only our user may use.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
