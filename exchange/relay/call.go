package relay

import (
	"errors"
	"net"
	"strings"

	"github.com/pion/turn/v5"
)

// callGenerator makes the relayed sockets of allocations and ties each to
// its call (the TURN user ID is "device:call"): a relayed socket exchanges
// packets only with the relayed sockets of the same call. TURN permissions
// are per IP address (RFC 8656 §9), and every allocation shares the relay's
// address, so without this an enrolled handset could send into the
// allocation of a call it is not in. SRTP would drop such packets, but the
// relay should not carry them at all.
type callGenerator struct {
	r     *Relay
	inner turn.RelayAddressGenerator
}

var errNoTCPRelay = errors.New("relay: TCP relaying (RFC 6062) is not offered")

func (g *callGenerator) Validate() error { return g.inner.Validate() }

func (g *callGenerator) AllocatePacketConn(c turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	_, call, ok := strings.Cut(c.UserID, ":")
	if !ok || call == "" {
		return nil, nil, errors.New("relay: allocation without a call")
	}
	pc, addr, err := g.inner.AllocatePacketConn(c)
	if err != nil {
		return nil, nil, err
	}
	g.r.join(call, addr.String())
	return &callConn{PacketConn: pc, r: g.r, call: call, self: addr.String()}, addr, nil
}

func (g *callGenerator) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errNoTCPRelay
}

func (g *callGenerator) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errNoTCPRelay
}

func (r *Relay) join(call, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls[call] == nil {
		r.calls[call] = map[string]struct{}{}
	}
	r.calls[call][addr] = struct{}{}
}

func (r *Relay) leave(call, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.calls[call], addr)
	if len(r.calls[call]) == 0 {
		delete(r.calls, call)
	}
}

func (r *Relay) sameCall(call string, addr net.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.calls[call][addr.String()]
	return ok
}

// callConn is a relayed socket that talks only within its call.
type callConn struct {
	net.PacketConn
	r    *Relay
	call string
	self string
}

// ReadFrom drops packets from anything but the call's other allocations.
func (c *callConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, from, err := c.PacketConn.ReadFrom(p)
		if err != nil || c.r.sameCall(c.call, from) {
			return n, from, err
		}
		c.r.cfg.Refused("", "turn-cross-call", "packet from "+from.String()+" outside call dropped")
	}
}

// WriteTo sends only to the call's other allocations; anything else is
// dropped as if lost.
func (c *callConn) WriteTo(p []byte, to net.Addr) (int, error) {
	if !c.r.sameCall(c.call, to) {
		c.r.cfg.Refused("", "turn-cross-call", "packet to "+to.String()+" outside call dropped")
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, to)
}

func (c *callConn) Close() error {
	c.r.leave(c.call, c.self)
	return c.PacketConn.Close()
}
