package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotRegistered is returned by faults that need the modem on a cell.
var ErrNotRegistered = errors.New("modem not registered")

// ErrOff is returned by faults that need the modem powered on.
var ErrOff = errors.New("modem not powered on")

// Unplug hangs up the port, as a USB modem that falls off the bus: the host
// side of a pty reads an error. With reboot, the modem also resets and
// boots (RDY, echo on) on the next port, as a module that crashed does;
// without, it keeps its state. A PTY line offers a fresh pseudo-terminal at
// the same link after Config.ReplugDelay; a Socket line waits for the host
// to connect again. Unplug returns once the old port is closed.
func (m *Modem) Unplug(reboot bool) error {
	m.mu.Lock()
	s := m.sess
	if s == nil {
		m.mu.Unlock()
		return ErrNoPort
	}
	m.replug = true
	m.stats.Unplugs++
	m.tr.add('#', fmt.Sprintf("unplug (reboot %t)", reboot))
	if reboot {
		m.powerOff()
		m.bootOnAttach = true
	}
	m.mu.Unlock()
	s.stop()
	<-s.gone
	return nil
}

// Reboot resets the module: RDY on a Quectel, echo back on, every setting
// to its default; NV settings, stored SMS and the SIM stay.
func (m *Modem) Reboot() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reboot("reboot fault")
}

// PowerOff cuts the module's power: it answers nothing until PowerOn.
func (m *Modem) PowerOff() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tr.add('#', "power off")
	m.cutPower()
}

// PowerOn boots a module that is off or hung; one that is on is left alone.
func (m *Modem) PowerOn() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.power == powerOn {
		return
	}
	m.tr.add('#', "power on")
	m.powerOff()
	if m.cfg.USB && m.sess == nil {
		// The module appears on the bus and boots on its new port.
		m.bootOnAttach = true
		m.notePortChange()
		return
	}
	m.powerOn()
}

// Hang freezes the firmware: the module stays powered but reads and
// answers nothing, and raises no URCs, until Reboot or PowerOn.
func (m *Modem) Hang() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tr.add('#', "firmware hang")
	m.gen++
	m.power = powerHung
}

// PullSIM removes the card. A Quectel module reports +QSIMSTAT: 1,0 if
// enabled and +CPIN: NOT INSERTED; the registration and data drop.
func (m *Modem) PullSIM() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.card == nil {
		return
	}
	m.tr.add('#', "SIM pulled: "+m.card.ICCID)
	m.card = nil
	m.simInit, m.unlocked = false, false
	if m.prof.Quectel {
		if m.st.qsimstat == 1 {
			m.urc("+QSIMSTAT: 1,0")
		}
		m.urc("+CPIN: NOT INSERTED")
	}
	m.reselect()
}

