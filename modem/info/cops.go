package info

import (
	"fmt"
	"strings"
)

// PLMN is a network's MCC and MNC (TS 23.003 §2.2).
type PLMN struct {
	MCC string // 3 digits
	MNC string // 2 or 3 digits
}

func (p PLMN) String() string { return p.MCC + p.MNC }

// IsZero reports whether p is unset.
func (p PLMN) IsZero() bool { return p.MCC == "" }

// ParsePLMN parses a numeric operator "MCCMNC" of 5 or 6 digits.
func ParsePLMN(s string) (PLMN, error) {
	s = unquote(strings.TrimSpace(s))
	if !isDigits(s) || (len(s) != 5 && len(s) != 6) {
		return PLMN{}, fmt.Errorf("%w: PLMN %q: want 5 or 6 digits", ErrSyntax, s)
	}
	return PLMN{MCC: s[:3], MNC: s[3:]}, nil
}

// COPS is the answer to AT+COPS? (TS 27.007 §7.3).
type COPS struct {
	Mode   int // 0 automatic, 1 manual, 2 deregistered, 3 set format only, 4 manual/automatic
	Format int // 0 long name, 1 short name, 2 numeric; -1 when no operator
	Oper   string
	AcT    AcT
}

// PLMN returns the operator as a PLMN when the format is numeric.
func (c COPS) PLMN() (PLMN, error) {
	if c.Format != 2 {
		return PLMN{}, fmt.Errorf("%w: +COPS format %d is not numeric", ErrSyntax, c.Format)
	}
	return ParsePLMN(c.Oper)
}

// ParseCOPS parses "+COPS: <mode>[,<format>,<oper>[,<AcT>]]".
func ParseCOPS(line string) (COPS, error) {
	b, err := body(line, "+COPS")
	if err != nil {
		return COPS{}, err
	}
	fs, err := fields(b)
	if err != nil {
		return COPS{}, err
	}
	if len(fs) > 4 || len(fs) == 2 {
		return COPS{}, syntaxErr("want <mode>[,<format>,<oper>[,<AcT>]]", line)
	}
	c := COPS{Format: -1, AcT: AcTNone}
	if c.Mode, err = num(fs[0], 0, 4, "mode", line); err != nil {
		return COPS{}, err
	}
	if len(fs) >= 3 {
		if c.Format, err = num(fs[1], 0, 2, "format", line); err != nil {
			return COPS{}, err
		}
		c.Oper = unquote(fs[2])
		if c.Format == 2 {
			if _, err := ParsePLMN(c.Oper); err != nil {
				return COPS{}, syntaxErr("numeric operator", line)
			}
		}
		act, err := optNum(fs, 3, 0, 13, -1, "AcT", line)
		if err != nil {
			return COPS{}, err
		}
		c.AcT = AcT(act)
	}
	return c, nil
}

// Network is one entry of the AT+COPS=? scan.
type Network struct {
	Stat    int // 0 unknown, 1 available, 2 current, 3 forbidden
	Long    string
	Short   string
	Numeric string
	AcT     AcT
}

// ParseCOPSList parses the AT+COPS=? answer:
// "+COPS: (<stat>,"long","short","numeric"[,<AcT>]),...,,(modes),(formats)".
// The lists after the empty field are ignored.
func ParseCOPSList(line string) ([]Network, error) {
	b, err := body(line, "+COPS")
	if err != nil {
		return nil, err
	}
	fs, err := fields(b)
	if err != nil {
		return nil, err
	}
	var out []Network
	for _, f := range fs {
		if f == "" {
			break // ",," starts the supported modes and formats
		}
		if len(f) < 2 || f[0] != '(' || f[len(f)-1] != ')' {
			return nil, syntaxErr("network entry not in parentheses", line)
		}
		inner := f[1 : len(f)-1]
		if inner == "" || inner[0] != '"' && !isDigits(inner[:1]) {
			break // a list of supported values such as (0-4)
		}
		nf, err := fields(inner)
		if err != nil {
			return nil, err
		}
		if len(nf) < 4 || len(nf) > 5 {
			return nil, syntaxErr("network entry: want 4 or 5 fields", line)
		}
		n := Network{Long: unquote(nf[1]), Short: unquote(nf[2]), Numeric: unquote(nf[3]), AcT: AcTNone}
		if n.Stat, err = num(nf[0], 0, 3, "stat", line); err != nil {
			return nil, err
		}
		if _, err := ParsePLMN(n.Numeric); err != nil {
			return nil, syntaxErr("numeric operator", line)
		}
		act, err := optNum(nf, 4, 0, 13, -1, "AcT", line)
		if err != nil {
			return nil, err
		}
		n.AcT = AcT(act)
		out = append(out, n)
		if len(out) > 64 {
			return nil, syntaxErr("more than 64 networks", line)
		}
	}
	return out, nil
}
