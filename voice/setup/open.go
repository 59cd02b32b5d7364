package setup

import (
	"crypto/ecdsa"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
	"slices"
	"sync"
	"time"

	"mehfooz/clock"
)

// Peers is what the handset's trust store says about other handsets. The
// daemon implements it over the enrollment CA, the signed directory, the
// revocation list and the contacts' pins.
type Peers interface {
	// Verify reports whether cert may speak for deviceID at now: it chains
	// to the enrollment CA, is valid, carries the right key usages, is the
	// certificate the directory whitelists for deviceID (and the one pinned
	// for the contact), and is not revoked.
	Verify(deviceID string, cert *x509.Certificate, now time.Time) error
	// MayCall reports whether the directory's policy lets caller call callee.
	MayCall(caller, callee string) error
	// Fingerprint is the SHA-256 of the certificate the directory whitelists
	// for deviceID.
	Fingerprint(deviceID string) ([FingerprintLen]byte, error)
}

// Signed is a message that passed every check, with what the call needs to
// go on: the sender's certificate and the digest of the body.
type Signed struct {
	Message
	Cert   *x509.Certificate
	Digest [RefLen]byte
}

// Freshness: a message more than MaxSkew away from our clock is stale, and a
// message's digest is remembered for twice that, so anything that could still
// pass the clock check is caught as a replay.
const (
	MaxSkew     = 2 * time.Minute
	replayKeep  = 2 * MaxSkew
	maxReplay   = 8192 // remembered digests; the oldest go first beyond this
	pruneOnSize = maxReplay / 2
)

// Receiver opens the setup messages addressed to one handset. It is safe for
// concurrent use.
type Receiver struct {
	id    Identity
	fp    [FingerprintLen]byte
	peers Peers
	clock clock.Clock

	mu   sync.Mutex
	seen map[[RefLen]byte]time.Time
}

// NewReceiver returns a Receiver for id.
func NewReceiver(id Identity, peers Peers, clk clock.Clock) *Receiver {
	return &Receiver{id: id, fp: Fingerprint(id.Cert), peers: peers, clock: clk, seen: map[[RefLen]byte]time.Time{}}
}

// Open checks a message in order of cost and returns it, or an error that
// wraps the sentinel of the first check that failed.
func (r *Receiver) Open(raw []byte) (*Signed, error) {
	e, err := decodeEnvelope(raw)
	if err != nil {
		return nil, err
	}
	m, err := decodeBody(e.body, true)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(e.cert)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	if err := checkKey(cert); err != nil {
		return nil, err
	}
	if fp := Fingerprint(cert); subtle.ConstantTimeCompare(fp[:], m.FromFP[:]) != 1 {
		return nil, fmt.Errorf("%w: body names another certificate than the one attached", ErrSignature)
	}
	if !ecdsa.VerifyASN1(cert.PublicKey.(*ecdsa.PublicKey), signedDigest(e.body), e.sig) {
		return nil, fmt.Errorf("%w: %s from %q", ErrSignature, m.Kind, m.From)
	}
	now := r.clock.Now()
	if err := r.peers.Verify(m.From, cert, now); err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrPeer, m.From, err)
	}
	if m.To != r.id.DeviceID || m.ToFP != r.fp {
		return nil, fmt.Errorf("%w: %s for %q", ErrRetargeted, m.Kind, m.To)
	}
	if d := now.Sub(m.Time); d > MaxSkew || d < -MaxSkew {
		return nil, fmt.Errorf("%w: %s sent at %s, now %s", ErrStale, m.Kind, m.Time.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if m.SDP != "" {
		if err := CheckSDPFingerprint(m.SDP, m.FromFP); err != nil {
			return nil, err
		}
	}
	digest := sha512.Sum384(e.body)
	if err := r.remember(digest, now); err != nil {
		return nil, fmt.Errorf("%w: %s from %q", err, m.Kind, m.From)
	}
	return &Signed{Message: *m, Cert: cert, Digest: digest}, nil
}

// remember records digest, or refuses it as a replay.
func (r *Receiver) remember(digest [RefLen]byte, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.seen[digest]; ok {
		return ErrReplay
	}
	if len(r.seen) >= maxReplay {
		r.prune(now)
	}
	r.seen[digest] = now
	return nil
}

// prune drops expired digests and, if that is not enough, the oldest ones.
func (r *Receiver) prune(now time.Time) {
	type entry struct {
		d  [RefLen]byte
		at time.Time
	}
	var left []entry
	for d, at := range r.seen {
		if now.Sub(at) > replayKeep {
			delete(r.seen, d)
		} else {
			left = append(left, entry{d, at})
		}
	}
	if len(left) <= pruneOnSize {
		return
	}
	slices.SortFunc(left, func(a, b entry) int { return a.at.Compare(b.at) })
	for _, e := range left[:len(left)-pruneOnSize] {
		delete(r.seen, e.d)
	}
}

// Peek decodes a message without verifying anything. Its fields are
// unauthenticated: use them only to address a refusal to the claimed sender.
func Peek(raw []byte) (*Message, [RefLen]byte, error) {
	e, err := decodeEnvelope(raw)
	if err != nil {
		return nil, [RefLen]byte{}, err
	}
	m, err := decodeBody(e.body, false)
	if err != nil {
		return nil, [RefLen]byte{}, err
	}
	return m, sha512.Sum384(e.body), nil
}
