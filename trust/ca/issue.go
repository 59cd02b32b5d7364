package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"time"

	"mehfooz/trust"
	"mehfooz/trust/enroll"
)

// MaxValidity bounds any leaf lifetime (the CA/Browser limit, which we
// keep even in a closed system because it bounds the damage of a lost key).
const MaxValidity = 397 * 24 * time.Hour

// IssueDevice signs a handset certificate for a checked request: EKU
// serverAuth + clientAuth, OU device, CN the device ID. validity 0 means
// DeviceValidity.
func (a *Authority) IssueDevice(req *enroll.Request, validity time.Duration) (*x509.Certificate, error) {
	if req == nil {
		return nil, fmt.Errorf("ca: issue device: no request")
	}
	return a.issue(trust.RoleDevice, string(req.ID), req.PublicKey, nil, orDefault(validity, DeviceValidity))
}

// Renew issues a new certificate for the same device and the same key as
// current, which must itself still verify (not expired, from this CA). The
// request proves the handset still holds the key.
func (a *Authority) Renew(current *x509.Certificate, req *enroll.Request, validity time.Duration) (*x509.Certificate, error) {
	id, err := a.Verifier().Device(current)
	if err != nil {
		return nil, fmt.Errorf("ca: renew: current certificate: %w", err)
	}
	if req.ID != id || !req.PublicKey.Equal(current.PublicKey) {
		return nil, fmt.Errorf("ca: renew %s: request is for another device or key", id)
	}
	return a.IssueDevice(req, validity)
}

// IssueTechnician signs a technician's certificate: EKU clientAuth only, OU
// technician, CN the technician's name (device-ID form).
func (a *Authority) IssueTechnician(name string, pub crypto.PublicKey, validity time.Duration) (*x509.Certificate, error) {
	if !trust.ValidName(name) {
		return nil, fmt.Errorf("ca: issue technician: %w: %q", trust.ErrBadDeviceID, name)
	}
	return a.issue(trust.RoleTechnician, name, pub, nil, orDefault(validity, TechnicianValidity))
}

// IssueExchange signs the exchange's TLS server certificate for hosts (DNS
// names or IP addresses, as the handsets dial it).
func (a *Authority) IssueExchange(pub crypto.PublicKey, hosts []string, validity time.Duration) (*x509.Certificate, error) {
	if len(hosts) == 0 {
		return nil, fmt.Errorf("ca: issue exchange: no host names")
	}
	return a.issue(trust.RoleExchange, hosts[0], pub, hosts, orDefault(validity, ServiceValidity))
}

// IssuePublisher signs the certificate of the key that signs directory
// bundles and revocation lists (EKU documentSigning only).
func (a *Authority) IssuePublisher(name string, pub crypto.PublicKey, validity time.Duration) (*x509.Certificate, error) {
	return a.issue(trust.RolePublisher, name, pub, nil, orDefault(validity, ServiceValidity))
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (a *Authority) issue(role trust.Role, cn string, pub crypto.PublicKey, hosts []string, validity time.Duration) (*x509.Certificate, error) {
	if validity < 0 || validity > MaxValidity {
		return nil, fmt.Errorf("ca: issue %s %q: validity %v outside (0, %v]", role, cn, validity, MaxValidity)
	}
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P384() {
		return nil, fmt.Errorf("ca: issue %s %q: %w", role, cn, trust.ErrKeyType)
	}
	now := a.clk.Now()
	notAfter := now.Add(validity)
	if notAfter.After(a.cert.NotAfter) {
		notAfter = a.cert.NotAfter // never outlive the anchor
	}
	u := role.Usage()
	tpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn, OrganizationalUnit: []string{string(role)}, Organization: []string{"Mehfooz"}},
		NotBefore:             now.Add(-Backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           u.EKU,
		UnknownExtKeyUsage:    u.Unknown,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    x509.ECDSAWithSHA384,
		SubjectKeyId:          keyID(k),
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, a.cert, k, a.key)
	if err != nil {
		return nil, fmt.Errorf("ca: issue %s %q: %w", role, cn, err)
	}
	return x509.ParseCertificate(der)
}
