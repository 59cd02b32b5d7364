package info

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("malformed modem line")

func syntaxErr(what, line string) error {
	if len(line) > 120 {
		line = line[:120] + "..."
	}
	return fmt.Errorf("%w: %s: %q", ErrSyntax, what, line)
}

// body returns what follows "<prefix>:" in line.
func body(line, prefix string) (string, error) {
	line = strings.TrimSpace(line)
	if len(line) <= len(prefix) || !strings.EqualFold(line[:len(prefix)], prefix) || line[len(prefix)] != ':' {
		return "", syntaxErr("want "+prefix+":", line)
	}
	return strings.TrimSpace(line[len(prefix)+1:]), nil
}

// fields splits a TS 27.007 parameter list at the commas outside double
// quotes and parentheses, trimming spaces (quotes are kept, so a caller can
// tell "" from an omitted field). A line with an unbalanced quote is an error.
func fields(s string) ([]string, error) {
	var out []string
	start, quoted, depth := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if quoted || depth != 0 {
		return nil, syntaxErr("unbalanced quote or parenthesis", s)
	}
	return append(out, strings.TrimSpace(s[start:])), nil
}

// unquote strips one pair of double quotes, if present.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// num parses a decimal field in [lo, hi].
func num(f string, lo, hi int, what, line string) (int, error) {
	n, err := strconv.Atoi(unquote(f))
	if err != nil || n < lo || n > hi {
		return 0, syntaxErr(fmt.Sprintf("%s %q not in %d..%d", what, f, lo, hi), line)
	}
	return n, nil
}

// optNum is num for an optional field: empty gives def.
func optNum(fs []string, i, lo, hi, def int, what, line string) (int, error) {
	if i >= len(fs) || unquote(fs[i]) == "" {
		return def, nil
	}
	return num(fs[i], lo, hi, what, line)
}

// hexNum parses a hexadecimal string field of at most digits digits.
func hexNum(f string, digits int, what, line string) (uint64, error) {
	s := unquote(f)
	if s == "" || len(s) > digits {
		return 0, syntaxErr(fmt.Sprintf("%s %q: want 1 to %d hex digits", what, f, digits), line)
	}
	n, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, syntaxErr(what+" not hex", line)
	}
	return n, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
