package info

import (
	"net/netip"
	"strconv"
	"strings"
)

// Context is one +CGDCONT read line (TS 27.007 §10.1.1).
type Context struct {
	CID  int
	Type string // "IP", "IPV6", "IPV4V6", "PPP", "Non-IP" ...
	APN  string
	Addr string // as the modem gives it; usually empty or 0.0.0.0 before activation
}

// ParseCGDCONT parses "+CGDCONT: <cid>,<PDP_type>,<APN>,<PDP_addr>,..."; the
// compression and later fields are ignored.
func ParseCGDCONT(line string) (Context, error) {
	b, err := body(line, "+CGDCONT")
	if err != nil {
		return Context{}, err
	}
	fs, err := fields(b)
	if err != nil {
		return Context{}, err
	}
	if len(fs) < 3 || len(fs) > 20 {
		return Context{}, syntaxErr("want <cid>,<type>,<APN>,...", line)
	}
	c := Context{Type: unquote(fs[1]), APN: unquote(fs[2])}
	if c.CID, err = num(fs[0], 0, 255, "cid", line); err != nil {
		return Context{}, err
	}
	if c.Type == "" || len(c.APN) > 100 {
		return Context{}, syntaxErr("PDP type empty or APN too long", line)
	}
	if len(fs) > 3 {
		c.Addr = unquote(fs[3])
	}
	return c, nil
}

// ParseCGACT parses "+CGACT: <cid>,<state>" (TS 27.007 §10.1.10).
func ParseCGACT(line string) (cid int, active bool, err error) {
	b, err := body(line, "+CGACT")
	if err != nil {
		return 0, false, err
	}
	fs, err := fields(b)
	if err != nil {
		return 0, false, err
	}
	if len(fs) != 2 {
		return 0, false, syntaxErr("want <cid>,<state>", line)
	}
	if cid, err = num(fs[0], 0, 255, "cid", line); err != nil {
		return 0, false, err
	}
	st, err := num(fs[1], 0, 1, "state", line)
	return cid, st == 1, err
}

// ParseCGPADDR parses "+CGPADDR: <cid>[,<PDP_addr_1>[,<PDP_addr_2>]]"
// (TS 27.007 §10.1.14). Addresses are dotted IPv4, IPv6 as 16 dotted bytes
// (the default) or colon hex (after AT+CGPIAF); 0.0.0.0 and :: mean none.
func ParseCGPADDR(line string) (cid int, addrs []netip.Addr, err error) {
	b, err := body(line, "+CGPADDR")
	if err != nil {
		return 0, nil, err
	}
	fs, err := fields(b)
	if err != nil {
		return 0, nil, err
	}
	if len(fs) > 3 {
		return 0, nil, syntaxErr("want <cid>[,<addr>[,<addr>]]", line)
	}
	if cid, err = num(fs[0], 0, 255, "cid", line); err != nil {
		return 0, nil, err
	}
	for _, f := range fs[1:] {
		a, _, err := parseAddr(f, false)
		if err != nil {
			return 0, nil, syntaxErr(err.Error(), line)
		}
		if a.IsValid() && !a.IsUnspecified() {
			addrs = append(addrs, a)
		}
	}
	return cid, addrs, nil
}

// Dynamic is one +CGCONTRDP line: what the network gave an active context
// (TS 27.007 §10.1.23).
type Dynamic struct {
	CID      int
	BearerID int
	APN      string
	Addr     netip.Prefix // local address and subnet; invalid if not given
	Gateway  netip.Addr
	DNS      []netip.Addr
	MTU      int // IPv4 MTU, 0 if not given
}

