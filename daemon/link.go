package daemon

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon/pid1"
	"mehfooz/daemon/state"
	"mehfooz/exchange/client"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
	"mehfooz/trust/bundle"
	"mehfooz/trust/directory"
	"mehfooz/trust/pin"
	"mehfooz/trust/revocation"
	"mehfooz/trust/whitelist"
)

// LinkConfig is what the link to the exchange needs.
type LinkConfig struct {
	Prov     *Provisioning
	Verifier *trust.Verifier
	Keys     *Keys
	// Dial opens the TCP connection to the exchange (over the modem's data
	// bearer on a handset); nil means net.Dialer.
	Dial  func(ctx context.Context, network, addr string) (net.Conn, error)
	Clock clock.Clock
	// Calls, if set, runs the handset's calls over the link once it is up.
	Calls *Calls
}

// LinkService keeps the handset connected to the exchange once the keys
// are ready: it holds the signed directory and revocation list (sealed in
// the keystore), publishes contacts and presence, carries out verified wipe
// orders, delivers a wiped handset's revocation request, and runs calls.
func (d *Daemon) LinkService(cfg LinkConfig) pid1.Service {
	return pid1.Service{Name: "link", Run: func(ctx context.Context) error {
		select {
		case <-cfg.Keys.Ready():
		case <-ctx.Done():
			return nil
		}
		l, err := newLink(d, cfg)
		if err != nil {
			return err
		}
		return l.run(ctx)
	}}
}

// link is one run of the link service.
type link struct {
	d     *Daemon
	cfg   LinkConfig
	log   *slog.Logger
	self  trust.DeviceID
	dir   *directory.Holder
	rev   *revocation.Holder
	pins  *pin.Set
	gate  *whitelist.Gate
	c     *client.Client
	cert  *x509.Certificate
	onl   map[string]bool
	calls *Calls
}

func newLink(d *Daemon, cfg LinkConfig) (*link, error) {
	ks := cfg.Keys.Store()
	if ks == nil {
		return nil, errors.New("link: keystore not ready")
	}
	log := d.log.With("subsystem", "link")
	dir, err := directory.NewHolder(cfg.Verifier, ks.Sealed("directory"), log)
	if err != nil {
		return nil, fmt.Errorf("link: directory: %w", err)
	}
	rev, err := revocation.NewHolder(cfg.Verifier, ks.Sealed("revocation"), log)
	if err != nil {
		return nil, fmt.Errorf("link: revocation list: %w", err)
	}
	pins, err := pin.Open(ks.Sealed("pins"))
	if err != nil {
		return nil, fmt.Errorf("link: pins: %w", err)
	}
	cert, err := ks.Certificate()
	if err != nil || cert == nil {
		return nil, fmt.Errorf("link: no device certificate: %v", err)
	}
	signer, err := ks.Signer()
	if err != nil {
		return nil, fmt.Errorf("link: device key: %w", err)
	}
	l := &link{d: d, cfg: cfg, log: log, self: ks.ID(), dir: dir, rev: rev, pins: pins,
		gate: whitelist.New(cfg.Verifier, dir, rev, pins), cert: cert, onl: map[string]bool{}, calls: cfg.Calls}
	l.c, err = client.New(client.Config{
		Addr:        cfg.Prov.Exchange,
		ServerName:  cfg.Prov.ExchangeName,
		Certificate: tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: signer, Leaf: cert},
		Roots:       cfg.Verifier.Pool(),
		Dial:        cfg.Dial,
		Directory:   func() uint64 { _, b := dir.Current(); return bundleVersion(b) },
		Revocations: func() uint64 { _, b := rev.Current(); return bundleVersion(b) },
		VerifyTechnician: func(c *x509.Certificate) error {
			_, err := cfg.Verifier.Technician(c)
			return err
		},
		Software: "phoned",
		Clock:    cfg.Clock,
		Logger:   log,
	})
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	return l, nil
}

// bundleVersion is the version of a held bundle, 0 when none is held.
func bundleVersion(b *bundle.Bundle) uint64 {
	if b == nil {
		return 0
	}
	return b.Version
}

