package sim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The control protocol drives a modemsim process from outside: one request
// line, ASCII words separated by single spaces, answered by zero or more
// data lines (". text") and a last line "ok" or "err <reason>". The grammar
// is strict: an unknown word, a missing or extra argument, a number out of
// range, a double space or a byte outside printable ASCII is an error, and
// nothing is done.
//
//	help                         list the requests
//	status                       the modem's state
//	transcript [<n>]             the last n transcript entries (all)
//	unplug [keep]                hang up; without keep the module resets
//	reboot | hang                reset the module; freeze its firmware
//	power off | power on
//	sim pull
//	sim insert <plmn> [pin <digits>]
//	sim swap <plmn> [pin <digits>]
//	cells <plmn>:<act> ...       the cells in range (act: gsm umts lte …)
//	reg lose                     no coverage: searching
//	reg deny <cause>             registration rejected (EMM cause 1-255)
//	reg accept
//	downgrade                    GSM cells only
//	churn <n> <interval>         the serving cell changes n times
//	ring <number> [<rings>]      incoming voice call
//	sms normal|type0|class0 <number> [<text>]
//	storm <n> [<per-second>]     n registration URCs
//	garbage <n> nl|nonl          n random bytes, ending in CR LF or not
//	delay <command>|* <duration> [<count>]
//	delay clear
//	pdp drop <cid>               the network drops a PDP context
//	urc <text>                   raise one URC line verbatim

// Control is one parsed control request.
type Control struct {
	Op     string // the request's words, joined with "-": "sim-insert"
	N      int    // the count, cause, CID or number of rings
	Rate   int
	Dur    time.Duration
	Flag   bool   // unplug keep; garbage nl
	Name   string // a command name for delay ("" is any); an SMS kind
	PLMN   string
	PIN    string
	Number string
	Text   string
	Cells  []CellSpec
}

// CellSpec names a cell of the cells request.
type CellSpec struct {
	PLMN string
	AcT  AcT
}

// MaxControlLine bounds a request line, in bytes without the newline.
const MaxControlLine = 512

var errControl = errors.New("bad control request")

func ctlErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errControl}, a...)...)
}

// ParseControl parses one request line (without its newline).
func ParseControl(line string) (Control, error) {
	if len(line) > MaxControlLine {
		return Control{}, ctlErr("longer than %d bytes", MaxControlLine)
	}
	for i := 0; i < len(line); i++ {
		if line[i] < 0x20 || line[i] > 0x7e {
			return Control{}, ctlErr("byte 0x%02x at %d is not printable ASCII", line[i], i)
		}
	}
	if line == "" {
		return Control{}, ctlErr("empty request")
	}
	w := strings.Split(line, " ")
	for _, x := range w {
		if x == "" {
			return Control{}, ctlErr("words must be separated by exactly one space")
		}
	}
	p := &ctlParser{words: w, line: line}
	c, err := p.parse()
	if err != nil {
		return Control{}, err
	}
	return c, nil
}

type ctlParser struct {
	words []string
	line  string
	i     int
}

func (p *ctlParser) more() bool { return p.i < len(p.words) }

func (p *ctlParser) next(what string) (string, error) {
	if !p.more() {
		return "", ctlErr("missing %s", what)
	}
	p.i++
	return p.words[p.i-1], nil
}

// rest is the remaining text of the line, spaces and all.
func (p *ctlParser) rest() string {
	if !p.more() {
		return ""
	}
	n := 0
	for _, w := range p.words[:p.i] {
		n += len(w) + 1
	}
	p.i = len(p.words)
	return p.line[n:]
}

func (p *ctlParser) end(c Control) (Control, error) {
	if p.more() {
		return Control{}, ctlErr("unexpected %q", p.words[p.i])
	}
	return c, nil
}

func (p *ctlParser) num(what string, lo, hi int) (int, error) {
	s, err := p.next(what)
	if err != nil {
		return 0, err
	}
	return ctlNum(what, s, lo, hi)
}

// ctlNum reads a canonical decimal: no sign, no leading zeros.
func ctlNum(what, s string, lo, hi int) (int, error) {
	if len(s) == 0 || len(s) > 9 || (len(s) > 1 && s[0] == '0') || !validDigits(s, 1, 9) {
		return 0, ctlErr("%s %q is not a number", what, s)
	}
	n, _ := strconv.Atoi(s)
	if n < lo || n > hi {
		return 0, ctlErr("%s %d out of range %d-%d", what, n, lo, hi)
	}
	return n, nil
}