// ParseCGCONTRDP parses "+CGCONTRDP: <cid>,<bearer_id>,<apn>[,<local_addr and
// subnet_mask>[,<gw_addr>[,<DNS_prim_addr>[,<DNS_sec_addr>[,<P-CSCF_prim>
// [,<P-CSCF_sec>[,<IM_CN_Signalling_Flag>[,<LIPA_indication>[,<IPv4_MTU>
// ...]]]]]]]]". The local address comes as "a.b.c.d.m1.m2.m3.m4" (or its
// 32-byte IPv6 form); some modems send the address alone.
func ParseCGCONTRDP(line string) (Dynamic, error) {
	b, err := body(line, "+CGCONTRDP")
	if err != nil {
		return Dynamic{}, err
	}
	fs, err := fields(b)
	if err != nil {
		return Dynamic{}, err
	}
	if len(fs) < 3 || len(fs) > 24 {
		return Dynamic{}, syntaxErr("want <cid>,<bearer_id>,<apn>,...", line)
	}
	d := Dynamic{APN: unquote(fs[2])}
	if d.CID, err = num(fs[0], 0, 255, "cid", line); err != nil {
		return Dynamic{}, err
	}
	if d.BearerID, err = optNum(fs, 1, 0, 255, 0, "bearer_id", line); err != nil {
		return Dynamic{}, err
	}
	if len(d.APN) > 100 {
		return Dynamic{}, syntaxErr("APN too long", line)
	}
	if len(fs) > 3 {
		a, bits, err := parseAddr(fs[3], true)
		if err != nil {
			return Dynamic{}, syntaxErr(err.Error(), line)
		}
		if a.IsValid() {
			d.Addr = netip.PrefixFrom(a, bits)
		}
	}
	if len(fs) > 4 {
		if d.Gateway, _, err = parseAddr(fs[4], false); err != nil {
			return Dynamic{}, syntaxErr(err.Error(), line)
		}
	}
	for i := 5; i < 7 && i < len(fs); i++ {
		a, _, err := parseAddr(fs[i], false)
		if err != nil {
			return Dynamic{}, syntaxErr(err.Error(), line)
		}
		if a.IsValid() && !a.IsUnspecified() {
			d.DNS = append(d.DNS, a)
		}
	}
	if d.MTU, err = optNum(fs, 11, 0, 65535, 0, "MTU", line); err != nil {
		return Dynamic{}, err
	}
	return d, nil
}

// parseAddr parses one address field. With mask, the dotted forms with a
// subnet mask appended are accepted and the prefix length returned.
func parseAddr(f string, mask bool) (netip.Addr, int, error) {
	s := strings.TrimSpace(unquote(f))
	if s == "" {
		return netip.Addr{}, 0, nil
	}
	if strings.Contains(s, ":") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Addr{}, 0, err
		}
		return a, a.BitLen(), nil
	}
	parts := strings.Split(s, ".")
	var octets []byte
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 || p == "" || len(p) > 3 {
			return netip.Addr{}, 0, syntaxErr("address octet", f)
		}
		octets = append(octets, byte(n))
	}
	var a netip.Addr
	var m []byte
	switch {
	case len(octets) == 4:
		a = netip.AddrFrom4([4]byte(octets))
	case len(octets) == 16:
		a = netip.AddrFrom16([16]byte(octets))
	case mask && len(octets) == 8:
		a, m = netip.AddrFrom4([4]byte(octets[:4])), octets[4:]
	case mask && len(octets) == 32:
		a, m = netip.AddrFrom16([16]byte(octets[:16])), octets[16:]
	default:
		return netip.Addr{}, 0, syntaxErr("address of "+strconv.Itoa(len(octets))+" octets", f)
	}
	if m == nil {
		return a, a.BitLen(), nil
	}
	bits, ok := maskBits(m)
	if !ok {
		return netip.Addr{}, 0, syntaxErr("non-contiguous subnet mask", f)
	}
	return a, bits, nil
}

func maskBits(m []byte) (int, bool) {
	bits, zero := 0, false
	for _, b := range m {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				if zero {
					return 0, false
				}
				bits++
			} else {
				zero = true
			}
		}
	}
	return bits, true
}
