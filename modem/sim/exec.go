package sim

import (
	"strconv"
	"strings"
)

// handler runs one command with m.mu held.
type handler func(m *Modem, c command) result

// handlers builds the command table of a profile: the V.250 and 27.007
// commands every profile has, and the vendor commands of its family.
func handlers(p *Profile) map[string]handler {
	t := map[string]handler{}
	addBasic(t)
	addIdentity(t)
	addSIM(t)
	addNetwork(t)
	addPacket(t)
	addSMS(t)
	addCall(t)
	if p.WS46 {
		t["+WS46"] = cmdWS46
	}
	if p.Quectel {
		addQuectel(t)
	}
	return t
}

func (m *Modem) exec(c command) result {
	h := m.cmds[c.name]
	if h == nil {
		return fail(errPlain) // V.250 §5.6: an unknown command is an error
	}
	return h(m, c)
}

// intArg reads parameter i as a decimal number in [lo, hi]. An omitted
// parameter gives def, which callers may set outside the range to make the
// parameter mandatory.
func (c command) intArg(i, def, lo, hi int) (int, bool) {
	if i >= len(c.args) || c.args[i].omitted() {
		return def, lo <= def && def <= hi
	}
	a := c.args[i]
	if a.quoted || a.text == "" || len(a.text) > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(a.text)
	if err != nil || n < lo || n > hi || a.text[0] == '-' || a.text[0] == '+' {
		return 0, false
	}
	return n, true
}

// strArg reads parameter i as a string. Modems accept strings without
// quotes too (AT+CPIN=1234); an omitted one is "" and not present.
func (c command) strArg(i int) (string, bool) {
	if i >= len(c.args) || c.args[i].omitted() {
		return "", false
	}
	return c.args[i].text, true
}

// nargs is the number of parameters, not counting trailing omitted ones.
func (c command) nargs() int {
	n := len(c.args)
	for n > 0 && c.args[n-1].omitted() {
		n--
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }

// intList formats numbers as "1,2,3".
func intList(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// setting implements the common shape of a numeric setting: "=n" stores,
// "?" reads "<name>: n", "=?" lists the range.
func setting(name string, get func(m *Modem) *int, lo, hi int) handler {
	return func(m *Modem, c command) result {
		p := get(m)
		switch c.op {
		case opSet:
			n, ok := c.intArg(0, -1, lo, hi)
			if !ok || c.nargs() > 1 {
				return fail(cme(cmeBadParams))
			}
			*p = n
			return result{}
		case opRead:
			return okInfo(name + ": " + itoa(*p))
		case opTest:
			return okInfo(name + ": (" + itoa(lo) + "-" + itoa(hi) + ")")
		}
		return fail(errPlain)
	}
}
