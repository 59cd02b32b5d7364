// Package daemon is phoned: it wires the handset's subsystems (modem, link to
// the exchange, calls, keystore, screen) to one state Hub, routes the
// Intents of the UI and of phonectl to the subsystem that owns them, and
// serves the local API. It holds no protocol logic itself. The init duties
// of PID 1 live in daemon/init; the typed state stream in daemon/state.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"mehfooz/clock"
	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
)

// Daemon is one running phoned.
type Daemon struct {
	clock clock.Clock
	log   *slog.Logger
	hub   *state.Hub

	mu       sync.Mutex
	handlers map[state.IntentKind]IntentHandler
	screen   func(context.Context) ([]byte, error)
	enroller enroller
	alerts   alertBook

	// wg counts intent goroutines started for the UI; Wait waits for them.
	wg sync.WaitGroup

	// viewMu orders the updates that decide what the screen may show:
	// the contacts (names of officials) appear only while it is unlocked.
	viewMu   sync.Mutex
	contacts []state.Contact
	locked   bool
}

// IntentHandler carries out one kind of Intent. It returns an error wrapping
// api.ErrRejected when the request is refused in the current state.
type IntentHandler func(ctx context.Context, in state.Intent) error

// New returns a Daemon publishing initial as its first Snapshot.
func New(c clock.Clock, log *slog.Logger, initial state.Snapshot) *Daemon {
	d := &Daemon{
		clock:    c,
		log:      log,
		hub:      state.NewHub(c, initial),
		handlers: make(map[state.IntentKind]IntentHandler),
	}
	d.Handle(state.IntentAckAlert, d.ackAlert)
	return d
}

// Hub is the daemon's state stream; subsystems publish through Update.
func (d *Daemon) Hub() *state.Hub { return d.hub }

// Handle routes Intents of kind k to h, replacing any earlier handler.
func (d *Daemon) Handle(k state.IntentKind, h IntentHandler) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handlers[k] = h
}

// SetScreen installs the function that renders the current screen as PNG.
func (d *Daemon) SetScreen(f func(context.Context) ([]byte, error)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.screen = f
}

// Subscribe implements api.Backend.
func (d *Daemon) Subscribe() (<-chan state.Snapshot, func()) { return d.hub.Subscribe() }

// Intent implements api.Backend and is what the UI calls too. The Intent's
// secrets are wiped when it returns.
func (d *Daemon) Intent(ctx context.Context, in state.Intent) error {
	defer in.Wipe()
	d.mu.Lock()
	h := d.handlers[in.Kind]
	d.mu.Unlock()
	if h == nil {
		return fmt.Errorf("%s: %w: this handset does not do that now", in.Kind, api.ErrRejected)
	}
	if err := h(ctx, in); err != nil {
		// Never log the Intent itself: it may carry a PIN.
		d.log.Info("intent refused", "kind", in.Kind, "err", err)
		return err
	}
	return nil
}

// Screenshot implements api.Backend.
func (d *Daemon) Screenshot(ctx context.Context) ([]byte, error) {
	d.mu.Lock()
	f := d.screen
	d.mu.Unlock()
	if f == nil {
		return nil, api.ErrNoScreen
	}
	return f(ctx)
}

// enroller is the part of Keys the local API's enrollment routes use.
type enroller interface {
	EnrollRequest(ctx context.Context) ([]byte, error)
	InstallCertificate(ctx context.Context, pem []byte) error
}

// SetEnroller installs what serves the enrollment routes.
func (d *Daemon) SetEnroller(e enroller) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.enroller = e
}

func (d *Daemon) getEnroller() (enroller, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.enroller == nil {
		return nil, fmt.Errorf("enroll: %w: this handset has no keystore", api.ErrRejected)
	}
	return d.enroller, nil
}

// EnrollRequest implements api.Backend.
func (d *Daemon) EnrollRequest(ctx context.Context) ([]byte, error) {
	e, err := d.getEnroller()
	if err != nil {
		return nil, err
	}
	return e.EnrollRequest(ctx)
}

// InstallCertificate implements api.Backend.
func (d *Daemon) InstallCertificate(ctx context.Context, pem []byte) error {
	e, err := d.getEnroller()
	if err != nil {
		return err
	}
	return e.InstallCertificate(ctx, pem)
}

var _ api.Backend = (*Daemon)(nil)

// SetContacts publishes the whitelist as the contacts screen shows it. A
// locked handset shows no names: whoever holds it learns nothing of whom
// its owner may call, and a duress wipe changes nothing visible.
func (d *Daemon) SetContacts(cs []state.Contact) {
	d.viewMu.Lock()
	defer d.viewMu.Unlock()
	d.contacts = cs
	d.hub.Update(func(s *state.Snapshot) { s.Contacts = d.visibleContacts() })
}

// setLock publishes the lock screen's state, and with it whether the
// contacts may be shown.
func (d *Daemon) setLock(l state.Lock, id string) {
	d.viewMu.Lock()
	defer d.viewMu.Unlock()
	d.locked = l.Locked
	d.hub.Update(func(s *state.Snapshot) {
		s.Lock, s.DeviceID = l, id
		s.Contacts = d.visibleContacts()
	})
}

// visibleContacts is what the Snapshot may carry; d.viewMu is held.
func (d *Daemon) visibleContacts() []state.Contact {
	if d.locked {
		return nil
	}
	return d.contacts
}

// Wait waits for the work the daemon started on behalf of its services
// (intents from the UI). Call it after the services have stopped.
func (d *Daemon) Wait() { d.wg.Wait() }
