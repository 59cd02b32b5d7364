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
	f := admin.Fleet{Time: x.clk.Now(), OpenCalls: len(x.calls), Devices: []admin.Device{}}
	if x.dir != nil {
		f.Directory = x.dir.Version()
	}
	if x.rev != nil {
		f.Revocations = x.rev.Version()
	}
	for id, fp := range x.enrolled {
		d := admin.Device{ID: string(id), LastSeen: x.lastSeen[id]}
		if s := x.sessions[id]; s != nil {
			d.Online, d.Since, d.Group, d.Software = true, s.since, GroupName(s.group), s.software
		}
		if x.dir != nil {
			d.Listed = x.dir.Check(id, fp) == nil
		}
		if reason, ok := x.blocks[id]; ok {
			d.Revoked = reason
		} else if x.rev != nil {
			if err := x.rev.Revoked(id); err != nil {
				d.Revoked = strings.TrimPrefix(err.Error(), "trust: ")
			}
		}
		_, d.WipePending = x.wipes[id]
		f.Devices = append(f.Devices, d)
	}
	slices.SortFunc(f.Devices, func(a, b admin.Device) int { return strings.Compare(a.ID, b.ID) })
	return f
}

// GroupName names a TLS key exchange group, e.g. "X25519MLKEM768".
func GroupName(g tls.CurveID) string { return g.String() }
