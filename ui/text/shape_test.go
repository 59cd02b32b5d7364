package text

import (
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"
)

func runes(rs []rune) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%04X", r)
	}
	return s
}

// The expected forms were checked against the Unicode character names
// (e.g. FECB is ARABIC LETTER AIN INITIAL FORM).
func TestShapeNames(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []rune
	}{
		{"علی", []rune{0xFECB, 0xFEE0, 0xFBFD}},                // Ali: ain initial, lam medial, farsi yeh final
		{"سلام", []rune{0xFEB3, 0xFEFC, 0xFEE1}},               // seen initial, lam-alef final, meem isolated after alef
		{"لا", []rune{0xFEFB}},                                 // lam-alef isolated
		{"ہے", []rune{0xFBA8, 0xFBAF}},                         // heh goal initial, yeh barree final
		{"میں", []rune{0xFEE3, 0xFBFF, 0xFB9F}},                // meem initial, farsi yeh medial, noon ghunna final
		{"ا ب", []rune{0xFE8D, ' ', 0xFE8F}},                   // a space breaks joining
		{"ب\u200cب", []rune{0xFE8F, 0x200C, 0xFE8F}},           // ZWNJ breaks joining
		{"ب\u0640", []rune{0xFE91, 0x0640}},                    // tatweel joins
		{"ب\u064eب", []rune{0xFE91, 0x064E, 0xFE90}},           // a fatha is transparent
		{"ٹڈ", []rune{0xFB68, 0xFB89}},                         // tteh initial, ddal final
		{"Ali 12", []rune{'A', 'l', 'i', ' ', '1', '2'}},       // Latin passes through
		{"A\u0644\u0627", []rune{'A', 0xFEFB}},                 // Latin does not join
		{"\u0644\u064e\u0627", []rune{0xFEDF, 0x064E, 0xFE8E}}, // no ligature across a mark
	} {
		got := shape([]rune(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("shape(%q) = [%s], want [%s]", tc.in, runes(got), runes(tc.want))
		}
	}
}

func TestVisualOrder(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Ali (Office) 12", "Ali (Office) 12"}, // no RTL: unchanged
		{"اب ج", "ج با"},                       // RTL paragraph reversed
		{"علی 123", "123 یلع"},                 // digits stay left-to-right
		{"Dr علی Raza", "Dr یلع Raza"},         // LTR paragraph, RTL word inside
		{"(علی)", "(یلع)"},                     // brackets mirror in RTL
		{"ب\u064eج", "جب\u064e"},               // the mark stays after its letter
		{"Cell 12 علی", "Cell 12 یلع"},         // digits after Latin are Latin (W7)
		{"علی, Raza", "Raza ,یلع"},             // RTL paragraph with a Latin word
		{"", ""},
	} {
		got := string(visual([]rune(tc.in)))
		if got != tc.want {
			t.Errorf("visual(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzLayout(f *testing.F) {
	for _, s := range []string{"علی رضا", "Ayesha Khan", "وزارت (داخلہ) 12", "ب\u064e\u200dب", "\xff\xfe", "لا لإ لآ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := []rune(s)
		sh := shape(in)
		if len(sh) > len(in) {
			t.Fatalf("shape grew %d runes to %d", len(in), len(sh))
		}
		v := visual(sh)
		if len(v) != len(sh) {
			t.Fatalf("visual changed the rune count: %d -> %d", len(sh), len(v))
		}
		// visual is a permutation, up to mirrored brackets.
		a, b := slices.Clone(sh), slices.Clone(v)
		for i := range a {
			a[i], b[i] = mirror(mirror(a[i])), mirror(mirror(b[i]))
		}
		count := map[rune]int{}
		for _, r := range a {
			count[mirrorKey(r)]++
		}
		for _, r := range b {
			count[mirrorKey(r)]--
		}
		for r, n := range count {
			if n != 0 {
				t.Fatalf("visual(%q) is not a permutation: %q off by %d", s, r, n)
			}
		}
		if utf8.ValidString(s) && !hasArabic(in) && string(sh) != s {
			t.Fatalf("shape changed text without Arabic: %q -> %q", s, string(sh))
		}
	})
}

// mirrorKey maps a bracket and its mirror to one key.
func mirrorKey(r rune) rune { return min(r, mirror(r)) }
