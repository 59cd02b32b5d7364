// Package ca is the enrollment CA: an ECDSA P-384 key that signs with
// SHA-384 (CNSA 1.0, RFC 8603) and issues every certificate in the system:
// handsets, technicians, the exchange and the directory/revocation publisher.
// Its private key exists in clear only in memory; on disk it is sealed under
// a passphrase (package seal).
package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"mehfooz/atomicfile"
	"mehfooz/clock"
	"mehfooz/trust"
	"mehfooz/trust/seal"
)

// Default lifetimes. Handset certificates are short so a lost handset that
// escapes revocation stops working on its own; renewal keeps the key.
const (
	CAValidity         = 10 * 365 * 24 * time.Hour
	DeviceValidity     = 30 * 24 * time.Hour
	TechnicianValidity = 90 * 24 * time.Hour
	ServiceValidity    = 365 * 24 * time.Hour // exchange and publisher
	// Backdate is subtracted from NotBefore so a handset whose clock runs a
	// little behind accepts a certificate issued a moment ago.
	Backdate = 10 * time.Minute
)

// Files written by Create in the CA directory.
const (
	CertFile = "ca.pem"
	KeyFile  = "ca.key.sealed"
)

// ErrExists: Create refuses to overwrite an existing CA.
var ErrExists = errors.New("ca: a CA already exists there")

// Authority holds the CA certificate and its private key.
type Authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	clk  clock.Clock
}

// New generates a CA key and a self-signed CA certificate named name.
func New(clk clock.Clock, name string, validity time.Duration) (*Authority, error) {
	if validity <= 0 {
		validity = CAValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: new: %w", err)
	}
	now := clk.Now()
	tpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Mehfooz"}},
		NotBefore:             now.Add(-Backdate),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true, // leaves only: no intermediate can be minted under it
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SignatureAlgorithm:    x509.ECDSAWithSHA384,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("ca: new: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: new: %w", err)
	}
	return &Authority{cert: cert, key: key, clk: clk}, nil
}

// Certificate returns the CA certificate, the trust anchor every party holds.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// Verifier returns a trust.Verifier anchored at this CA.
func (a *Authority) Verifier() *trust.Verifier {
	v, err := trust.NewVerifier(a.cert, a.clk)
	if err != nil {
		panic(err) // New and Load only make P-384 CA certificates
	}
	return v
}

// SealKey returns the CA private key as PKCS#8 sealed under passphrase.
func (a *Authority) SealKey(passphrase []byte, p seal.Params) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(a.key)
	if err != nil {
		return nil, fmt.Errorf("ca: seal key: %w", err)
	}
	defer clear(der)
	return seal.Seal(passphrase, der, p)
}

// Load rebuilds an Authority from its PEM certificate and sealed key. A wrong
// passphrase returns an error wrapping seal.ErrWrongPassphrase.
func Load(certPEM, sealedKey, passphrase []byte, clk clock.Clock) (*Authority, error) {
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("ca: load: %w", err)
	}
	der, err := seal.Open(passphrase, sealedKey)
	if err != nil {
		return nil, fmt.Errorf("ca: load key: %w", err)
	}
	defer clear(der)
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("ca: load key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P384() || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("ca: load: key does not match certificate %s", cert.Subject.CommonName)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("ca: load: %s is not a CA certificate", cert.Subject.CommonName)
	}
	return &Authority{cert: cert, key: key, clk: clk}, nil
}

// Create makes a new CA in dir (created if needed) and writes CertFile and
// KeyFile atomically. It refuses to replace an existing CA.
func Create(dir string, name string, passphrase []byte, p seal.Params, clk clock.Clock) (*Authority, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("ca: create: empty passphrase")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ca: create: %w", err)
	}
	for _, f := range []string{CertFile, KeyFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("ca: create in %s: %w", dir, ErrExists)
		}
	}
	a, err := New(clk, name, CAValidity)
	if err != nil {
		return nil, err
	}
	sealed, err := a.SealKey(passphrase, p)
	if err != nil {
		return nil, err
	}
	// Key first: a CA certificate without its key is useless, a key without
	// its certificate is caught by Open and by the next Create.
	if err := atomicfile.WriteFile(filepath.Join(dir, KeyFile), sealed, 0o600); err != nil {
		return nil, fmt.Errorf("ca: create: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CertFile), EncodeCertificatePEM(a.cert), 0o644); err != nil {
		return nil, fmt.Errorf("ca: create: %w", err)
	}
	return a, nil
}

// Open loads the CA written by Create in dir.
func Open(dir string, passphrase []byte, clk clock.Clock) (*Authority, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		return nil, fmt.Errorf("ca: open: %w", err)
	}
	sealed, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("ca: open: %w", err)
	}
	return Load(certPEM, sealed, passphrase, clk)
}

// EncodeCertificatePEM encodes c as a PEM CERTIFICATE block.
func EncodeCertificatePEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// ParseCertificatePEM parses the first CERTIFICATE block of b.
func ParseCertificatePEM(b []byte) (*x509.Certificate, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%w: no PEM CERTIFICATE block", trust.ErrMalformed)
		}
		if blk.Type == "CERTIFICATE" {
			if len(blk.Bytes) > trust.MaxCertificateSize {
				return nil, fmt.Errorf("%w: certificate of %d bytes", trust.ErrMalformed, len(blk.Bytes))
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", trust.ErrMalformed, err)
			}
			return c, nil
		}
	}
}

// NewKey generates an ECDSA P-384 key for a technician, the exchange or the
// publisher (handsets generate theirs in their keystore).
func NewKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
}

// EncodeKeyPEM encodes a private key as PKCS#8 PEM.
func EncodeKeyPEM(k crypto.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKeyPEM parses a PKCS#8 PEM ECDSA P-384 private key.
func ParseKeyPEM(b []byte) (*ecdsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: no PEM PRIVATE KEY block", trust.ErrMalformed)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	clear(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", trust.ErrMalformed, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P384() {
		return nil, trust.ErrKeyType
	}
	return key, nil
}

func serial() *big.Int {
	// 128 random bits, positive (RFC 5280 §4.1.2.2 allows up to 20 octets).
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n.Add(n, big.NewInt(1))
}

func keyID(pub *ecdsa.PublicKey) []byte {
	b, _ := x509.MarshalPKIXPublicKey(pub)
	h := sha256.Sum256(b)
	return h[:20]
}
