package screen

import (
	"strings"
	"unicode"
)

// keypadDigit returns the E.161 key a letter is on (ITU-T E.161 §3: ABC on
// 2 ... WXYZ on 9), a digit's own key, or 0 for anything else. Accented
// Latin letters count as their base letter.
func keypadDigit(r rune) byte {
	r = unicode.ToLower(foldAccent(r))
	switch {
	case r >= '0' && r <= '9':
		return byte(r)
	case r >= 'a' && r <= 'c':
		return '2'
	case r >= 'd' && r <= 'f':
		return '3'
	case r >= 'g' && r <= 'i':
		return '4'
	case r >= 'j' && r <= 'l':
		return '5'
	case r >= 'm' && r <= 'o':
		return '6'
	case r >= 'p' && r <= 's':
		return '7'
	case r >= 't' && r <= 'v':
		return '8'
	case r >= 'w' && r <= 'z':
		return '9'
	}
	return 0
}

// foldAccent maps the accented Latin letters found in transliterated names
// to their base letter.
func foldAccent(r rune) rune {
	switch unicode.ToLower(r) {
	case 'á', 'à', 'â', 'ä', 'ā':
		return 'a'
	case 'é', 'è', 'ê', 'ë', 'ē':
		return 'e'
	case 'í', 'ì', 'î', 'ï', 'ī':
		return 'i'
	case 'ó', 'ò', 'ô', 'ö', 'ō':
		return 'o'
	case 'ú', 'ù', 'û', 'ü', 'ū':
		return 'u'
	}
	return r
}

// Matches reports whether the keypad digits q select a contact named name:
// some word of the name, read on into the words after it, starts with
// letters on those keys: "72" finds Raza and Parveen, and "2547" finds Ali
// Raza, "ali" running on into "r". Digits in the name match themselves.
// Letters of other scripts have no keys and match nothing, so an Urdu-only
// name is found by scrolling. An empty query matches every name.
func Matches(name, q string) bool {
	if q == "" {
		return true
	}
	var seq []byte   // the name as keypad digits, words run together
	var starts []int // where each word starts in seq
	word := false
	for _, r := range name {
		d := keypadDigit(r)
		if d == 0 {
			word = false
			continue
		}
		if !word {
			starts = append(starts, len(seq))
			word = true
		}
		seq = append(seq, d)
	}
	for _, s := range starts {
		if strings.HasPrefix(string(seq[s:]), q) {
			return true
		}
	}
	return false
}
