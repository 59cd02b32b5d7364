package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"mehfooz/clock"
)

// MaxCertificateSize caps a DER certificate from the network; ours are about
// 600 bytes.
const MaxCertificateSize = 8 << 10

// Verifier checks certificates against the one enrollment CA, at the time
// its Clock gives (not the host's: a handset's clock comes from the network
// and tests move it). It is safe for concurrent use.
type Verifier struct {
	ca   *x509.Certificate
	pool *x509.CertPool
	clk  clock.Clock
	// floor is the newest signed time seen (Unix seconds): Now never
	// returns an earlier one.
	floor atomic.Int64
}

// NewVerifier returns a Verifier anchored at ca, which must pass CheckAnchor.
func NewVerifier(ca *x509.Certificate, clk clock.Clock) (*Verifier, error) {
	if err := CheckAnchor(ca); err != nil {
		return nil, fmt.Errorf("trust: new verifier: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &Verifier{ca: ca, pool: pool, clk: clk}, nil
}

// CheckAnchor reports whether ca can anchor a Verifier: a CA certificate
// (basicConstraints CA=TRUE) with an ECDSA P-384 key. Whoever accepts a CA
// certificate from a file (provisioning) checks it here first.
func CheckAnchor(ca *x509.Certificate) error {
	if ca == nil || !ca.IsCA || !ca.BasicConstraintsValid {
		return fmt.Errorf("%w: anchor is not a CA certificate", ErrWrongRole)
	}
	if !isP384(ca) {
		return fmt.Errorf("anchor: %w", ErrKeyType)
	}
	return nil
}

// CA returns the anchor certificate.
func (v *Verifier) CA() *x509.Certificate { return v.ca }

// Pool returns a pool holding only the anchor, for tls.Config.RootCAs and
// pion's SetDTLSRootCAs/SetDTLSClientCAs. Those check with the host clock;
// run Device on the peer certificate as well for the clock-aware verdict.
func (v *Verifier) Pool() *x509.CertPool { return v.pool }

// Now is the Verifier's notion of the current time: its clock, but never
// earlier than the newest signed time it has seen (Observe). A handset's
// clock comes from the network, and a fake base station can set it back
// (NITZ is not authenticated); without the floor that would make an expired
// certificate valid again.
func (v *Verifier) Now() time.Time {
	now := v.clk.Now()
	if f := v.floor.Load(); now.Unix() < f {
		return time.Unix(f, 0).UTC()
	}
	return now
}

// Observe raises the floor of Now to t, a time signed by a party we trust:
// the bundle holders call it with the issue time of each bundle they
// verify, so the floor survives a restart with the bundles on disk.
func (v *Verifier) Observe(t time.Time) {
	s := t.Unix()
	for {
		f := v.floor.Load()
		if s <= f || v.floor.CompareAndSwap(f, s) {
			return
		}
	}
}

// Device verifies a handset certificate now and returns its device ID.
func (v *Verifier) Device(leaf *x509.Certificate) (DeviceID, error) {
	if err := v.Verify(leaf, RoleDevice, v.Now()); err != nil {
		return "", err
	}
	return DeviceID(leaf.Subject.CommonName), nil
}

// DeviceRaw is Device for the raw certificates a TLS or DTLS peer sent (only
// the first, the leaf, is used: our chains are one level deep). Use it from
// tls.Config.VerifyPeerCertificate with ClientAuth RequireAnyClientCert, so
// the verdict uses this Verifier's clock and sentinels.
func (v *Verifier) DeviceRaw(rawCerts [][]byte) (DeviceID, *x509.Certificate, error) {
	leaf, err := ParseLeaf(rawCerts)
	if err != nil {
		return "", nil, err
	}
	id, err := v.Device(leaf)
	return id, leaf, err
}

// Technician verifies a technician certificate now and returns the name.
func (v *Verifier) Technician(leaf *x509.Certificate) (string, error) {
	if err := v.Verify(leaf, RoleTechnician, v.Now()); err != nil {
		return "", err
	}
	return leaf.Subject.CommonName, nil
}

// Exchange verifies the exchange's server certificate now (the handset's
// check, in addition to crypto/tls's host-name check, so that no other role
// of ours can stand in for the exchange).
func (v *Verifier) Exchange(leaf *x509.Certificate) error {
	return v.Verify(leaf, RoleExchange, v.Now())
}

// ParseLeaf parses the first of rawCerts with a size cap.
func ParseLeaf(rawCerts [][]byte) (*x509.Certificate, error) {
	if len(rawCerts) == 0 || len(rawCerts[0]) == 0 {
		return nil, ErrUnenrolled
	}
	if len(rawCerts[0]) > MaxCertificateSize {
		return nil, fmt.Errorf("%w: certificate of %d bytes", ErrUnenrolled, len(rawCerts[0]))
	}
	leaf, err := x509.ParseCertificate(rawCerts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnenrolled, err)
	}
	return leaf, nil
}

// Verify checks that leaf was issued by the CA for role and is valid at
// time at: chain, then validity, then key type, then usages, then role and
// subject. Each failure wraps one sentinel of this package.
func (v *Verifier) Verify(leaf *x509.Certificate, role Role, at time.Time) error {
	if leaf == nil {
		return ErrUnenrolled
	}
	// Check the chain at a time inside the leaf's validity, so a certificate
	// from another CA is reported as such even when it is also expired;
	// validity is judged below with our own clock and sentinels.
	t := at
	if t.Before(leaf.NotBefore) {
		t = leaf.NotBefore
	}
	if t.After(leaf.NotAfter) {
		t = leaf.NotAfter
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       v.pool,
		CurrentTime: t,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	var inv x509.CertificateInvalidError
	switch {
	case err == nil:
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		// The leaf is inside its validity at t, so the CA is not.
		if at.Before(v.ca.NotBefore) {
			return fmt.Errorf("%w: enrollment CA valid from %s", ErrNotYetValid, v.ca.NotBefore.UTC().Format(time.RFC3339))
		}
		return fmt.Errorf("%w: enrollment CA expired %s", ErrExpired, v.ca.NotAfter.UTC().Format(time.RFC3339))
	default:
		return fmt.Errorf("%w: %v", ErrWrongCA, err)
	}
	if at.Before(leaf.NotBefore) {
		return fmt.Errorf("%w: valid from %s, now %s", ErrNotYetValid, leaf.NotBefore.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if at.After(leaf.NotAfter) {
		return fmt.Errorf("%w: expired %s, now %s", ErrExpired, leaf.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if at.Before(v.ca.NotBefore) || at.After(v.ca.NotAfter) {
		return fmt.Errorf("%w: enrollment CA outside its validity", ErrExpired)
	}
	if !isP384(leaf) {
		return fmt.Errorf("%w: %v", ErrKeyType, leaf.PublicKeyAlgorithm)
	}
	if !role.Usage().matches(leaf) {
		return fmt.Errorf("%w: want those of role %s", ErrWrongEKU, role)
	}
	if leaf.IsCA || len(leaf.Subject.OrganizationalUnit) != 1 || Role(leaf.Subject.OrganizationalUnit[0]) != role {
		return fmt.Errorf("%w: want %s, have OU %q", ErrWrongRole, role, leaf.Subject.OrganizationalUnit)
	}
	switch role {
	case RoleDevice, RoleTechnician:
		if !validName(leaf.Subject.CommonName) {
			return fmt.Errorf("%w: subject CN %q", ErrBadDeviceID, leaf.Subject.CommonName)
		}
	}
	return nil
}

func isP384(c *x509.Certificate) bool {
	k, ok := c.PublicKey.(*ecdsa.PublicKey)
	return ok && k.Curve == elliptic.P384()
}

// RenewalDue reports whether a certificate has less than a third of its
// lifetime left at now, the point where the handset asks for a new one.
func RenewalDue(c *x509.Certificate, now time.Time) bool {
	life := c.NotAfter.Sub(c.NotBefore)
	return c.NotAfter.Sub(now) < life/3
}
