// Package testpki builds the certificates the voice tests need: an enrollment
// CA, enrolled handsets whose keys are reachable only as crypto.Signer, a
// rogue CA, and a hand-written directory that verifies chains, the whitelist
// and revocation the way the trust store does.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// CA is an enrollment CA.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	Pool *x509.CertPool
}

var serial atomic.Int64

// NewCA makes a P-384 CA named name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, Key: key, Pool: pool}
}

// Device is an enrolled handset.
type Device struct {
	ID   string
	Cert *x509.Certificate
	Key  crypto.Signer // only Public and Sign: the private key is not reachable
}

// Device enrolls a handset: P-384 key, EKU serverAuth and clientAuth, the
// device ID as common name.
func (ca *CA) Device(t testing.TB, id string) Device {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: id},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(12 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return Device{ID: id, Cert: cert, Key: opaque{key}}
}

// opaque hides the private key behind crypto.Signer, as a keystore does.
type opaque struct{ k *ecdsa.PrivateKey }

func (o opaque) Public() crypto.PublicKey { return o.k.Public() }
func (o opaque) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.k.Sign(r, digest, opts)
}

// Errors of Directory, standing in for the trust store's sentinels.
var (
	ErrChain     = errors.New("testpki: certificate does not chain to the enrollment CA")
	ErrUnlisted  = errors.New("testpki: device not in the directory")
	ErrNotListed = errors.New("testpki: certificate is not the one the directory whitelists")
	ErrRevoked   = errors.New("testpki: device revoked")
	ErrPolicy    = errors.New("testpki: the policy does not allow this call")
)

// Directory is a whitelist over one enrollment CA.
type Directory struct {
	roots *x509.CertPool
	mu    sync.Mutex
	fps   map[string][32]byte
	revs  map[string]bool
	deny  map[[2]string]bool
}

// NewDirectory trusts roots and lists nobody yet.
func NewDirectory(roots *x509.CertPool) *Directory {
	return &Directory{roots: roots, fps: map[string][32]byte{}, revs: map[string]bool{}, deny: map[[2]string]bool{}}
}

// Add whitelists d.
func (dir *Directory) Add(ds ...Device) *Directory {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	for _, d := range ds {
		dir.fps[d.ID] = sha256.Sum256(d.Cert.Raw)
	}
	return dir
}

// Revoke marks id revoked.
func (dir *Directory) Revoke(id string) {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	dir.revs[id] = true
}

// Verify implements setup.Peers.
func (dir *Directory) Verify(id string, cert *x509.Certificate, now time.Time) error {
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:       dir.roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return fmt.Errorf("%w: %v", ErrChain, err)
	}
	// x509 accepts a chain that allows any one of KeyUsages; a handset needs both.
	for _, want := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if !slices.Contains(cert.ExtKeyUsage, want) {
			return fmt.Errorf("%w: extended key usage %v missing", ErrChain, want)
		}
	}
	dir.mu.Lock()
	defer dir.mu.Unlock()
	fp, ok := dir.fps[id]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnlisted, id)
	}
	if fp != sha256.Sum256(cert.Raw) {
		return fmt.Errorf("%w: %q", ErrNotListed, id)
	}
	if dir.revs[id] {
		return fmt.Errorf("%w: %q", ErrRevoked, id)
	}
	return nil
}

// Forbid makes the policy refuse calls from caller to callee.
func (dir *Directory) Forbid(caller, callee string) {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	dir.deny[[2]string{caller, callee}] = true
}

// MayCall implements setup.Peers.
func (dir *Directory) MayCall(caller, callee string) error {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	if dir.deny[[2]string{caller, callee}] {
		return fmt.Errorf("%w: %q to %q", ErrPolicy, caller, callee)
	}
	return nil
}

// Fingerprint implements setup.Peers.
func (dir *Directory) Fingerprint(id string) ([32]byte, error) {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	fp, ok := dir.fps[id]
	if !ok {
		return fp, fmt.Errorf("%w: %q", ErrUnlisted, id)
	}
	return fp, nil
}
