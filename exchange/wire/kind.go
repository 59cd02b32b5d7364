package wire

import "fmt"

// Kind says which message a frame carries. The values are fixed by the
// protocol (never renumber): the high bit is set on kinds the exchange sends.
type Kind uint8

// Kinds a handset sends.
const (
	KindHello       Kind = 0x01
	KindPing        Kind = 0x02
	KindRoute       Kind = 0x03
	KindTURNRequest Kind = 0x04
	KindSelfRevoke  Kind = 0x05
	KindWipeAck     Kind = 0x06
)

// Kinds the exchange sends.
const (
	KindWelcome        Kind = 0x81
	KindPong           Kind = 0x82
	KindRouted         Kind = 0x83
	KindTURNGrant      Kind = 0x84
	KindPresence       Kind = 0x85
	KindDirectoryPush  Kind = 0x86
	KindRevocationPush Kind = 0x87
	KindWipe           Kind = 0x88
	KindError          Kind = 0x89
	KindCallEnded      Kind = 0x8a
)

var kindNames = map[Kind]string{
	KindHello: "hello", KindPing: "ping", KindRoute: "route", KindTURNRequest: "turn-request",
	KindSelfRevoke: "self-revoke", KindWipeAck: "wipe-ack",
	KindWelcome: "welcome", KindPong: "pong", KindRouted: "routed", KindTURNGrant: "turn-grant",
	KindPresence: "presence", KindDirectoryPush: "directory", KindRevocationPush: "revocations",
	KindWipe: "wipe", KindError: "error", KindCallEnded: "call-ended",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%#x)", uint8(k))
}

// FromExchange reports whether the exchange sends this kind.
func (k Kind) FromExchange() bool { return k&0x80 != 0 }

// Dir is the direction a Reader decodes.
type Dir uint8

const (
	// FromHandset is what the exchange reads.
	FromHandset Dir = 1
	// FromExchange is what a handset reads.
	FromExchange Dir = 2
)

func (d Dir) String() string {
	switch d {
	case FromHandset:
		return "handset->exchange"
	case FromExchange:
		return "exchange->handset"
	}
	return fmt.Sprintf("dir(%d)", uint8(d))
}

// Max is the frame cap for the direction.
func (d Dir) Max() int {
	if d == FromExchange {
		return MaxExchangeFrame
	}
	return MaxHandsetFrame
}

// newMessage returns an empty message of kind k.
func newMessage(k Kind) Message {
	switch k {
	case KindHello:
		return &Hello{}
	case KindPing:
		return &Ping{}
	case KindRoute:
		return &Route{}
	case KindTURNRequest:
		return &TURNRequest{}
	case KindSelfRevoke:
		return &SelfRevoke{}
	case KindWipeAck:
		return &WipeAck{}
	case KindWelcome:
		return &Welcome{}
	case KindPong:
		return &Pong{}
	case KindRouted:
		return &Routed{}
	case KindTURNGrant:
		return &TURNGrant{}
	case KindPresence:
		return &Presence{}
	case KindDirectoryPush:
		return &DirectoryPush{}
	case KindRevocationPush:
		return &RevocationPush{}
	case KindWipe:
		return &Wipe{}
	case KindError:
		return &Error{}
	case KindCallEnded:
		return &CallEnded{}
	}
	return nil
}
