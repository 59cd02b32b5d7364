package wire

// Message is one protocol message. The concrete types below are the whole
// protocol; Kind says which one a value is.
type Message interface {
	Kind() Kind
	encode(e *encoder)
	decode(d *decoder)
}

// Hello is the handset's first frame: the bundle versions it holds, so the
// exchange pushes only newer ones.
type Hello struct {
	Directory   uint64
	Revocations uint64
	// Software names the handset build, for fleet status.
	Software string
}

// Ping keeps the connection (and the carrier's NAT mapping) alive.
type Ping struct{ Nonce uint64 }

// Route asks the exchange to deliver a call message.
type Route struct{ Envelope }

// TURNRequest asks for relay credentials for one call. The caller asks
// before its invite (it gathers relay candidates for the offer), naming the
// callee; the exchange then holds the call ID for that pair. The callee asks
// after the invite arrived.
type TURNRequest struct {
	Call CallID
	To   string
}

// SelfRevoke asks the exchange to revoke the sending device at once, e.g.
// after a duress PIN. Request is the handset's revocation request, signed in
// advance with its device key (trust/revocation.NewRequest), because after a
// duress wipe the key is gone.
type SelfRevoke struct{ Request []byte }

// WipeAck tells the exchange a wipe order arrived and will be carried out.
type WipeAck struct{ Order OrderID }

// Welcome admits a handset.
type Welcome struct {
	// Device is the identity the exchange authenticated.
	Device string
	// Group is the TLS key-exchange group negotiated (tls.CurveID).
	Group uint16
	// Time is the exchange's clock, Unix milliseconds: an authenticated time
	// source for a handset whose network time cannot be trusted.
	Time int64
	// Directory and Revocations are the versions the exchange holds.
	Directory   uint64
	Revocations uint64
}

// Pong answers a Ping.
type Pong struct{ Nonce uint64 }

// Routed is a call message delivered to its recipient, with From set by the
// exchange.
type Routed struct{ Envelope }

// TURNGrant carries relay credentials for one call (RFC 8489 long-term
// credentials in the TURN REST form).
type TURNGrant struct {
	Call     CallID
	Username string
	Password string
	// Expires is when the credentials stop working, Unix seconds.
	Expires int64
	// URLs are turn: and turns: URIs (RFC 7065).
	URLs []string
}

// Presence says which contacts are online. A Full update lists every online
// contact (all others are offline); otherwise it lists changes.
type Presence struct {
	Full    bool
	Online  []string
	Offline []string
}

// DirectoryPush carries a signed directory bundle.
type DirectoryPush struct{ Bundle []byte }

// RevocationPush carries a signed revocation list.
type RevocationPush struct{ Bundle []byte }

// Wipe carries a signed wipe order (see WipeOrder).
type Wipe struct{ Order []byte }

// Error refuses a frame (Re is its seq; 0 for the connection as a whole).
type Error struct {
	Re     uint64
	Call   CallID // zero when no call is concerned
	Code   string // e.g. "not-allowed"; see the exchange's codes
	Reason string // for people and logs
}

// CallEnded tells a party the exchange closed a call (e.g. the peer was
// revoked); the handset tears the call down.
type CallEnded struct {
	Call CallID
	Code string
}

// Kinds.
func (*Hello) Kind() Kind          { return KindHello }
func (*Ping) Kind() Kind           { return KindPing }
func (*Route) Kind() Kind          { return KindRoute }
func (*TURNRequest) Kind() Kind    { return KindTURNRequest }
func (*SelfRevoke) Kind() Kind     { return KindSelfRevoke }
func (*WipeAck) Kind() Kind        { return KindWipeAck }
func (*Welcome) Kind() Kind        { return KindWelcome }
func (*Pong) Kind() Kind           { return KindPong }
func (*Routed) Kind() Kind         { return KindRouted }
func (*TURNGrant) Kind() Kind      { return KindTURNGrant }
func (*Presence) Kind() Kind       { return KindPresence }
func (*DirectoryPush) Kind() Kind  { return KindDirectoryPush }
func (*RevocationPush) Kind() Kind { return KindRevocationPush }
func (*Wipe) Kind() Kind           { return KindWipe }
func (*Error) Kind() Kind          { return KindError }
func (*CallEnded) Kind() Kind      { return KindCallEnded }

const (
	maxSoftware = 64
	maxURLs     = 8
	maxURL      = 256
	maxSecret   = 128
	// MaxWipeOrder caps an encoded wipe order (it carries a certificate).
	MaxWipeOrder = 8 << 10
)

func (m *Hello) encode(e *encoder) { e.u64(m.Directory); e.u64(m.Revocations); e.str(m.Software) }
func (m *Hello) decode(d *decoder) {
	m.Directory = d.u64("directory version")
	m.Revocations = d.u64("revocations version")
	m.Software = d.text("software", maxSoftware)
}

func (m *Ping) encode(e *encoder) { e.u64(m.Nonce) }
func (m *Ping) decode(d *decoder) { m.Nonce = d.u64("nonce") }
func (m *Pong) encode(e *encoder) { e.u64(m.Nonce) }
func (m *Pong) decode(d *decoder) { m.Nonce = d.u64("nonce") }

