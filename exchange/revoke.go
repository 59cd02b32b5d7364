package exchange

import (
	"errors"
	"fmt"
	"slices"

	"mehfooz/exchange/store"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
	"mehfooz/trust/revocation"
)

// selfRevoke handles a handset asking to be revoked (a duress PIN, too many
// wrong PINs): its request is signed with its own device key, so only the
// device itself can ask. The exchange blocks it at once, on its own
// authority and durably, cuts its calls and its connection, and records the
// event; a technician then publishes a signed revocation list naming it, so
// every handset learns of it too.
func (x *Exchange) selfRevoke(s *session, seq uint64, raw []byte) {
	var reason string
	q, err := revocation.ParseRequest(raw)
	if err == nil {
		err = q.Verify(s.cert.PublicKey)
	}
	if err == nil && q.ID != s.id {
		err = fmt.Errorf("%w: request names %s, connection is %s", trust.ErrBadSignature, q.ID, s.id)
	}
	if err == nil {
		reason = q.Reason
	}
	if err != nil {
		x.audit.refused(string(s.id), wire.CodeMalformed, "self-revocation request: "+err.Error(), "")
		s.send(&wire.Error{Re: seq, Code: wire.CodeMalformed, Reason: err.Error()})
		return
	}
	if err := x.block(s.id, "self-revoked: "+reason); err != nil {
		x.log.Error("block after self-revocation failed", "device", s.id, "err", err)
		s.send(&wire.Error{Re: seq, Code: wire.CodeInternal, Reason: "could not record the revocation; retry"})
		return
	}
	x.audit.record(store.Event{Kind: EventSelfRevoked, Device: string(s.id), Code: reason, Reason: "handset asked to be revoked"})
	x.signRevocation(s.id, reason)
}

// signRevocation publishes a revocation list naming id, signed with the
// exchange's publisher key, if it has one; otherwise the block stands until
// a technician publishes one (fleet status shows it).
func (x *Exchange) signRevocation(id trust.DeviceID, reason string) {
	p := x.cfg.Publisher
	if p == nil {
		return
	}
	for range 3 { // a technician may publish at the same moment: retry on top of theirs
		cur, _ := x.revs.Current()
		now := x.clk.Now()
		next := cur.With(revocation.Entry{ID: id, Revoked: now, Reason: reason})
		// Never date a list before the one held (a technician whose clock
		// runs ahead published it): holders refuse a backdated list.
		next.IssuedAt = now
		if cur != nil && cur.IssuedAt.After(now) {
			next.IssuedAt = cur.IssuedAt
		}
		next.Expires = now.Add(p.Validity)
		if cur != nil && cur.Expires.After(next.Expires) {
			next.Expires = cur.Expires
		}
		raw, err := revocation.Sign(next, p.Key, p.Cert)
		if err != nil {
			x.log.Error("sign revocation list", "device", id, "err", err)
			return
		}
		_, err = x.PublishRevocations(raw, "exchange")
		if err == nil {
			return
		}
		if !errors.Is(err, trust.ErrRollback) {
			x.log.Error("publish revocation list", "device", id, "err", err)
			return
		}
	}
	x.log.Error("publish revocation list: gave up after three rollbacks", "device", id)
}

// block records a block durably and applies it: the device's calls end, its
// connection closes with "revoked", its watchers see it go offline.
func (x *Exchange) block(id trust.DeviceID, reason string) error {
	if err := x.cfg.Store.PutBlock(store.Block{ID: string(id), Reason: reason, At: x.clk.Now()}); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.blocks[id] = reason
	x.endCallsOf(id, wire.CodePeerGone)
	if s := x.sessions[id]; s != nil {
		x.presenceGone(s)
		s.end(wire.CodeRevoked, "device revoked: "+reason)
	}
	return nil
}

// wipeAck handles a handset confirming its wipe order: the order is done,
// and the device is blocked, since its keys are gone and a new enrollment
// is needed to bring it back.
func (x *Exchange) wipeAck(s *session, seq uint64, order wire.OrderID) {
	x.mu.Lock()
	want, ok := x.wipes[s.id]
	x.mu.Unlock()
	if !ok || want != order {
		x.audit.refused(string(s.id), wire.CodeMalformed, "acknowledged wipe order "+order.String()+" that is not pending", "")
		s.send(&wire.Error{Re: seq, Code: wire.CodeMalformed, Reason: "no such wipe order pending"})
		return
	}
	if err := x.cfg.Store.DeleteWipe(string(s.id)); err != nil {
		x.log.Error("drop acknowledged wipe order", "device", s.id, "err", err)
	}
	x.mu.Lock()
	delete(x.wipes, s.id)
	x.mu.Unlock()
	x.audit.record(store.Event{Kind: EventWipeAcked, Device: string(s.id), Reason: "order " + order.String()})
	if err := x.block(s.id, "wiped"); err != nil {
		x.log.Error("block after wipe failed", "device", s.id, "err", err)
	}
	x.signRevocation(s.id, revocation.ReasonRemoteWipe)
}

// Errors of the technician operations.
var (
	// ErrNotEnrolled: the operation names a device not enrolled here.
	ErrNotEnrolled = errors.New("exchange: device not enrolled")
	// ErrWrongTechnician: a wipe order signed by someone else than the
	// technician submitting it.
	ErrWrongTechnician = errors.New("exchange: wipe order not signed by the submitting technician")
)

// refreshRevocations re-signs the current revocation list, unchanged but
// for a later expiry, when it is within a seventh of its validity of
// expiring: handsets refuse calls on a stale list, and an exchange with the
// publisher key keeps it fresh on its own. Without the key, technicians run
// phonectl revoke --refresh.
func (x *Exchange) refreshRevocations() {
	p := x.cfg.Publisher
	if p == nil {
		return
	}
	cur, _ := x.revs.Current()
	now := x.clk.Now()
	if cur == nil || cur.Expires.Sub(now) > p.Validity/7 {
		return
	}
	next := *cur
	next.Entries = slices.Clone(cur.Entries)
	next.Version++
	next.IssuedAt, next.Expires = now, now.Add(p.Validity)
	raw, err := revocation.Sign(&next, p.Key, p.Cert)
	if err == nil {
		_, err = x.PublishRevocations(raw, "exchange")
	}
	if err != nil && !errors.Is(err, trust.ErrRollback) {
		x.log.Error("refresh revocation list", "err", err)
	}
}