// InsertSIM puts a card in the empty slot; it initialises as at boot.
func (m *Modem) InsertSIM(c Card) error {
	if err := checkCard(c); err != nil {
		return fmt.Errorf("insert SIM: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.card != nil {
		return errors.New("insert SIM: the slot is not empty")
	}
	m.insert(c)
	return nil
}

func (m *Modem) insert(c Card) {
	m.card = &c
	m.tr.add('#', "SIM inserted: "+c.ICCID)
	if m.power != powerOn {
		return
	}
	if m.prof.Quectel && m.st.qsimstat == 1 {
		m.urc("+QSIMSTAT: 1,1")
	}
	m.startSIMInit()
}

// SwapSIM pulls the card in the slot, if any, and inserts c.
func (m *Modem) SwapSIM(c Card) error {
	if err := checkCard(c); err != nil {
		return fmt.Errorf("swap SIM: %w", err)
	}
	m.PullSIM()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.card != nil {
		return errors.New("swap SIM: the slot was filled meanwhile")
	}
	m.insert(c)
	return nil
}

// SetCells replaces the cells in range. The modem reselects: a cell of the
// same network and technology is a handover (a location URC); anything
// else is a new search. No cell in range leaves it searching.
func (m *Modem) SetCells(cells ...Cell) error {
	for _, c := range cells {
		if err := checkCell(c); err != nil {
			return fmt.Errorf("set cells: %w", err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cells = append([]Cell(nil), cells...)
	var names []string
	for _, c := range cells {
		names = append(names, fmt.Sprintf("%s/%s/%X", c.PLMN, c.AcT, c.CI))
	}
	m.tr.add('#', "cells: "+strings.Join(names, " "))
	m.reselect()
	return nil
}

// Cells returns the cells in range.
func (m *Modem) Cells() []Cell {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Cell(nil), m.cells...)
}

// LoseCoverage takes every cell away: the registration is lost and the
// modem searches until SetCells.
func (m *Modem) LoseCoverage() { m.SetCells() }

// Downgrade2G leaves only GSM cells of the networks in range, as a jammer
// with a fake 2G base station would. A modem locked to LTE finds no
// service; an unlocked one registers on GSM (AcT 0).
func (m *Modem) Downgrade2G() {
	cells := m.Cells()
	seen := map[string]bool{}
	var gsm []Cell
	for i, c := range cells {
		if !seen[c.PLMN] {
			seen[c.PLMN] = true
			gsm = append(gsm, NewCell(c.PLMN, GSM, 100+i))
		}
	}
	m.SetCells(gsm...)
}

// Deny makes the network reject registration with an EMM cause (TS 24.301
// Annex A; 15 is "no suitable cells in tracking area"): stat 3, the cause
// in +CEREG=3/5 and +CEER. Deny(0) accepts again.
func (m *Modem) Deny(cause int) error {
	if cause < 0 || cause > 255 {
		return fmt.Errorf("deny: cause %d out of range", cause)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.denyCause = cause
	m.tr.add('#', "network rejects with cause "+itoa(cause))
	m.reselect()
	return nil
}

// Churn changes the serving cell n times, every interval: new cell
// identity, tracking area and physical cell id, and a stronger signal, as
// a fake base station luring the handset would. The returned channel is
// closed after the last change, or when the modem leaves the cell or closes.
func (m *Modem) Churn(n int, every time.Duration) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	done := m.newPending()
	m.tr.add('#', fmt.Sprintf("cell churn: %d changes every %s", n, every))
	var step func(i int)
	step = func(i int) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if i >= n || m.reg.phase != regCamped {
			m.endPending(done)
			return
		}
		old := m.reg.cell
		c := NewCell(old.PLMN, old.AcT, 1+i+m.rng.IntN(200))
		c.RSRP, c.RSSI = old.RSRP+3, old.RSSI+3
		for j := range m.cells {
			if m.cells[j] == old {
				m.cells[j] = c
			}
		}
		m.reselect()
		m.sched.after(every, func() { step(i + 1) })
	}
	m.sched.after(0, func() { step(0) })
	return done
}

// Ring starts an incoming voice call from number that rings rings times
// (every Config.RingInterval) unless the host hangs up, then gives up.
func (m *Modem) Ring(number string, rings int) error {
	if rings <= 0 {
		rings = 10
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.power != powerOn {
		return fmt.Errorf("ring: %w", ErrOff)
	}
	if m.call != nil {
		return errors.New("ring: a call is already up")
	}
	m.tr.add('#', "incoming call from "+number)
	m.call = &call{number: number, left: rings}
	m.ring()
	return nil
}

// SMS delivers a short message from the network as an SMS-DELIVER, routed
// as the host's +CNMI asks.
func (m *Modem) SMS(from string, kind SMSKind, text string) error {
	if !validNumber(from) {
		return fmt.Errorf("sms: bad sender %q", from)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deliverSMS(from, kind, text)
}

func validNumber(s string) bool {
	return validDigits(strings.TrimPrefix(s, "+"), 3, 20)
}

// DropContext makes the network deactivate an active PDP context
// (+CGEV: NW PDN DEACT).
func (m *Modem) DropContext(cid int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.pdp[cid]
	if p == nil || !p.active {
		return fmt.Errorf("drop context %d: not active", cid)
	}
	p.active = false
	m.tr.add('#', "network dropped context "+itoa(cid))
	m.cgev("NW PDN DEACT " + itoa(cid))
	return nil
}

// Inject raises lines as one URC, verbatim: a test's way to send what the
// simulator does not model.
func (m *Modem) Inject(lines ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.power != powerOn {
		return fmt.Errorf("inject: %w", ErrOff)
	}
	if m.sess == nil {
		return fmt.Errorf("inject: %w", ErrNoPort)
	}
	m.urcAny(lines...)
	return nil
}

// Storm raises n registration URCs at perSecond (0: as fast as the host
// reads), each naming a different cell, then one that tells the truth. The
// returned channel is closed after the last, or when the port goes or the
// modem closes.
func (m *Modem) Storm(n, perSecond int) <-chan struct{} {
	m.mu.Lock()
	done := m.newPending()
	m.tr.add('#', fmt.Sprintf("URC storm: %d at %d/s", n, perSecond))
	m.mu.Unlock()
	const tick = 10 * time.Millisecond
	sent := 0
	credit := 0.0
	var step func()
	step = func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.sess == nil || m.power != powerOn {
			m.endPending(done)
			return
		}
		batch := 256
		if perSecond > 0 {
			credit += float64(perSecond) * tick.Seconds()
			batch = int(credit)
			credit -= float64(batch)
		}
		// Back-pressure: a host that does not read fills the pty; the
		// storm waits rather than overflowing the output queue.
		if m.sess.out.queued() > 256<<10 {
			batch = 0
		}
		fm := m.format()
		for ; batch > 0 && sent < n; batch-- {
			m.sess.out.push(fm.urc(m.stormLine(sent)))
			m.stats.URCs++
			sent++
		}
		if sent >= n {
			m.reg.lastURC[epsDomain] = ""
			m.reportReg()
			m.endPending(done)
			return
		}
		m.sched.after(tick, step)
	}
	m.sched.after(0, step)
	return done
}

// stormLine is a +CEREG URC for a cell that is not the serving one, in
// the shape the host asked for (n=2 if it asked for none).
func (m *Modem) stormLine(i int) string {
	c := m.reg.cell
	if !m.reg.hasCell {
		plmn := "41001"
		if len(m.cells) > 0 {
			plmn = m.cells[0].PLMN
		}
		c = NewCell(plmn, LTE, 0)
	}
	c.CI = (c.CI + uint32(i%97) + 1) & 0xfffffff
	if m.st.cereg == 1 {
		return "+CEREG: " + itoa(1+4*(i%2))
	}
	return fmt.Sprintf(`+CEREG: 1,"%04X","%s",%d`, c.LAC, ciHex(c), c.AcT)
}

// Garbage writes n random bytes to the host: line noise, a modem's debug
// spew. Without newline none of them is CR or LF, so the host sees one
// line that never ends; with it, the bytes end with CR LF.
func (m *Modem) Garbage(n int, newline bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess == nil {
		return ErrNoPort
	}
	b := make([]byte, n, n+2)
	for i := range b {
		c := byte(m.rng.UintN(256))
		for c == '\r' || c == '\n' {
			c = byte(m.rng.UintN(256))
		}
		b[i] = c
	}
	if newline {
		b = append(b, '\r', '\n')
	}
	m.tr.add('#', fmt.Sprintf("garbage: %d bytes (newline %t)", n, newline))
	if !m.sess.out.push(b) {
		return errors.New("garbage: output queue full")
	}
	return nil
}

// delayRule holds back the response of matching commands.
type delayRule struct {
	name string // upper-case command name ("+CSQ"); "" matches any
	d    time.Duration
	left int // commands still to delay; -1 forever
}

// Delay makes the module take d longer to answer the next count commands
// named name (e.g. "+COPS"; "" for any; count 0 for every one until
// ClearDelays), so a host's timeout fires and the answer arrives late.
func (m *Modem) Delay(name string, d time.Duration, count int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	left := count
	if count <= 0 {
		left = -1
	}
	name = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(name), "AT"))
	m.delays = append(m.delays, delayRule{name: name, d: d, left: left})
	m.tr.add('#', fmt.Sprintf("delay %q by %s", name, d))
}

// ClearDelays removes every Delay.
func (m *Modem) ClearDelays() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delays = nil
}

func (m *Modem) extraDelay(c command) time.Duration {
	for i := range m.delays {
		r := &m.delays[i]
		if r.left == 0 || (r.name != "" && r.name != c.name) {
			continue
		}
		if r.left > 0 {
			r.left--
		}
		return r.d
	}
	return 0
}
