package sim

import (
	"fmt"
	"strings"
)

// call is the one voice call the simulator models: an incoming one.
type call struct {
	number   string
	answered bool
	left     int // rings before the caller gives up
	next     *event
}

func addCall(t map[string]handler) {
	t["A"] = cmdAnswer
	t["H"] = cmdHangup
	t["+CHUP"] = cmdHangup
	t["D"] = func(m *Modem, c command) result {
		// The handset never dials; a dial is refused as an unreachable
		// network would refuse it.
		m.st.ceer = `"CC setup error",31,"Normal, unspecified"`
		return fail(noCarrier)
	}
	t["O"] = func(m *Modem, c command) result { return fail(noCarrier) }
	t["+CLIP"] = cmdCLIP
	t["+CRC"] = setting("+CRC", func(m *Modem) *int { return &m.st.crc }, 0, 1)
	t["+CLCC"] = cmdCLCC
}

// ring raises one RING (or +CRING: VOICE with +CRC=1, 27.007 §6.11) and
// the caller's number when +CLIP=1 (§7.6), then waits for the next ring or
// the caller's giving up, which ends the call with NO CARRIER.
func (m *Modem) ring() {
	c := m.call
	if c == nil || c.answered {
		return
	}
	if c.left == 0 {
		m.endCall(true)
		return
	}
	c.left--
	if m.st.crc == 1 {
		m.urc("+CRING: VOICE")
	} else {
		m.urc("RING")
	}
	if m.st.clip == 1 {
		typ := 129
		if strings.HasPrefix(c.number, "+") {
			typ = 145
		}
		m.urc(fmt.Sprintf(`+CLIP: %s,%d,"",0,"",0`, quote(c.number), typ))
	}
	gen := m.gen
	c.next = m.sched.after(m.cfg.RingInterval, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.gen == gen && m.call == c {
			m.ring()
		}
	})
}

// endCall drops the call; remote says the caller hung up, which the host
// learns from NO CARRIER.
func (m *Modem) endCall(remote bool) {
	c := m.call
	if c == nil {
		return
	}
	m.sched.cancel(c.next)
	m.call = nil
	if remote {
		m.stats.CallsMissed++
		m.tr.add('#', "caller "+c.number+" gave up")
		m.urc("NO CARRIER")
	}
}

func cmdAnswer(m *Modem, c command) result {
	if m.call == nil || m.call.answered {
		return fail(noCarrier)
	}
	m.sched.cancel(m.call.next)
	m.call.answered = true
	m.stats.CallsAnswered++
	return result{}
}

// cmdHangup is H (V.250 §6.3.6) and +CHUP (27.007 §6.5).
func cmdHangup(m *Modem, c command) result {
	if c.op == opTest {
		return result{}
	}
	if m.call != nil {
		m.stats.CallsHungUp++
		m.tr.add('#', "call from "+m.call.number+" hung up by host")
		m.endCall(false)
	}
	return result{}
}

func cmdCLIP(m *Modem, c command) result {
	if c.op == opRead {
		return okInfo(fmt.Sprintf("+CLIP: %d,1", m.st.clip))
	}
	return setting("+CLIP", func(m *Modem) *int { return &m.st.clip }, 0, 1)(m, c)
}

// cmdCLCC is 27.007 §7.18.
func cmdCLCC(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return result{}
	case opAction:
	default:
		return fail(errPlain)
	}
	if m.call == nil {
		return result{}
	}
	stat := 4 // incoming
	if m.call.answered {
		stat = 0 // active
	}
	typ := 129
	if strings.HasPrefix(m.call.number, "+") {
		typ = 145
	}
	return okInfo(fmt.Sprintf("+CLCC: 1,1,%d,0,0,%s,%d", stat, quote(m.call.number), typ))
}
