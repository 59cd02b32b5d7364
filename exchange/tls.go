package exchange

import (
	"crypto/tls"
	"slices"
)

// HybridGroups are the key exchanges the exchange accepts by default: the
// hybrid post-quantum groups of Go's crypto/tls (draft-ietf-tls-ecdhe-mlkem),
// SecP384r1MLKEM1024 first (P-384 and ML-KEM-1024, the CNSA 2.0 pairing).
// Go picks among them in its own fixed order, preferring the group the
// client sent a key share for, so the handset decides which one is used by
// what it offers (package client offers SecP384r1MLKEM1024).
var HybridGroups = []tls.CurveID{tls.SecP384r1MLKEM1024, tls.X25519MLKEM768}

// classicalGroups are added only with Config.AllowClassical.
var classicalGroups = []tls.CurveID{tls.X25519, tls.CurveP384}

// IsHybrid reports whether g is a hybrid post-quantum group.
func IsHybrid(g tls.CurveID) bool {
	return g == tls.SecP384r1MLKEM1024 || g == tls.X25519MLKEM768 || g == tls.SecP256r1MLKEM768
}

// groups returns the accepted key exchanges.
func (x *Exchange) groups() []tls.CurveID {
	g := slices.Clone(HybridGroups)
	if x.cfg.AllowClassical {
		g = append(g, classicalGroups...)
	}
	return g
}

// HandsetTLS is the TLS configuration of the handset listener: TLS 1.3
// only, our certificate, a client certificate required but judged by admit
// (with the exchange's clock, the registry, the directory and the
// revocation list, and a reason sent back) rather than by crypto/tls, and no
// session tickets, so every connection runs a full hybrid key exchange and a
// fresh certificate check.
func (x *Exchange) HandsetTLS() *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		MaxVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{x.cfg.Certificate},
		ClientAuth:             tls.RequireAnyClientCert,
		CurvePreferences:       x.groups(),
		SessionTicketsDisabled: true,
	}
}

// TechnicianTLS is the TLS configuration of the technician API listener; the
// technician certificate is judged by the API handler.
func (x *Exchange) TechnicianTLS() *tls.Config {
	c := x.HandsetTLS()
	c.NextProtos = []string{"http/1.1"}
	return c
}

// RelayTLS is the configuration of the TURN/TLS listener: like the handset
// listener, but the certificate is judged during the handshake (pion's TURN
// server has no way to send a reason), with the same admission rules.
func (x *Exchange) RelayTLS() *tls.Config {
	c := x.HandsetTLS()
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		_, err := x.Identify(&cs)
		return err
	}
	return c
}
