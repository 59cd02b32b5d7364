package sim

import (
	"errors"
	"strconv"
	"strings"
)

// command is one command of a command line: a basic command (V.250 §5.3.1,
// "E0", "&C1", "S3=13", "D+923001234567;") or an extended one (§5.4,
// "+CREG=2", "+COPS?", "+CGDCONT=?", "+QCFG=\"nwscanmode\",3,1").
type command struct {
	name string // upper case: "E", "&C", "S3", "D", "+CREG", "+QCFG"
	op   op
	args []arg // the value of a basic command, the parameters of a set
}

type op int

const (
	opAction op = iota // "+CSQ", "E1", "D…"
	opRead             // "+CREG?", "S3?"
	opTest             // "+CREG=?"
	opSet              // "+CREG=2", "S3=13"
)

// arg is one parameter. An omitted parameter ("+CGDCONT=1,,") is the zero
// arg; a quoted one keeps its decoded bytes and remembers it was quoted.
type arg struct {
	text   string
	quoted bool
}

func (a arg) omitted() bool { return !a.quoted && a.text == "" }

var errSyntax = errors.New("syntax error")

// extPrefix holds the characters that open an extended command: '+' for
// the standard ones, the others for the vendor families modems use.
const extPrefix = "+^$#%"

// parseLine splits the text after "AT" into its commands. Outside string
// constants, spaces are ignored and case does not matter (V.250 §5.1);
// inside, "\XX" stands for the byte with hex value XX (§5.4.2.2).
func parseLine(s string) ([]command, error) {
	var cmds []command
	i := 0
	for {
		i = skipSpaces(s, i)
		for i < len(s) && s[i] == ';' {
			i = skipSpaces(s, i+1)
		}
		if i >= len(s) {
			return cmds, nil
		}
		var c command
		var err error
		if strings.IndexByte(extPrefix, s[i]) >= 0 {
			c, i, err = parseExtended(s, i)
		} else {
			c, i, err = parseBasic(s, i)
		}
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, c)
	}
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func isNameChar(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!%-./:_", c) >= 0
}

func parseExtended(s string, i int) (command, int, error) {
	start := i
	i++
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	if i == start+1 {
		return command{}, 0, errSyntax
	}
	c := command{name: strings.ToUpper(s[start:i])}
	i = skipSpaces(s, i)
	switch {
	case i >= len(s) || s[i] == ';':
		c.op = opAction
	case s[i] == '?':
		c.op = opRead
		i++
	case s[i] == '=':
		i = skipSpaces(s, i+1)
		if i < len(s) && s[i] == '?' {
			c.op = opTest
			i++
			break
		}
		c.op = opSet
		var err error
		c.args, i, err = parseArgs(s, i)
		if err != nil {
			return command{}, 0, err
		}
	default:
		return command{}, 0, errSyntax
	}
	i = skipSpaces(s, i)
	if i < len(s) && s[i] != ';' {
		return command{}, 0, errSyntax
	}
	return c, i, nil
}

// parseArgs reads comma-separated parameters up to ';' or the end.
func parseArgs(s string, i int) ([]arg, int, error) {
	var args []arg
	for {
		i = skipSpaces(s, i)
		var a arg
		if i < len(s) && s[i] == '"' {
			var err error
			a.text, i, err = parseString(s, i+1)
			if err != nil {
				return nil, 0, err
			}
			a.quoted = true
			i = skipSpaces(s, i)
		} else {
			var b strings.Builder
			for i < len(s) && s[i] != ',' && s[i] != ';' {
				switch c := s[i]; {
				case c == '"':
					return nil, 0, errSyntax
				case c != ' ':
					b.WriteByte(upper(c))
				}
				i++
			}
			a.text = b.String()
		}
		args = append(args, a)
		if i >= len(s) || s[i] == ';' {
			return args, i, nil
		}
		if s[i] != ',' {
			return nil, 0, errSyntax
		}
		i++
	}
}

// parseString reads a string constant whose opening quote is before i.
func parseString(s string, i int) (string, int, error) {
	var b strings.Builder
	for i < len(s) {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+2 >= len(s) {
				return "", 0, errSyntax
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", 0, errSyntax
			}
			b.WriteByte(byte(v))
			i += 3
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, errSyntax
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseBasic reads one basic command: a letter (or '&' and a letter) and an
// optional decimal value; S-parameters "Sn?" and "Sn=v"; and D, whose dial
// string runs to the end of the line (V.250 §6.3.1).
func parseBasic(s string, i int) (command, int, error) {
	c := upper(s[i])
	switch {
	case c == 'D':
		dial := strings.ToUpper(strings.ReplaceAll(s[i+1:], " ", ""))
		return command{name: "D", op: opAction, args: []arg{{text: dial}}}, len(s), nil
	case c == 'S':
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == i+1 || j-i-1 > 3 {
			return command{}, 0, errSyntax
		}
		cmd := command{name: "S" + strings.TrimLeft(s[i+1:j], "0")}
		if cmd.name == "S" {
			cmd.name = "S0"
		}
		j = skipSpaces(s, j)
		switch {
		case j < len(s) && s[j] == '?':
			cmd.op = opRead
			return cmd, j + 1, nil
		case j < len(s) && s[j] == '=':
			j = skipSpaces(s, j+1)
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			cmd.op = opSet
			cmd.args = []arg{{text: s[j:k]}}
			return cmd, k, nil
		}
		return command{}, 0, errSyntax
	case c == '&':
		if i+1 >= len(s) || !isLetter(s[i+1]) {
			return command{}, 0, errSyntax
		}
		return basicValue(s, "&"+string(upper(s[i+1])), i+2)
	case isLetter(c):
		return basicValue(s, string(c), i+1)
	}
	return command{}, 0, errSyntax
}

func isLetter(c byte) bool { return 'A' <= upper(c) && upper(c) <= 'Z' }

func basicValue(s, name string, j int) (command, int, error) {
	j = skipSpaces(s, j)
	k := j
	for k < len(s) && isDigit(s[k]) && k-j < 3 {
		k++
	}
	cmd := command{name: name, op: opAction}
	if k > j {
		cmd.args = []arg{{text: s[j:k]}}
	}
	return cmd, k, nil
}

// String formats the command back into AT syntax, quoting strings with the
// \XX escapes a parser reads back unchanged.
func (c command) String() string {
	var b strings.Builder
	b.WriteString(c.name)
	switch {
	case c.name == "D" || (c.op == opAction && len(c.args) > 0):
		if len(c.args) > 0 {
			b.WriteString(c.args[0].text)
		}
	case c.op == opRead:
		b.WriteByte('?')
	case c.op == opTest:
		b.WriteString("=?")
	case c.op == opSet:
		b.WriteByte('=')
		for i, a := range c.args {
			if i > 0 {
				b.WriteByte(',')
			}
			if a.quoted {
				b.WriteString(quote(a.text))
			} else {
				b.WriteString(a.text)
			}
		}
	}
	return b.String()
}

// quote makes a V.250 string constant: '"', '\' and bytes outside printable
// ASCII become \XX, so the result survives any command or response line.
func quote(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' || c < 0x20 || c > 0x7e {
			b.WriteByte('\\')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// formatLine joins commands into one command line (without "AT").
func formatLine(cmds []command) string {
	parts := make([]string, len(cmds))
	for i, c := range cmds {
		parts[i] = c.String()
	}
	return strings.Join(parts, ";")
}
