package daemon

import (
	"crypto/x509"
	"fmt"
	"time"

	"mehfooz/trust"
	"mehfooz/voice/setup"
)

// errPinMismatch is what a contact's unexpected key change wraps.
var errPinMismatch = trust.ErrPinMismatch

func trustID(s string) trust.DeviceID { return trust.DeviceID(s) }

// peerChecks is the trust store's view of other handsets for the call
// layer (voice.Peers): the enrollment CA, the signed directory, the
// revocation list and the contact's pinned key, all at the instant asked.
type peerChecks struct{ l *link }

var _ setup.Peers = (*peerChecks)(nil)

func (p *peerChecks) Verify(deviceID string, cert *x509.Certificate, now time.Time) error {
	e, err := p.l.gate.AdmitAt(cert, now)
	if err != nil {
		return err
	}
	if string(e.ID) != deviceID {
		return fmt.Errorf("%w: certificate of %s presented for %s", trust.ErrFingerprintMismatch, e.ID, deviceID)
	}
	d, _ := p.l.dir.Current()
	if _, err := p.l.pins.Check(e.ID, cert, d, now); err != nil {
		return err
	}
	return nil
}

func (p *peerChecks) MayCall(caller, callee string) error {
	return p.l.gate.MayCall(trust.DeviceID(caller), trust.DeviceID(callee))
}

func (p *peerChecks) Fingerprint(deviceID string) ([setup.FingerprintLen]byte, error) {
	d, _ := p.l.dir.Current()
	if d == nil {
		return [setup.FingerprintLen]byte{}, trust.ErrNoDirectory
	}
	e, ok := d.Lookup(trust.DeviceID(deviceID))
	if !ok {
		return [setup.FingerprintLen]byte{}, fmt.Errorf("%w: %s", trust.ErrNotInDirectory, deviceID)
	}
	return e.Fingerprint, nil
}
