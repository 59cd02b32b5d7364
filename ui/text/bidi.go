package text

import (
	"slices"
	"unicode"
)

// bidiClass is a rune's bidirectional class (UAX #9 §3.2), reduced to the
// classes a single line of a name or a label needs: no explicit embeddings,
// isolates or overrides.
type bidiClass uint8

const (
	bidiNeutral bidiClass = iota // spaces, punctuation, symbols (WS, ON, CS, ES, ET)
	bidiL                        // strong left-to-right
	bidiR                        // strong right-to-left (R and AL)
	bidiNum                      // digits (EN and AN)
	bidiMark                     // non-spacing mark (NSM): takes its base's class
)

func classOf(r rune) bidiClass {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me):
		return bidiMark
	case unicode.IsDigit(r):
		return bidiNum
	case unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko):
		if unicode.IsLetter(r) {
			return bidiR
		}
		return bidiNeutral
	case unicode.IsLetter(r):
		return bidiL
	}
	return bidiNeutral
}

// visual returns s, a line in logical order, in the left-to-right order in
// which its glyphs are drawn. It follows UAX #9 for one line without explicit
// formatting characters: the paragraph direction comes from the first strong
// letter (P2, P3); digits after a left-to-right letter are left-to-right
// (W7); neutrals between two runs of one direction take it and others take
// the paragraph's (N1, N2); levels are resolved (I1, I2) and runs reversed
// from the highest level down (L2), keeping each mark after its base so it is
// drawn over it; brackets in right-to-left runs are mirrored (L4).
// Text with no right-to-left letter is returned unchanged.
func visual(s []rune) []rune {
	cls := make([]bidiClass, len(s))
	rtl := false
	for i, r := range s {
		cls[i] = classOf(r)
		rtl = rtl || cls[i] == bidiR
	}
	if !rtl {
		return s
	}
	// W1: a mark takes the class of what it sits on.
	for i := range cls {
		if cls[i] == bidiMark {
			if i == 0 {
				cls[i] = bidiNeutral
			} else {
				cls[i] = cls[i-1]
			}
		}
	}
	para := bidiL
	for _, c := range cls {
		if c == bidiL || c == bidiR {
			para = c
			break
		}
	}
	// W7: digits whose last strong letter is L (or the paragraph, if none) are L.
	last := para
	for i, c := range cls {
		switch c {
		case bidiL, bidiR:
			last = c
		case bidiNum:
			if last == bidiL {
				cls[i] = bidiL
			}
		}
	}
	// N1, N2: resolve runs of neutrals; digits count as R here.
	strong := func(c bidiClass) bidiClass {
		if c == bidiNum {
			return bidiR
		}
		return c
	}
	for i := 0; i < len(cls); {
		if cls[i] != bidiNeutral {
			i++
			continue
		}
		j := i
		for j < len(cls) && cls[j] == bidiNeutral {
			j++
		}
		before, after := para, para
		if i > 0 {
			before = strong(cls[i-1])
		}
		if j < len(cls) {
			after = strong(cls[j])
		}
		dir := para
		if before == after {
			dir = before
		}
		for k := i; k < j; k++ {
			cls[k] = dir
		}
		i = j
	}
	// I1, I2: embedding levels.
	base := 0
	if para == bidiR {
		base = 1
	}
	levels := make([]int, len(s))
	maxLevel := base
	for i, c := range cls {
		l := base
		switch {
		case base == 0 && c == bidiR:
			l = 1
		case base == 0 && c == bidiNum:
			l = 2
		case base == 1 && (c == bidiL || c == bidiNum):
			l = 2
		}
		levels[i] = l
		maxLevel = max(maxLevel, l)
	}
	// Group each base with the marks that follow it, so a reversal keeps
	// the mark drawn after (over) its letter.
	type cluster struct {
		runes []rune
		level int
	}
	var cs []cluster
	for i, r := range s {
		if i > 0 && classOf(r) == bidiMark {
			cs[len(cs)-1].runes = append(cs[len(cs)-1].runes, r)
			continue
		}
		cs = append(cs, cluster{runes: []rune{r}, level: levels[i]})
	}
	// L2: from the highest level down to the lowest odd one, reverse every
	// run at that level or higher.
	for lvl := maxLevel; lvl >= 1; lvl-- {
		for i := 0; i < len(cs); {
			if cs[i].level < lvl {
				i++
				continue
			}
			j := i
			for j < len(cs) && cs[j].level >= lvl {
				j++
			}
			slices.Reverse(cs[i:j])
			i = j
		}
	}
	out := make([]rune, 0, len(s))
	for _, c := range cs {
		for _, r := range c.runes {
			if c.level%2 == 1 {
				r = mirror(r)
			}
			out = append(out, r)
		}
	}
	return out
}

// mirror returns the mirrored glyph of a paired bracket (BidiMirroring.txt).
func mirror(r rune) rune {
	switch r {
	case '(':
		return ')'
	case ')':
		return '('
	case '[':
		return ']'
	case ']':
		return '['
	case '{':
		return '}'
	case '}':
		return '{'
	case '<':
		return '>'
	case '>':
		return '<'
	case '«':
		return '»'
	case '»':
		return '«'
	}
	return r
}
