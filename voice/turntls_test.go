package voice

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"slices"
	"testing"
	"time"
)

// operatorTLS makes the TURN server's TLS certificate, for "localhost", from
// an operator CA of its own, and asks every client for an enrolled one.
func operatorTLS(t *testing.T, clientCAs *x509.CertPool) (*tls.Config, *x509.CertPool) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	caTpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "operator"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "turn"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
	}, pool
}

// TestCallOverTURNTLS: where UDP to the relay is blocked, the turns: URL
// carries the call, the handsets presenting their enrolled certificates and
// trusting only the operator's CA.
func TestCallOverTURNTLS(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	tlsCfg, opRoots := operatorTLS(t, w.ca.Pool)
	w.relay = newRelay(t, tlsCfg)
	tlsOnly := func(c *Config) {
		id := c.Identity.DeviceID
		c.TURN = func(context.Context, CallInfo) ([]ICEServer, error) { return w.relay.servers(id, w.relay.tlsURL), nil }
		c.TURNRoots = opRoots
	}
	alice, bob := w.handset(t, "alice", tlsOnly), w.handset(t, "bob", tlsOnly)
	connect(t, alice, bob)
	bob.awaitFrames(t, 10)
	alice.awaitFrames(t, 10)
	w.relay.mu.Lock()
	seen := slices.Clone(w.relay.tlsClients)
	w.relay.mu.Unlock()
	if !slices.Contains(seen, "alice") || !slices.Contains(seen, "bob") {
		t.Fatalf("TLS clients the relay authenticated: %v", seen)
	}
}

// TestTURNTLSRefusesUnknownRelay: a relay whose certificate does not chain to
// the operator CA the handset trusts gets no connection, so no relay
// candidate, and the call does not happen.
func TestTURNTLSRefusesUnknownRelay(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	tlsCfg, _ := operatorTLS(t, w.ca.Pool)
	_, otherRoots := operatorTLS(t, w.ca.Pool) // a different operator CA
	w.relay = newRelay(t, tlsCfg)
	wrongCA := func(c *Config) {
		id := c.Identity.DeviceID
		c.TURN = func(context.Context, CallInfo) ([]ICEServer, error) { return w.relay.servers(id, w.relay.tlsURL), nil }
		c.TURNRoots = otherRoots
		c.Timeouts.Gather = 2 * time.Second
	}
	alice := w.handset(t, "alice", wrongCA)
	w.handset(t, "bob")
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	s := alice.awaitPhase(t, PhaseEnded)
	if s.End.Kind != EndUnreachable && s.End.Kind != EndNetwork {
		t.Fatalf("ended with %s (%s)", s.End, s.End.Detail)
	}
	w.relay.mu.Lock()
	defer w.relay.mu.Unlock()
	if len(w.relay.tlsClients) != 0 {
		t.Fatalf("the relay authenticated %v", w.relay.tlsClients)
	}
}