// run connects and handles what the exchange sends until ctx ends.
func (l *link) run(ctx context.Context) error {
	l.publishContacts()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	runErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		runErr <- l.c.Run(ctx)
	}()
	if l.calls != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.calls.run(ctx, l); err != nil {
				l.log.Error("calls stopped", "err", err)
				cancel()
			}
		}()
	}
	l.deliverRevocationRequest(ctx)
	wiped := l.cfg.Keys.Wiped()
	l.checkRenewal(l.cfg.Clock.Now())
	renewal := l.cfg.Clock.NewTicker(renewalCheck)
	defer renewal.Stop()
loop:
	for {
		select {
		case now := <-renewal.C():
			l.checkRenewal(now)
		case ev, ok := <-l.c.Events():
			if !ok {
				break loop
			}
			l.handle(ctx, ev)
		case <-wiped:
			// The handset is wiped (wipe order, PIN count or duress): tell
			// the exchange over the connection we still have, forget the
			// directory's names, and end any call.
			wiped = nil
			l.deliverRevocationRequest(ctx)
			l.d.SetContacts(nil)
			if l.calls != nil {
				l.calls.wiped()
			}
		}
	}
	cancel()
	wg.Wait()
	l.d.hub.Update(func(s *state.Snapshot) { s.Link.Connected = false })
	err := <-runErr
	if errors.Is(err, client.ErrRevoked) {
		// After a wipe the revocation is expected, and an alert would tell
		// whoever forced the duress PIN that it worked.
		if !l.wiped() {
			l.d.Raise(state.AlertExchange, state.SeverityCritical, "This handset is revoked", "The exchange refuses it; see a technician.")
		}
		return nil // do not restart: the exchange will keep refusing
	}
	return err
}

// renewalCheck is how often a running link looks at its certificate's age:
// a handset may stay up for weeks without reconnecting.
const renewalCheck = 12 * time.Hour

// checkRenewal warns the owner once the device certificate is in the last
// third of its life (trust.RenewalDue): renewal is a bench step (phonectl
// enroll --renew), and after NotAfter the exchange refuses the handset. The
// warning comes back after an acknowledgement, at the next check.
func (l *link) checkRenewal(now time.Time) {
	cert := l.cert
	// A certificate renewed at the bench since the link started counts:
	// the link presents it from its next connection on.
	if l.cfg.Keys != nil {
		if ks := l.cfg.Keys.Store(); ks != nil {
			if c, err := ks.Certificate(); err == nil && c != nil {
				cert = c
			}
		}
	}
	if !trust.RenewalDue(cert, now) {
		return
	}
	until := cert.NotAfter.Format("2 Jan 2006")
	text := "Take the handset to a technician before " + until + " to renew its certificate; after that it can make no calls."
	if !now.Before(cert.NotAfter) {
		text = "It expired on " + until + "; a technician must renew it before the handset can call."
	}
	l.d.Raise(state.AlertExchange, state.SeverityWarning, "Certificate renewal due", text)
}