func (p *ctlParser) dur(what string) (time.Duration, error) {
	s, err := p.next(what)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > 10*time.Minute || d.String() != s {
		return 0, ctlErr("%s %q: want a duration like 1.5s, up to 10m", what, s)
	}
	return d, nil
}

func (p *ctlParser) plmn() (string, error) {
	s, err := p.next("PLMN")
	if err != nil {
		return "", err
	}
	if !validPLMN(s) {
		return "", ctlErr("PLMN %q: want MCC and MNC, like 41004", s)
	}
	return s, nil
}

func (p *ctlParser) parse() (Control, error) {
	verb, _ := p.next("request")
	var c Control
	var err error
	switch verb {
	case "help", "status", "reboot", "hang", "downgrade":
		c.Op = verb
		return p.end(c)
	case "transcript":
		c.Op = verb
		if p.more() {
			if c.N, err = p.num("count", 1, 1<<20); err != nil {
				return c, err
			}
		}
		return p.end(c)
	case "unplug":
		c.Op = verb
		if p.more() {
			if w, _ := p.next(""); w != "keep" {
				return c, ctlErr("unplug takes only \"keep\"")
			}
			c.Flag = true
		}
		return p.end(c)
	case "power":
		w, err := p.next("on or off")
		if err != nil {
			return c, err
		}
		if w != "on" && w != "off" {
			return c, ctlErr("power %q: want on or off", w)
		}
		c.Op = "power-" + w
		return p.end(c)
	case "sim":
		w, err := p.next("pull, insert or swap")
		if err != nil {
			return c, err
		}
		switch w {
		case "pull":
			c.Op = "sim-pull"
			return p.end(c)
		case "insert", "swap":
			c.Op = "sim-" + w
			if c.PLMN, err = p.plmn(); err != nil {
				return c, err
			}
			if p.more() {
				if k, _ := p.next(""); k != "pin" {
					return c, ctlErr("unexpected %q", k)
				}
				if c.PIN, err = p.next("PIN"); err != nil {
					return c, err
				}
				if !validDigits(c.PIN, 4, 8) {
					return c, ctlErr("PIN: want 4 to 8 digits")
				}
			}
			return p.end(c)
		}
		return c, ctlErr("sim %q: want pull, insert or swap", w)
	case "cells":
		c.Op = verb
		for p.more() {
			w, _ := p.next("")
			plmn, act, ok := strings.Cut(w, ":")
			if !ok || !validPLMN(plmn) {
				return c, ctlErr("cell %q: want <plmn>:<act>, like 41004:lte", w)
			}
			a, err := parseActName(act)
			if err != nil {
				return c, ctlErr("cell %q: %v", w, err)
			}
			c.Cells = append(c.Cells, CellSpec{plmn, a})
		}
		if len(c.Cells) > 16 {
			return c, ctlErr("at most 16 cells")
		}
		return c, nil
	case "reg":
		w, err := p.next("lose, deny or accept")
		if err != nil {
			return c, err
		}
		switch w {
		case "lose", "accept":
			c.Op = "reg-" + w
			return p.end(c)
		case "deny":
			c.Op = "reg-deny"
			if c.N, err = p.num("cause", 1, 255); err != nil {
				return c, err
			}
			return p.end(c)
		}
		return c, ctlErr("reg %q: want lose, deny or accept", w)
	case "churn":
		c.Op = verb
		if c.N, err = p.num("count", 1, 10000); err != nil {
			return c, err
		}
		if c.Dur, err = p.dur("interval"); err != nil {
			return c, err
		}
		return p.end(c)
	case "ring":
		c.Op = verb
		if c.Number, err = p.next("number"); err != nil {
			return c, err
		}
		if !validNumber(c.Number) {
			return c, ctlErr("number %q: want digits, with an optional +", c.Number)
		}
		if p.more() {
			if c.N, err = p.num("rings", 1, 100); err != nil {
				return c, err
			}
		}
		return p.end(c)
	case "sms":
		c.Op = verb
		if c.Name, err = p.next("kind"); err != nil {
			return c, err
		}
		if _, err := parseSMSKind(c.Name); err != nil {
			return c, err
		}
		if c.Number, err = p.next("number"); err != nil {
			return c, err
		}
		if !validNumber(c.Number) {
			return c, ctlErr("number %q: want digits, with an optional +", c.Number)
		}
		c.Text = p.rest()
		return c, nil
	case "storm":
		c.Op = verb
		if c.N, err = p.num("count", 1, 1000000); err != nil {
			return c, err
		}
		if p.more() {
			if c.Rate, err = p.num("rate", 1, 1000000); err != nil {
				return c, err
			}
		}
		return p.end(c)
	case "garbage":
		c.Op = verb
		if c.N, err = p.num("count", 1, 1<<20); err != nil {
			return c, err
		}
		w, err := p.next("nl or nonl")
		if err != nil {
			return c, err
		}
		if w != "nl" && w != "nonl" {
			return c, ctlErr("garbage %q: want nl or nonl", w)
		}
		c.Flag = w == "nl"
		return p.end(c)
	case "delay":
		w, err := p.next("command")
		if err != nil {
			return c, err
		}
		if w == "clear" {
			c.Op = "delay-clear"
			return p.end(c)
		}
		c.Op = "delay"
		if w != "*" {
			cmds, err := parseLine(w)
			if err != nil || len(cmds) != 1 || cmds[0].op != opAction || cmds[0].name != w || w == "D" {
				return c, ctlErr("delay %q: want an upper-case command name like +COPS, or *", w)
			}
			c.Name = w
		}
		if c.Dur, err = p.dur("duration"); err != nil {
			return c, err
		}
		if p.more() {
			if c.N, err = p.num("count", 1, 1000000); err != nil {
				return c, err
			}
		}
		return p.end(c)
	case "pdp":
		if w, err := p.next("drop"); err != nil || w != "drop" {
			return c, ctlErr("pdp: want pdp drop <cid>")
		}
		c.Op = "pdp-drop"
		if c.N, err = p.num("cid", 1, maxCID); err != nil {
			return c, err
		}
		return p.end(c)
	case "urc":
		c.Op = verb
		c.Text = p.rest()
		if c.Text == "" {
			return c, ctlErr("urc needs a line")
		}
		return c, nil
	}
	return c, ctlErr("unknown request %q (try help)", verb)
}

