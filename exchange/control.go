package exchange

import (
	"crypto/x509"
	"errors"
	"fmt"

	"mehfooz/exchange/store"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
)

// The technician operations. The API handlers call them after admitting
// the technician; actor names that technician in the audit log.

// Enroll registers a device certificate: from now on the handset must
// present exactly this certificate. A new certificate for an enrolled device
// replaces the old one (its connection is closed) and lifts a block, which
// is how a wiped or duress-revoked handset comes back after re-enrollment.
func (x *Exchange) Enroll(cert *x509.Certificate, actor string) (trust.DeviceID, error) {
	id, err := x.cfg.Verifier.Device(cert)
	if err != nil {
		x.audit.refused(string(id), codeOf(err), "enroll: "+err.Error(), "")
		return id, fmt.Errorf("exchange: enroll: %w", err)
	}
	if err := x.cfg.Store.PutDevice(store.Device{ID: string(id), Certificate: cert.Raw, Enrolled: x.clk.Now(), By: actor}); err != nil {
		return id, fmt.Errorf("exchange: enroll %s: %w", id, err)
	}
	fp := trust.FingerprintOf(cert.Raw)
	x.mu.Lock()
	old, had := x.enrolled[id]
	x.enrolled[id] = fp
	_, blocked := x.blocks[id]
	if s := x.sessions[id]; s != nil && had && old != fp {
		x.presenceGone(s)
		s.end(wire.CodeUnenrolled, "a new certificate was enrolled for this device")
	}
	x.mu.Unlock()
	if blocked {
		if err := x.cfg.Store.DeleteBlock(string(id)); err != nil {
			return id, fmt.Errorf("exchange: enroll %s: lift block: %w", id, err)
		}
		x.mu.Lock()
		delete(x.blocks, id)
		x.mu.Unlock()
	}
	x.audit.record(store.Event{Kind: EventEnrolled, Device: string(id), Actor: actor, Reason: "certificate " + fp.String()})
	return id, nil
}

// PublishDirectory verifies a signed directory bundle and, if it is newer
// than the current one, stores it, pushes it to every connected handset and
// applies it: handsets it no longer lists are disconnected, calls it no
// longer allows are ended, and everyone gets fresh presence. Publishing the
// current bundle again changes nothing.
func (x *Exchange) PublishDirectory(raw []byte, actor string) (uint64, error) {
	if _, err := x.dirs.Offer(raw); err != nil {
		x.audit.refused("", publishCode(err), "directory refused: "+err.Error(), "")
		return 0, fmt.Errorf("exchange: publish directory: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	_, db, _, _ := x.current()
	x.audit.record(store.Event{Kind: EventDirectory, Actor: actor, Reason: fmt.Sprintf("version %d", db.Version)})
	x.enforce()
	for id, s := range x.sessions {
		if x.online(id) != nil {
			s.send(&wire.DirectoryPush{Bundle: db.Raw})
		}
	}
	x.presenceAll()
	return db.Version, nil
}

// PublishRevocations verifies a signed revocation list and, if newer,
// stores it and pushes it to every connected handset first (so the call
// layer of a revoked device's peer tears the call down on the signed list),
// then disconnects the revoked devices and ends their calls.
func (x *Exchange) PublishRevocations(raw []byte, actor string) (uint64, error) {
	if _, err := x.revs.Offer(raw); err != nil {
		x.audit.refused("", publishCode(err), "revocation list refused: "+err.Error(), "")
		return 0, fmt.Errorf("exchange: publish revocations: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	_, _, _, lb := x.current()
	x.audit.record(store.Event{Kind: EventRevocations, Actor: actor, Reason: fmt.Sprintf("version %d", lb.Version)})
	for id, s := range x.sessions {
		if x.online(id) != nil {
			s.send(&wire.RevocationPush{Bundle: lb.Raw})
		}
	}
	x.enforce()
	x.presenceAll()
	return lb.Version, nil
}

func publishCode(err error) string {
	switch {
	case errors.Is(err, trust.ErrRollback):
		return "rollback"
	case errors.Is(err, trust.ErrBadSignature):
		return "bad-signature"
	case errors.Is(err, trust.ErrMalformed):
		return wire.CodeMalformed
	}
	return codeOf(err)
}

// enforce re-judges every session and call after a bundle changed; x.mu is
// held.
func (x *Exchange) enforce() {
	for _, c := range x.calls {
		if err := x.allowed(c.caller, c.callee); err != nil {
			x.endCall(c, codeOf(err))
		}
	}
	for id, s := range x.sessions {
		if x.online(id) == nil {
			continue
		}
		err := x.standing(s)
		if err == nil {
			continue
		}
		code := codeOf(err)
		if code == wire.CodeRevoked {
			x.audit.record(store.Event{Kind: EventRevoked, Device: string(id), Reason: err.Error()})
		}
		x.endCallsOf(id, wire.CodePeerGone)
		x.presenceGone(s)
		s.end(code, err.Error())
	}
}

// QueueWipe verifies a technician's signed wipe order and queues it for its
// device; a connected handset gets it at once, others when they connect.
// The order must be signed by the technician submitting it.
func (x *Exchange) QueueWipe(raw []byte, technician *x509.Certificate, actor string) (*wire.WipeOrder, bool, error) {
	o, err := wire.ParseWipeOrder(raw)
	if err != nil {
		return nil, false, fmt.Errorf("exchange: wipe order: %w", err)
	}
	signer, err := o.Verify()
	if err != nil {
		x.audit.refused(o.Device, "bad-signature", "wipe order: "+err.Error(), "")
		return nil, false, fmt.Errorf("exchange: wipe order: %w", err)
	}
	if _, err := x.cfg.Verifier.Technician(signer); err != nil {
		x.audit.refused(o.Device, codeOf(err), "wipe order signer: "+err.Error(), "")
		return nil, false, fmt.Errorf("exchange: wipe order signer: %w", err)
	}
	if !signer.Equal(technician) {
		return nil, false, fmt.Errorf("%w (signed by %s)", ErrWrongTechnician, signer.Subject.CommonName)
	}
	id := trust.DeviceID(o.Device)
	x.mu.Lock()
	_, enrolled := x.enrolled[id]
	x.mu.Unlock()
	if !enrolled {
		return nil, false, fmt.Errorf("%w: %s", ErrNotEnrolled, id)
	}
	if err := x.cfg.Store.PutWipe(store.Wipe{Device: o.Device, Order: raw, Queued: x.clk.Now()}); err != nil {
		return nil, false, fmt.Errorf("exchange: queue wipe: %w", err)
	}
	x.audit.record(store.Event{Kind: EventWipeQueued, Device: o.Device, Actor: actor, Reason: "order " + o.ID.String()})
	x.mu.Lock()
	defer x.mu.Unlock()
	x.wipes[id] = o.ID
	s := x.sessions[id]
	if s == nil {
		return o, false, nil
	}
	// Deliver now and quarantine the session as attach would.
	x.endCallsOf(id, wire.CodePeerGone)
	x.presenceGone(s)
	s.wipePending = true
	s.send(&wire.Wipe{Order: raw})
	x.audit.record(store.Event{Kind: EventWipeDelivered, Device: o.Device, Reason: "order " + o.ID.String()})
	return o, true, nil
}

// RelayRefused records a refusal by the TURN relay in the audit log (wire
// it to relay.Config.Refused).
func (x *Exchange) RelayRefused(device, code, reason string) {
	x.audit.refused(device, code, reason, "turn")
}
