package info

// ParseCFUN parses "+CFUN: <fun>" (TS 27.007 §8.2): 0 minimum, 1 full,
// 4 flight mode; 5 to 127 are vendor levels.
func ParseCFUN(line string) (int, error) {
	b, err := body(line, "+CFUN")
	if err != nil {
		return 0, err
	}
	fs, err := fields(b)
	if err != nil {
		return 0, err
	}
	return num(fs[0], 0, 127, "fun", line)
}

// CEER is the modem's last failure report (TS 27.007 §6.10).
type CEER struct {
	Report string // free text, e.g. "EMM attach reject"
	Cause  int    // a numeric cause after the text, -1 if none
}

// ParseCEER parses "+CEER: <report>". The report is free text; vendors send
// it quoted or bare, some followed by a numeric cause ("...",7).
func ParseCEER(line string) (CEER, error) {
	b, err := body(line, "+CEER")
	if err != nil {
		return CEER{}, err
	}
	c := CEER{Report: b, Cause: -1}
	if len(b) > 0 && b[0] == '"' {
		fs, err := fields(b)
		if err != nil {
			return CEER{}, err
		}
		c.Report = unquote(fs[0])
		if len(fs) > 1 && isDigits(fs[len(fs)-1]) {
			c.Cause, err = num(fs[len(fs)-1], 0, 65535, "cause", line)
			if err != nil {
				return CEER{}, err
			}
		}
	}
	return c, nil
}
