package exchange

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"mehfooz/exchange/wire"
	"mehfooz/trust"
)

// refusal is a decision to refuse, with the code the peer is told.
type refusal struct {
	code string
	err  error
}

func (r *refusal) Error() string { return r.code + ": " + r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func refuse(code string, format string, args ...any) *refusal {
	return &refusal{code: code, err: fmt.Errorf(format, args...)}
}

// codeOf maps a trust-layer rejection to the code a handset is told.
func codeOf(err error) string {
	var r *refusal
	if errors.As(err, &r) {
		return r.code
	}
	for _, m := range []struct {
		err  error
		code string
	}{
		{trust.ErrUnenrolled, wire.CodeUnenrolled},
		{trust.ErrWrongCA, wire.CodeWrongCA},
		{trust.ErrExpired, wire.CodeExpired},
		{trust.ErrNotYetValid, wire.CodeNotYetValid},
		{trust.ErrWrongEKU, wire.CodeWrongEKU},
		{trust.ErrWrongRole, wire.CodeWrongRole},
		{trust.ErrKeyType, wire.CodeKeyType},
		{trust.ErrBadDeviceID, wire.CodeBadDeviceID},
		{trust.ErrRevoked, wire.CodeRevoked},
		{trust.ErrNotInDirectory, wire.CodeNotInDirectory},
		{trust.ErrFingerprintMismatch, wire.CodeFingerprintMismatch},
		{trust.ErrPolicyForbids, wire.CodeNotAllowed},
		{trust.ErrNoDirectory, wire.CodeNoDirectory},
		{trust.ErrNoRevocationList, wire.CodeNoRevocations},
		{trust.ErrStaleRevocation, wire.CodeStaleRevocations},
	} {
		if errors.Is(err, m.err) {
			return m.code
		}
	}
	return wire.CodeInternal
}

// admit decides whether the TLS peer may use the exchange: a device
// certificate from the enrollment CA, valid now, not revoked, listed in the
// directory with this certificate, registered here with it, and not
// blocked. Every refusal wraps a trust sentinel or is a refusal with its
// code.
func (x *Exchange) admit(cs *tls.ConnectionState) (trust.DeviceID, *x509.Certificate, error) {
	if cs.Version != tls.VersionTLS13 {
		return "", nil, refuse(wire.CodeMalformed, "TLS version %#x, want 1.3", cs.Version)
	}
	if !x.cfg.AllowClassical && !IsHybrid(cs.CurveID) {
		return "", nil, refuse(wire.CodeMalformed, "key exchange %v is not hybrid post-quantum", cs.CurveID)
	}
	raw := make([][]byte, len(cs.PeerCertificates))
	for i, c := range cs.PeerCertificates {
		raw[i] = c.Raw
	}
	// First the decision a handset makes about a peer (trust's Gate): the
	// certificate (CA, validity, usages, key, device ID), the revocation
	// list, the directory entry for this very certificate. It checks the
	// certificate before anything else, so its reasons come first.
	entry, leaf, err := x.gate.AdmitRaw(raw)
	if err != nil {
		var claimed trust.DeviceID
		if leaf != nil && trust.ValidName(leaf.Subject.CommonName) {
			claimed = trust.DeviceID(leaf.Subject.CommonName) // unverified: for the audit log only
		}
		return claimed, nil, err
	}
	// Then the exchange's own records: registered here with this
	// certificate, not blocked.
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.registered(entry.ID, trust.FingerprintOf(leaf.Raw)); err != nil {
		return entry.ID, leaf, err
	}
	return entry.ID, leaf, nil
}

// registered checks the exchange's own records: the device is enrolled
// here with this certificate and not blocked; x.mu is held.
func (x *Exchange) registered(id trust.DeviceID, fp trust.Fingerprint) error {
	enrolled, ok := x.enrolled[id]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s is not enrolled at this exchange", trust.ErrUnenrolled, id)
	case enrolled != fp:
		return fmt.Errorf("%w: %s presented certificate %s, enrolled %s", trust.ErrUnenrolled, id, fp, enrolled)
	}
	if reason, ok := x.blocks[id]; ok {
		return fmt.Errorf("%w: %s blocked at the exchange (%s)", trust.ErrRevoked, id, reason)
	}
	return nil
}

// standing re-judges an admitted session after a bundle changed: its
// records, the revocation list and the directory, without the chain (which
// cannot change); x.mu is held.
func (x *Exchange) standing(s *session) error {
	if err := x.registered(s.id, trust.FingerprintOf(s.cert.Raw)); err != nil {
		return err
	}
	if now := x.clk.Now(); now.After(s.cert.NotAfter) {
		return fmt.Errorf("%w: certificate of %s expired %s", trust.ErrExpired, s.id, s.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	d, _, l, _ := x.current()
	if d == nil {
		return trust.ErrNoDirectory
	}
	if err := l.Check(s.id, x.clk.Now()); err != nil {
		return err
	}
	_, err := d.Check(s.id, trust.FingerprintOf(s.cert.Raw))
	return err
}

// Identify admits a TLS peer the way the handset listener does and returns
// its device ID. The TURN/TLS listener uses it.
func (x *Exchange) Identify(cs *tls.ConnectionState) (string, error) {
	id, _, err := x.admit(cs)
	if err != nil {
		x.audit.refused(string(id), codeOf(err), err.Error(), "turn")
		return "", err
	}
	return string(id), nil
}
