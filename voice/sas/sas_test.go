package sas

import (
	"bytes"
	"errors"
	"testing"
)

func TestCommitment(t *testing.T) {
	call := []byte("call-1")
	n := NewNonce()
	c := Commit(call, n)
	if err := Check(c, call, n); err != nil {
		t.Fatalf("genuine reveal: %v", err)
	}
	other := bytes.Clone(n)
	other[0] ^= 1
	for name, tc := range map[string]struct{ call, nonce []byte }{
		"other nonce":   {call, other},
		"other call":    {[]byte("call-2"), n},
		"short nonce":   {call, n[:16]},
		"empty nonce":   {call, nil},
		"shifted split": {[]byte("call-"), append([]byte("1"), n[:NonceLen-1]...)},
	} {
		if err := Check(c, tc.call, tc.nonce); !errors.Is(err, ErrCommitment) {
			t.Errorf("%s: err = %v, want ErrCommitment", name, err)
		}
	}
}

func TestDerive(t *testing.T) {
	prk := bytes.Repeat([]byte{1}, 48)
	a, b := NewNonce(), NewNonce()
	c1, err := Derive(prk, a, b)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := Derive(prk, a, b)
	if c1 != c2 || len(c1) != Digits {
		t.Fatalf("codes %q %q", c1, c2)
	}
	if s := c1.String(); len(s) != Digits+1 || s[3] != ' ' {
		t.Fatalf("String() = %q", s)
	}
	// Every input moves the code (a collision is a one-in-a-million accident;
	// these fixed inputs do not hit one).
	prk2 := bytes.Clone(prk)
	prk2[47] ^= 1
	for name, c := range map[string]func() (Code, error){
		"prk":          func() (Code, error) { return Derive(prk2, a, b) },
		"caller nonce": func() (Code, error) { return Derive(prk, b, b) },
		"callee nonce": func() (Code, error) { return Derive(prk, a, a) },
		"swapped":      func() (Code, error) { return Derive(prk, b, a) },
	} {
		got, err := c()
		if err != nil || got == c1 {
			t.Errorf("changing the %s left the code at %q (err %v)", name, got, err)
		}
	}
	if _, err := Derive(prk, a[:5], b); err == nil {
		t.Fatal("short nonce accepted")
	}
}

// TestDigitsSpread is a coarse check that the six digits are not stuck.
func TestDigitsSpread(t *testing.T) {
	prk := bytes.Repeat([]byte{3}, 48)
	var count [Digits][10]int
	for range 2000 {
		c, err := Derive(prk, NewNonce(), NewNonce())
		if err != nil {
			t.Fatal(err)
		}
		for i := range Digits {
			count[i][c[i]-'0']++
		}
	}
	for i := range count {
		for d, n := range count[i] {
			if n < 120 || n > 290 { // expect 200 each; 6 sigma is about ±80
				t.Errorf("digit %d shows %d %d times in 2000", i, d, n)
			}
		}
	}
}
