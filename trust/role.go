package trust

import (
	"crypto/x509"
	"encoding/asn1"
	"slices"
)

// Role is what a certificate from the enrollment CA is for. It is written as
// the subject OU and backed by the extended key usages, so a certificate of
// one role is refused where another is expected even if a check on one of
// the two markers were forgotten.
type Role string

const (
	// RoleDevice is a handset: TLS client to the exchange, and DTLS client or
	// server in a call, depending on offer/answer, so both serverAuth and
	// clientAuth (pion/dtls checks clientAuth on DTLS clients and serverAuth
	// on DTLS servers).
	RoleDevice Role = "device"
	// RoleTechnician is a person at the telecom corporation using the
	// exchange's technician API: TLS client only.
	RoleTechnician Role = "technician"
	// RoleExchange is the exchange's TLS server (signaling and TURN/TLS).
	RoleExchange Role = "exchange"
	// RolePublisher signs directory bundles and revocation lists; it never
	// speaks TLS, so its only usage is document signing.
	RolePublisher Role = "publisher"
)

// OIDDocumentSigning is id-kp-documentSigning (RFC 9336 §3.1), the extended
// key usage of the publisher role.
var OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// Usage is the exact set of extended key usages a role's certificate carries.
type Usage struct {
	EKU     []x509.ExtKeyUsage
	Unknown []asn1.ObjectIdentifier
}

// Usage returns the extended key usages a certificate of role r must carry,
// exactly (no more, no fewer).
func (r Role) Usage() Usage {
	switch r {
	case RoleDevice:
		return Usage{EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	case RoleTechnician:
		return Usage{EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	case RoleExchange:
		return Usage{EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	case RolePublisher:
		return Usage{Unknown: []asn1.ObjectIdentifier{OIDDocumentSigning}}
	}
	return Usage{}
}

// matches reports whether c carries exactly the usages of u.
func (u Usage) matches(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) != len(u.EKU) || len(c.UnknownExtKeyUsage) != len(u.Unknown) {
		return false
	}
	for _, e := range u.EKU {
		if !slices.Contains(c.ExtKeyUsage, e) {
			return false
		}
	}
	for _, o := range u.Unknown {
		if !slices.ContainsFunc(c.UnknownExtKeyUsage, o.Equal) {
			return false
		}
	}
	return true
}
