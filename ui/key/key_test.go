package key

import "testing"

func TestNamesRoundTrip(t *testing.T) {
	seen := map[string]Key{}
	for _, k := range All() {
		name := k.String()
		if name == "" {
			t.Fatalf("key %d has no name", uint8(k))
		}
		if other, dup := seen[name]; dup {
			t.Fatalf("keys %d and %d share the name %q", other, k, name)
		}
		seen[name] = k
		got, err := Parse(name)
		if err != nil || got != k {
			t.Fatalf("Parse(%q) = %v, %v; want %v", name, got, err, k)
		}
	}
	if _, err := Parse("none"); err == nil {
		t.Fatal("Parse(\"none\") succeeded; None is not a key a board may emit")
	}
	if _, err := Parse("f13"); err == nil {
		t.Fatal("Parse of an unknown name succeeded")
	}
}

func TestDigitsAndChars(t *testing.T) {
	for d := 0; d <= 9; d++ {
		k := Digit0 + Key(d)
		if got, ok := k.Digit(); !ok || got != d {
			t.Fatalf("%v.Digit() = %d, %v; want %d, true", k, got, ok, d)
		}
		if got := k.Char(); got != byte('0'+d) {
			t.Fatalf("%v.Char() = %q, want %q", k, got, byte('0'+d))
		}
	}
	if Star.Char() != '*' || Hash.Char() != '#' || OK.Char() != 0 {
		t.Fatal("Char of *, # or OK is wrong")
	}
	if _, ok := Call.Digit(); ok {
		t.Fatal("Call reported as a digit")
	}
}

func TestOnlyNavigationRepeats(t *testing.T) {
	for _, k := range All() {
		_, digit := k.Digit()
		if k.Repeats() && (digit || k == Call || k == End || k == OK || k == Power) {
			t.Fatalf("%v repeats; holding it would act twice", k)
		}
	}
	if !Down.Repeats() || !Clear.Repeats() {
		t.Fatal("Down or Clear does not repeat")
	}
}
