package exchange

import (
	"crypto/tls"
	"slices"
	"strings"

	"mehfooz/exchange/admin"
)

// Status reports the fleet: every enrolled device, online or not, with the
// key exchange of its connection. It names no calls, only how many are open.
func (x *Exchange) Status() admin.Fleet {
	x.mu.Lock()
	defer x.mu.Unlock()
	now := x.clk.Now()
	f := admin.Fleet{Time: now, OpenCalls: len(x.calls), Devices: []admin.Device{}}
	d, db, l, lb := x.current()
	if db != nil {
		f.Directory = db.Version
	}
	if lb != nil {
		f.Revocations = lb.Version
	}
	for id, fp := range x.enrolled {
		dev := admin.Device{ID: string(id), LastSeen: x.lastSeen[id]}
		if s := x.sessions[id]; s != nil {
			dev.Online, dev.Since, dev.Group, dev.Software = true, s.since, GroupName(s.group), s.software
		}
		if d != nil {
			_, err := d.Check(id, fp)
			dev.Listed = err == nil
		}
		if reason, ok := x.blocks[id]; ok {
			dev.Revoked = reason
		} else if e, ok := l.Lookup(id); ok {
			dev.Revoked = e.Reason
		}
		_, dev.WipePending = x.wipes[id]
		f.Devices = append(f.Devices, dev)
	}
	slices.SortFunc(f.Devices, func(a, b admin.Device) int { return strings.Compare(a.ID, b.ID) })
	return f
}

// GroupName names a TLS key exchange group, e.g. "X25519MLKEM768".
func GroupName(g tls.CurveID) string { return g.String() }
