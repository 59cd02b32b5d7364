package pid1

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"

	"mehfooz/board"
)

// Route netlink messages (rtnetlink(7), include/uapi/linux/rtnetlink.h)
// that bring up the loopback and a board's static data interface: link up,
// an IPv4 address, a default route. Built by hand: three fixed messages do
// not warrant a netlink library.

// netConfig is a parsed board.Network.
type netConfig struct {
	iface   string
	addr    netip.Prefix
	gateway netip.Addr
}

func parseNetwork(n *board.Network) (netConfig, error) {
	p, err := netip.ParsePrefix(n.Address)
	if err != nil || !p.Addr().Is4() {
		return netConfig{}, fmt.Errorf("network: address %q is not an IPv4 CIDR", n.Address)
	}
	gw, err := netip.ParseAddr(n.Gateway)
	if err != nil || !gw.Is4() || !p.Masked().Contains(gw) {
		return netConfig{}, fmt.Errorf("network: gateway %q is not an IPv4 address on %s", n.Gateway, p.Masked())
	}
	return netConfig{iface: n.Interface, addr: p, gateway: gw}, nil
}

// nlmsg builds one request: header, body, then attributes, each padded to
// four bytes (NLMSG_ALIGN, RTA_ALIGN).
func nlmsg(typ uint16, flags uint16, seq uint32, body []byte, attrs ...[]byte) []byte {
	b := make([]byte, unix.SizeofNlMsghdr, 64)
	b = append(b, body...)
	for _, a := range attrs {
		b = append(b, a...)
	}
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(b[8:], seq)
	return b
}

func rtattr(typ uint16, data []byte) []byte {
	n := unix.SizeofRtAttr + len(data)
	b := make([]byte, (n+3)&^3)
	binary.NativeEndian.PutUint16(b[0:], uint16(n))
	binary.NativeEndian.PutUint16(b[2:], typ)
	copy(b[unix.SizeofRtAttr:], data)
	return b
}

// linkUp is RTM_NEWLINK setting IFF_UP on interface index.
func linkUp(seq uint32, index int) []byte {
	body := make([]byte, unix.SizeofIfInfomsg)
	body[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(body[4:], uint32(index))
	binary.NativeEndian.PutUint32(body[8:], unix.IFF_UP)  // flags
	binary.NativeEndian.PutUint32(body[12:], unix.IFF_UP) // change mask
	return nlmsg(unix.RTM_NEWLINK, 0, seq, body)
}

// addAddr is RTM_NEWADDR of p on interface index.
func addAddr(seq uint32, index int, p netip.Prefix) []byte {
	body := make([]byte, unix.SizeofIfAddrmsg)
	body[0] = unix.AF_INET
	body[1] = byte(p.Bits())
	body[3] = unix.RT_SCOPE_UNIVERSE
	binary.NativeEndian.PutUint32(body[4:], uint32(index))
	a := p.Addr().As4()
	return nlmsg(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, seq, body,
		rtattr(unix.IFA_LOCAL, a[:]), rtattr(unix.IFA_ADDRESS, a[:]))
}

// addDefaultRoute is RTM_NEWROUTE 0.0.0.0/0 via gw out of interface index.
func addDefaultRoute(seq uint32, index int, gw netip.Addr) []byte {
	body := make([]byte, unix.SizeofRtMsg)
	body[0] = unix.AF_INET
	body[4] = unix.RT_TABLE_MAIN
	body[5] = unix.RTPROT_BOOT
	body[6] = unix.RT_SCOPE_UNIVERSE
	body[7] = unix.RTN_UNICAST
	g := gw.As4()
	oif := make([]byte, 4)
	binary.NativeEndian.PutUint32(oif, uint32(index))
	return nlmsg(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, seq, body,
		rtattr(unix.RTA_GATEWAY, g[:]), rtattr(unix.RTA_OIF, oif))
}

// netMessages are the requests for loopback index lo and data interface
// index ifindex.
func netMessages(c netConfig, lo, ifindex int) [][]byte {
	return [][]byte{
		linkUp(1, lo),
		linkUp(2, ifindex),
		addAddr(3, ifindex, c.addr),
		addDefaultRoute(4, ifindex, c.gateway),
	}
}

// parseAck reads a netlink reply to request seq: an NLMSG_ERROR whose
// error is 0 (ack) or a negative errno.
func parseAck(b []byte, seq uint32) error {
	if len(b) < unix.SizeofNlMsghdr+4 {
		return fmt.Errorf("netlink: short reply of %d bytes", len(b))
	}
	ne := binary.NativeEndian
	if typ := ne.Uint16(b[4:]); typ != unix.NLMSG_ERROR {
		return fmt.Errorf("netlink: reply type %d, want an ack", typ)
	}
	if got := ne.Uint32(b[8:]); got != seq {
		return fmt.Errorf("netlink: reply to request %d, want %d", got, seq)
	}
	if errno := int32(ne.Uint32(b[unix.SizeofNlMsghdr:])); errno != 0 {
		return unix.Errno(-errno)
	}
	return nil
}
