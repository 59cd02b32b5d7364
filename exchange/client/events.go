package client

import (
	"crypto/tls"
	"time"

	"mehfooz/exchange/wire"
)

// Event is one thing the exchange told the handset, or a change of the
// connection. The concrete types are below; switch on them.
type Event interface{ event() }

// Connected: the exchange admitted the handset.
type Connected struct {
	Device string
	// Group is the negotiated key exchange (tls.SecP384r1MLKEM1024 by default).
	Group tls.CurveID
	// ExchangeTime is the exchange's clock at admission: an authenticated
	// time source for a handset whose network time cannot be trusted.
	ExchangeTime time.Time
	// Directory and Revocations are the versions the exchange holds; newer
	// ones than the handset's follow as DirectoryUpdate and RevocationUpdate.
	Directory, Revocations uint64
}

// Disconnected: the connection ended or could not be made. Err says why (a
// *Refusal if the exchange refused the device); Retry is the delay before
// the next attempt (0 when Run stops).
type Disconnected struct {
	Err   error
	Retry time.Duration
}

// Routed: a call message from another handset; From is the sender's
// identity as the exchange authenticated it. The body is the sender's
// signed call message: verify it before acting.
type Routed struct{ wire.Envelope }

// PresenceUpdate: which contacts are online. Full lists every online
// contact (all others are offline); otherwise it lists changes.
type PresenceUpdate struct {
	Full    bool
	Online  []string
	Offline []string
}

// DirectoryUpdate: a signed directory bundle, newer than the version the
// handset reported. Offer it to the trust holder, which verifies it.
type DirectoryUpdate struct{ Bundle []byte }

// RevocationUpdate: a signed revocation list. Offer it to the trust holder;
// the call layer tears down a call with a device it revokes.
type RevocationUpdate struct{ Bundle []byte }

// WipeOrdered: a technician's wipe order for this device whose signature
// and signer the client verified. Acknowledge it with AckWipe, then wipe.
type WipeOrdered struct {
	Order *wire.WipeOrder
	// Technician names the signer.
	Technician string
}

// CallEnded: the exchange closed a call (the peer was revoked, the call
// timed out); tear it down.
type CallEnded struct {
	Call wire.CallID
	Code string
}

// Refused: the exchange refused a frame this handset sent (e.g. an invite
// to a device the policy does not allow, or to one that is offline).
type Refused struct{ Refusal }

func (*Connected) event()        {}
func (*Disconnected) event()     {}
func (*Routed) event()           {}
func (*PresenceUpdate) event()   {}
func (*DirectoryUpdate) event()  {}
func (*RevocationUpdate) event() {}
func (*WipeOrdered) event()      {}
func (*CallEnded) event()        {}
func (*Refused) event()          {}