func (l *link) handle(ctx context.Context, ev client.Event) {
	switch ev := ev.(type) {
	case *client.Connected:
		l.log.Info("exchange connected", "group", ev.Group, "directory", ev.Directory, "revocations", ev.Revocations)
		now := l.cfg.Clock.Now()
		l.d.hub.Update(func(s *state.Snapshot) {
			s.Link.Connected, s.Link.Exchange, s.Link.Since, s.Link.Group = true, l.cfg.Prov.Exchange, now, ev.Group.String()
			s.Link.Detail = ""
		})
		l.deliverRevocationRequest(ctx)
		if l.calls != nil {
			l.calls.linkUp()
		}
	case *client.Disconnected:
		detail := "connecting"
		if ev.Err != nil {
			detail = ev.Err.Error()
		}
		l.d.hub.Update(func(s *state.Snapshot) { s.Link.Connected, s.Link.Detail = false, detail })
		var ref *client.Refusal
		if errors.As(ev.Err, &ref) && securityRefusal[ref.Code] && !l.wiped() {
			l.d.Raise(state.AlertExchange, state.SeverityCritical, "Exchange refused this handset", ref.Code+": "+ref.Reason)
		}
	case *client.PresenceUpdate:
		if ev.Full {
			clear(l.onl)
		}
		for _, id := range ev.Online {
			l.onl[id] = true
		}
		for _, id := range ev.Offline {
			delete(l.onl, id)
		}
		l.publishContacts()
	case *client.DirectoryUpdate:
		l.offer("directory", func() (bool, error) { return l.dir.Offer(ev.Bundle) })
		l.publishContacts()
	case *client.RevocationUpdate:
		l.offer("revocation list", func() (bool, error) { return l.rev.Offer(ev.Bundle) })
		l.publishContacts()
		if l.calls != nil {
			l.calls.revocationsChanged(l)
		}
	case *client.WipeOrdered:
		l.log.Warn("wipe ordered", "technician", ev.Technician)
		if err := l.c.AckWipe(ctx, ev.Order.ID); err != nil {
			l.log.Warn("wipe ack", "err", err)
		}
		if err := l.cfg.Keys.Wipe(); err != nil {
			l.log.Error("wipe", "err", err)
		}
	case *client.Routed:
		if l.calls != nil {
			l.calls.routed(ev.Envelope)
		}
	case *client.CallEnded:
		if l.calls != nil {
			l.calls.ended(ev.Call, ev.Code)
		}
	case *client.Refused:
		l.log.Info("exchange refused a message", "code", ev.Code, "reason", ev.Reason)
		if l.calls != nil && !ev.Call.IsZero() {
			l.calls.refused(ev.Call, ev.Code)
		}
	}
}

// securityRefusal are the admission refusals that say something is wrong
// with this handset's identity; the rest (no directory published yet, a
// newer connection, the exchange stopping) only delay the link.
var securityRefusal = map[string]bool{
	wire.CodeUnenrolled: true, wire.CodeWrongCA: true, wire.CodeExpired: true, wire.CodeNotYetValid: true,
	wire.CodeWrongEKU: true, wire.CodeWrongRole: true, wire.CodeKeyType: true, wire.CodeBadDeviceID: true,
	wire.CodeRevoked: true, wire.CodeNotInDirectory: true, wire.CodeFingerprintMismatch: true,
}

func (l *link) wiped() bool {
	select {
	case <-l.cfg.Keys.Wiped():
		return true
	default:
		return false
	}
}

// offer hands a signed bundle to its holder. A refused bundle is a
// security event (a rollback or a forgery reached us); the held one stays.
func (l *link) offer(what string, f func() (bool, error)) {
	newer, err := f()
	switch {
	case err == nil && newer:
		_, db := l.dir.Current()
		_, rb := l.rev.Current()
		l.d.hub.Update(func(s *state.Snapshot) {
			s.Link.Directory, s.Link.Revoked = bundleVersion(db), bundleVersion(rb)
		})
	case errors.Is(err, trust.ErrRollback), errors.Is(err, trust.ErrBadSignature), errors.Is(err, trust.ErrMalformed):
		l.d.Raise(state.AlertExchange, state.SeverityCritical, "Refused a tampered or old "+what, err.Error())
	case err != nil:
		l.log.Warn("bundle refused", "what", what, "err", err)
	}
}

// publishContacts writes the whitelist as the contacts screen shows it.
func (l *link) publishContacts() {
	d, _ := l.dir.Current()
	var cs []state.Contact
	if d != nil {
		for _, e := range d.Contacts(l.self) {
			cs = append(cs, state.Contact{
				ID: string(e.ID), Name: e.Name, Office: e.Office,
				Online:   l.onl[string(e.ID)],
				Callable: l.gate.MayCall(l.self, e.ID) == nil,
			})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	l.d.SetContacts(cs)
	if l.calls != nil {
		l.calls.contacts(cs)
	}
}

// deliverRevocationRequest sends a wiped handset's "revoke me" request. It
// can only go over a connection made before the wipe: afterwards the key
// that authenticates new connections is gone.
func (l *link) deliverRevocationRequest(ctx context.Context) {
	req := l.cfg.Keys.PendingRevocation()
	if len(req) == 0 {
		return
	}
	if err := l.c.SelfRevoke(ctx, req); err != nil {
		l.log.Debug("self-revocation not delivered yet", "err", err)
		return
	}
	if err := l.cfg.Keys.AckRevocation(); err != nil {
		l.log.Error("self-revocation ack", "err", err)
	}
}