func (m *Route) encode(e *encoder)  { m.Envelope.encode(e) }
func (m *Route) decode(d *decoder)  { m.Envelope.decode(d, false) }
func (m *Routed) encode(e *encoder) { m.Envelope.encode(e) }
func (m *Routed) decode(d *decoder) { m.Envelope.decode(d, true) }

func (m *TURNRequest) encode(e *encoder) { e.fixed(m.Call[:]); e.str(m.To) }
func (m *TURNRequest) decode(d *decoder) { m.Call = d.call("call ID"); m.To = d.id("to") }

func (m *SelfRevoke) encode(e *encoder) { e.bytes16(m.Request) }
func (m *SelfRevoke) decode(d *decoder) {
	m.Request = d.bytes16("revocation request", MaxSelfRevoke)
	if d.err == nil && len(m.Request) == 0 {
		d.fail("empty revocation request")
	}
}

func (m *WipeAck) encode(e *encoder) { e.fixed(m.Order[:]) }
func (m *WipeAck) decode(d *decoder) {
	copy(m.Order[:], d.take(len(m.Order), "order ID"))
	if d.err == nil && m.Order == (OrderID{}) {
		d.fail("zero order ID")
	}
}

func (m *Welcome) encode(e *encoder) {
	e.str(m.Device)
	e.u16(m.Group)
	e.i64(m.Time)
	e.u64(m.Directory)
	e.u64(m.Revocations)
}
func (m *Welcome) decode(d *decoder) {
	m.Device = d.id("device")
	m.Group = d.u16("group")
	m.Time = d.i64("time")
	m.Directory = d.u64("directory version")
	m.Revocations = d.u64("revocations version")
}

func (m *TURNGrant) encode(e *encoder) {
	e.fixed(m.Call[:])
	e.str(m.Username)
	e.str(m.Password)
	e.i64(m.Expires)
	e.u8(uint8(len(m.URLs)))
	for _, u := range m.URLs {
		e.str(u)
	}
}
func (m *TURNGrant) decode(d *decoder) {
	m.Call = d.call("call ID")
	m.Username = d.text("username", maxSecret)
	m.Password = d.text("password", maxSecret)
	m.Expires = d.i64("expires")
	n := int(d.u8("URL count"))
	if d.err == nil && (n == 0 || n > maxURLs) {
		d.fail("URL count %d not in 1..%d", n, maxURLs)
	}
	if d.err == nil {
		m.URLs = make([]string, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		m.URLs = append(m.URLs, d.text("URL", maxURL))
	}
	if d.err == nil && (m.Username == "" || m.Password == "") {
		d.fail("empty TURN credential")
	}
}

func (m *Presence) encode(e *encoder) {
	e.boolean(m.Full)
	for _, l := range [][]string{m.Online, m.Offline} {
		e.u32(uint32(len(l)))
		for _, id := range l {
			e.str(id)
		}
	}
}
func (m *Presence) decode(d *decoder) {
	m.Full = d.boolean("full")
	m.Online = d.idList("online")
	m.Offline = d.idList("offline")
	if d.err == nil && m.Full && len(m.Offline) != 0 {
		d.fail("full presence lists offline devices")
	}
}

// idList reads a uint32 count and that many IDs, refusing a count the
// remaining bytes cannot hold before allocating.
func (d *decoder) idList(what string) []string {
	n := d.u32(what + " count")
	if d.err != nil {
		return nil
	}
	if n > MaxList || int(n)*3 > len(d.b) { // each ID takes at least 3 bytes
		d.fail("%s: count %d too large", what, n)
		return nil
	}
	if n == 0 {
		return nil
	}
	l := make([]string, 0, n)
	for i := uint32(0); i < n && d.err == nil; i++ {
		l = append(l, d.id(what))
	}
	return l
}

func (m *DirectoryPush) encode(e *encoder) { e.bytes32(m.Bundle) }
func (m *DirectoryPush) decode(d *decoder) {
	m.Bundle = d.bytes32("directory bundle", MaxBundle)
	if d.err == nil && len(m.Bundle) == 0 {
		d.fail("empty directory bundle")
	}
}

func (m *RevocationPush) encode(e *encoder) { e.bytes32(m.Bundle) }
func (m *RevocationPush) decode(d *decoder) {
	m.Bundle = d.bytes32("revocation bundle", MaxBundle)
	if d.err == nil && len(m.Bundle) == 0 {
		d.fail("empty revocation bundle")
	}
}

func (m *Wipe) encode(e *encoder) { e.bytes16(m.Order) }
func (m *Wipe) decode(d *decoder) {
	m.Order = d.bytes16("wipe order", MaxWipeOrder)
	if d.err == nil && len(m.Order) == 0 {
		d.fail("empty wipe order")
	}
}

func (m *Error) encode(e *encoder) {
	e.u64(m.Re)
	e.fixed(m.Call[:])
	e.str(m.Code)
	e.str(m.Reason)
}
func (m *Error) decode(d *decoder) {
	m.Re = d.u64("re")
	copy(m.Call[:], d.take(len(m.Call), "call ID"))
	m.Code = d.token("code")
	m.Reason = d.text("reason", MaxReason)
}

func (m *CallEnded) encode(e *encoder) { e.fixed(m.Call[:]); e.str(m.Code) }
func (m *CallEnded) decode(d *decoder) {
	m.Call = d.call("call ID")
	m.Code = d.token("code")
}
