package wire

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// CallID names one call, chosen at random by the caller. The exchange
// refuses an invite whose call ID it has already seen.
type CallID [16]byte

// NewCallID returns a random call ID.
func NewCallID() CallID {
	var c CallID
	rand.Read(c[:]) // crypto/rand.Read never fails (Go 1.24+)
	return c
}

// IsZero reports whether c is the zero ID, which no call uses.
func (c CallID) IsZero() bool { return c == CallID{} }

func (c CallID) String() string { return hex.EncodeToString(c[:]) }

// RouteKind says what a routed envelope is. Values are fixed by the protocol.
type RouteKind uint8

// The routed call messages. Only Invite opens a call; the exchange lets the
// rest through only between the two parties of an open call.
const (
	Invite        RouteKind = 1
	Ringing       RouteKind = 2
	Answer        RouteKind = 3
	Decline       RouteKind = 4
	Busy          RouteKind = 5
	Candidate     RouteKind = 6
	Hangup        RouteKind = 7
	RestartOffer  RouteKind = 8
	RestartAnswer RouteKind = 9
	// Reveal carries the caller's SAS nonce, committed to in its invite,
	// once the media path is up.
	Reveal RouteKind = 10
	// Hold puts the call on hold or takes it off, either way.
	Hold RouteKind = 11
	// Refuse ends the call because a security check failed at the sender.
	Refuse RouteKind = 12
)

var routeNames = map[RouteKind]string{
	Invite: "invite", Ringing: "ringing", Answer: "answer", Decline: "decline", Busy: "busy",
	Candidate: "candidate", Hangup: "hangup", RestartOffer: "restart-offer", RestartAnswer: "restart-answer",
	Reveal: "reveal", Hold: "hold", Refuse: "refuse",
}

func (k RouteKind) String() string {
	if s, ok := routeNames[k]; ok {
		return s
	}
	return fmt.Sprintf("route(%d)", uint8(k))
}

// Valid reports whether k is a known route kind.
func (k RouteKind) Valid() bool { _, ok := routeNames[k]; return ok }

// Envelope is a routed call message. Body is opaque to the exchange: the
// sending handset signs it and the receiving handset verifies it.
type Envelope struct {
	Kind RouteKind
	Call CallID
	// From is the sender's device ID. The exchange sets it from the TLS
	// identity; a handset leaves it empty.
	From string
	// To is the receiving device ID.
	To   string
	Body []byte
}

func (v *Envelope) encode(e *encoder) {
	e.u8(uint8(v.Kind))
	e.fixed(v.Call[:])
	e.str(v.From)
	e.str(v.To)
	e.bytes32(v.Body)
}

// decode reads an envelope; fromRequired says whether From must be set
// (exchange to handset) or must be empty (handset to exchange).
func (v *Envelope) decode(d *decoder, fromRequired bool) {
	v.Kind = RouteKind(d.u8("route kind"))
	if d.err == nil && !v.Kind.Valid() {
		d.fail("route kind %d", uint8(v.Kind))
	}
	v.Call = d.call("call ID")
	if fromRequired {
		v.From = d.id("from")
	} else {
		v.From = d.optionalID("from")
		if d.err == nil && v.From != "" {
			d.err = ErrFromSet
		}
	}
	v.To = d.id("to")
	v.Body = d.bytes32("body", MaxBody)
}
