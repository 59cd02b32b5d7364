package at

import (
	"bytes"
	"strings"
	"time"
)

// handle routes one framed line (or the prompt). It runs on the loop
// goroutine. The order of the checks is the routing rule:
//
//  1. the PDU line a +CMT/+CDS/+CBM header announced;
//  2. the prompt, for a command that waits for one;
//  3. the echo of the command in flight (echo may come back after a reset);
//  4. a final result code ends the command in flight;
//  5. a line with the command's prefix (and, for the registration family,
//     the solicited shape) is its information;
//  6. a known URC goes to the queue;
//  7. any other line is information for a command without a prefix, and
//     otherwise stray: counted, logged and dropped.
func (e *Engine) handle(b []byte, prompt bool) {
	e.ls.Lines++
	if e.collect != nil {
		u := e.collect
		e.collect = nil
		if t := bytes.TrimSpace(b); isHex(t) {
			u.PDU = string(t)
			e.pushURC(*u)
			return
		}
		e.pushURC(*u) // the PDU never came; route this line on its own
	}
	p := e.cur
	if prompt {
		if p != nil && p.cmd.Payload != "" && !p.prompted {
			p.prompted = true
			p.prompt <- struct{}{}
			return
		}
		e.stray(">")
		return
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return
	}
	if p != nil && e.isEcho(p, t) {
		p.echo = true
		e.ls.Echoes++
		return
	}
	line := string(t)
	if p != nil && e.final(p, line) {
		return
	}
	name := urcName(line)
	if p != nil && p.prefix != "" && strings.EqualFold(name, p.prefix) && strings.Contains(line, ":") {
		if !regFamily[name] || regSolicited(line) {
			p.info = append(p.info, line)
			return
		}
	}
	if spec, ok := urcs[name]; ok {
		if name == "NO CARRIER" && p != nil && p.dial {
			p.info = append(p.info, line) // unreachable: final() took it
			return
		}
		u := URC{Name: name, Line: line, At: e.clk.Now()}
		if spec.trailing > 0 {
			e.collect = &u
			return
		}
		e.pushURC(u)
		return
	}
	if p != nil && p.prefix == "" {
		p.info = append(p.info, line)
		return
	}
	e.stray(line)
}

// isEcho reports whether t is the echo of p's command line or payload. A
// command with a secret is matched by its line up to the secret, and the
// framer's buffer is wiped so the secret does not linger in memory.
func (e *Engine) isEcho(p *pending, t []byte) bool {
	c := p.cmd
	if c.Secret != nil {
		if len(t) > len(c.Line) && strings.EqualFold(string(t[:len(c.Line)]), c.Line) {
			e.fr.wipe()
			return true
		}
		return false
	}
	if bytes.EqualFold(t, []byte(c.Line)) {
		return true
	}
	return c.Payload != "" && p.prompted && string(t) == c.Payload
}

// final ends p if line is a final result code (V.250 §5.7.1, TS 27.007 §9.2,
// TS 27.005 §3.2.5). It reports whether it took the line.
func (e *Engine) final(p *pending, line string) bool {
	var err error
	switch {
	case line == "OK":
		if p.cmd.Payload != "" && !p.prompted {
			err = ErrNoPrompt
		}
	case line == "ERROR":
		err = ErrError
	case strings.HasPrefix(line, "+CME ERROR:"):
		err = ParseCME(line[len("+CME ERROR:"):])
	case strings.HasPrefix(line, "+CMS ERROR:"):
		err = ParseCMS(line[len("+CMS ERROR:"):])
	case line == "COMMAND NOT SUPPORT":
		err = ErrNotSupported
	case line == "RDY":
		// The modem rebooted: the command is lost. RDY is also a URC,
		// so the modem package learns of the reboot.
		e.pushURC(URC{Name: "RDY", Line: line, At: e.clk.Now()})
		err = ErrReset
	case p.dial && line == "NO CARRIER":
		err = ErrNoCarrier
	case p.dial && line == "BUSY":
		err = ErrBusy
	case p.dial && line == "NO ANSWER":
		err = ErrNoAnswer
	case p.dial && line == "NO DIALTONE":
		err = ErrNoDialtone
	case p.dial && strings.HasPrefix(line, "CONNECT"):
	default:
		return false
	}
	r := result{err: err, strays: e.ls.Stray}
	if err == nil {
		r.resp = Resp{Info: p.info, Final: line, Echo: p.echo}
	}
	p.timer.Stop()
	p.done <- r
	e.cur = nil
	e.fr.expectPrompt = false
	return true
}

func (e *Engine) stray(line string) {
	e.ls.Stray++
	if len(line) > 80 {
		line = line[:80] + "..."
	}
	e.log.Debug("at: stray line", "line", line)
}

// pushURC queues u and keeps the storm rate: more than StormRate URCs in each
// of StormFor consecutive one-second windows raises one alarm, re-armed by a
// calm second.
func (e *Engine) pushURC(u URC) {
	now := u.At
	if now.IsZero() {
		now = e.clk.Now()
	}
	if gap := now.Sub(e.winStart); gap >= time.Second {
		if e.winCount > e.cfg.StormRate && gap < 2*time.Second {
			e.stormySecs++
		} else {
			e.stormySecs = 0
			e.stormOn = false
		}
		e.winStart, e.winCount = now, 0
	}
	e.winCount++
	if e.winCount == e.cfg.StormRate+1 && e.stormySecs+1 >= e.cfg.StormFor && !e.stormOn {
		e.stormOn = true
		e.q.raise(Storm{Rate: e.winCount})
		e.ls.Storms++
		e.log.Warn("at: URC storm", "per_second", e.winCount, "seconds", e.stormySecs+1)
	}
	e.q.push(u, coalesceKey(u.Name, u.Line))
	e.ls.URCs++
}

func isHex(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