func parseActName(s string) (AcT, error) {
	switch s {
	case "gsm":
		return GSM, nil
	case "edge":
		return EDGE, nil
	case "umts":
		return UMTS, nil
	case "hspa":
		return HSPA, nil
	case "lte":
		return LTE, nil
	}
	return 0, fmt.Errorf("access technology %q: want gsm, edge, umts, hspa or lte", s)
}

func actName(a AcT) string { return strings.ToLower(a.String()) }

func parseSMSKind(s string) (SMSKind, error) {
	for _, k := range []SMSKind{SMSNormal, SMSType0, SMSClass0} {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, ctlErr("SMS kind %q: want normal, type0 or class0", s)
}

// String is the request line that parses back to c.
func (c Control) String() string {
	w := []string{strings.ReplaceAll(c.Op, "-", " ")}
	switch c.Op {
	case "transcript":
		if c.N > 0 {
			w = append(w, itoa(c.N))
		}
	case "unplug":
		if c.Flag {
			w = append(w, "keep")
		}
	case "sim-insert", "sim-swap":
		w = append(w, c.PLMN)
		if c.PIN != "" {
			w = append(w, "pin", c.PIN)
		}
	case "cells":
		for _, cs := range c.Cells {
			w = append(w, cs.PLMN+":"+actName(cs.AcT))
		}
	case "reg-deny", "pdp-drop":
		w = append(w, itoa(c.N))
	case "churn":
		w = append(w, itoa(c.N), c.Dur.String())
	case "ring":
		w = append(w, c.Number)
		if c.N > 0 {
			w = append(w, itoa(c.N))
		}
	case "sms":
		w = append(w, c.Name, c.Number)
		if c.Text != "" {
			w = append(w, c.Text)
		}
	case "storm":
		w = append(w, itoa(c.N))
		if c.Rate > 0 {
			w = append(w, itoa(c.Rate))
		}
	case "garbage":
		nl := "nonl"
		if c.Flag {
			nl = "nl"
		}
		w = append(w, itoa(c.N), nl)
	case "delay":
		name := c.Name
		if name == "" {
			name = "*"
		}
		w = append(w, name, c.Dur.String())
		if c.N > 0 {
			w = append(w, itoa(c.N))
		}
	case "urc":
		w = append(w, c.Text)
	}
	return strings.Join(w, " ")
}
