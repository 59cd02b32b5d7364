package text

import "unicode"

// Forms of an Arabic letter, as indexed in arabicForms.
const (
	formIsolated = iota
	formFinal
	formInitial
	formMedial
)

// joining is a letter's Arabic joining type (Unicode §9.2, ArabicShaping.txt),
// reduced to what shaping needs.
type joining uint8

const (
	joinNone        joining = iota // U: joins neither side (hamza, ZWNJ, Latin)
	joinRight                      // R: joins the letter before it only (alef, dal, reh, waw)
	joinDual                       // D: joins both sides (beh, seen, lam)
	joinCausing                    // C: joins both sides, never changes (tatweel, ZWJ)
	joinTransparent                // T: skipped when finding neighbours (harakat)
)

const (
	zwnj    = 0x200C
	zwj     = 0x200D
	tatweel = 0x0640
	lam     = 0x0644
)

// joiningOf returns r's joining type. It is derived from the presentation
// forms that exist, not from ArabicShaping.txt: a letter that Unicode gives no
// initial or medial form cannot be drawn joined to the next letter with
// forms, so it is treated as right-joining (noon ghunna, for one).
func joiningOf(r rune) joining {
	switch {
	case r == zwj || r == tatweel:
		return joinCausing
	case r == zwnj:
		return joinNone
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return joinTransparent
	}
	fs, ok := arabicForms[r]
	switch {
	case !ok:
		return joinNone
	case fs[formInitial] != 0 && fs[formMedial] != 0:
		return joinDual
	case fs[formFinal] != 0:
		return joinRight
	}
	return joinNone
}

// joinsForward reports whether a letter of type j connects to the one after it.
func joinsForward(j joining) bool { return j == joinDual || j == joinCausing }

// joinsBackward reports whether a letter of type j connects to the one before it.
func joinsBackward(j joining) bool {
	return j == joinDual || j == joinRight || j == joinCausing
}

// shape replaces the Arabic letters of s (in logical order) by the
// presentation form their neighbours call for, and lam followed by alef by
// the mandatory ligature. The fonts map these forms, so no OpenType layout
// engine is needed. Other runes pass through unchanged.
func shape(s []rune) []rune {
	if !hasArabic(s) {
		return s
	}
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); i++ {
		r := s[i]
		j := joiningOf(r)
		if j != joinDual && j != joinRight {
			out = append(out, r)
			continue
		}
		prev := neighbour(s, i, -1)
		joinPrev := prev >= 0 && joinsForward(joiningOf(s[prev]))
		if r == lam && i+1 < len(s) {
			if lig, ok := lamAlef[s[i+1]]; ok {
				if joinPrev {
					out = append(out, lig[1])
				} else {
					out = append(out, lig[0])
				}
				i++
				continue
			}
		}
		next := neighbour(s, i, +1)
		joinNext := j == joinDual && next >= 0 && joinsBackward(joiningOf(s[next]))
		form := formIsolated
		switch {
		case joinPrev && joinNext:
			form = formMedial
		case joinPrev:
			form = formFinal
		case joinNext:
			form = formInitial
		}
		fs := arabicForms[r]
		switch {
		case fs[form] != 0:
			out = append(out, fs[form])
		case fs[formIsolated] != 0:
			out = append(out, fs[formIsolated])
		default:
			out = append(out, r)
		}
	}
	return out
}

// neighbour returns the index of the nearest non-transparent rune before
// (dir -1) or after (dir +1) index i, or -1.
func neighbour(s []rune, i, dir int) int {
	for k := i + dir; k >= 0 && k < len(s); k += dir {
		if joiningOf(s[k]) != joinTransparent {
			return k
		}
	}
	return -1
}

func hasArabic(s []rune) bool {
	for _, r := range s {
		if r >= 0x0600 && r <= 0x06FF {
			return true
		}
	}
	return false
}
