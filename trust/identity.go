package trust

import (
	"crypto"
	"crypto/x509"
)

// Identity is a handset's own key and certificate. The keystore implements
// it with a key sealed on flash; a secure element can implement it with a
// key that never leaves the chip. Code that signs or presents the device
// certificate (the link to the exchange, the DTLS certificate of a call)
// depends on this, not on the keystore.
type Identity interface {
	// Signer returns the device key; it fails while the key is unavailable
	// (a locked or wiped store).
	Signer() (crypto.Signer, error)
	// Certificate returns the current device certificate, or nil before enrollment.
	Certificate() (*x509.Certificate, error)
}
