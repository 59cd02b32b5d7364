package directory_test

import (
	"bytes"
	"errors"
	"testing"

	"mehfooz/trust"
	"mehfooz/trust/bundle"
	"mehfooz/trust/directory"
	"mehfooz/trust/trusttest"
)

func fp(b byte) trust.Fingerprint { return trust.Fingerprint{b} }

// sample is a small ministry: ministers call anyone, staff call staff and
// their minister's office, the minister's office is reachable by staff.
func sample() *directory.Directory {
	return &directory.Directory{
		Version: 7,
		Entries: []directory.Entry{
			{ID: "pk-0003", Name: "نسرین اختر", Office: "ڈپٹی سیکرٹری", Fingerprint: fp(3), Groups: []string{"staff"}},
			{ID: "pk-0001", Name: "عمران علی", Office: "وزیر داخلہ", Fingerprint: fp(1), Groups: []string{"ministers"}},
			{ID: "pk-0002", Name: "Sana Malik", Office: "Secretary", Fingerprint: fp(2), Groups: []string{"staff", "office-interior"}},
		},
		Rules: []directory.Rule{
			{From: "ministers", To: "staff"}, {From: "ministers", To: "ministers"},
			{From: "staff", To: "staff"}, {From: "staff", To: "office-interior"},
			{From: "office-interior", To: "ministers"},
		},
	}
}

func TestEncodeDecodeRoundTripCanonical(t *testing.T) {
	body, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := directory.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Entries) != 3 || d.Entries[0].ID != "pk-0001" || d.Entries[0].Name != "عمران علی" {
		t.Fatalf("decoded entries %+v", d.Entries)
	}
	again, _ := d.Encode()
	if !bytes.Equal(again, body) {
		t.Fatal("re-encoding differs: encoding is not deterministic")
	}
	// A shuffled input encodes identically.
	s := sample()
	s.Entries[0], s.Entries[2] = s.Entries[2], s.Entries[0]
	s.Rules[0], s.Rules[4] = s.Rules[4], s.Rules[0]
	if b2, _ := s.Encode(); !bytes.Equal(b2, body) {
		t.Fatal("order of input changed the encoding")
	}
}

func TestMayCallFollowsPolicy(t *testing.T) {
	d, _ := directory.Decode(must(sample().Encode()))
	for _, tc := range []struct {
		from, to trust.DeviceID
		want     error
	}{
		{"pk-0001", "pk-0002", nil},                    // minister -> staff
		{"pk-0003", "pk-0002", nil},                    // staff -> staff
		{"pk-0002", "pk-0001", nil},                    // office-interior -> minister
		{"pk-0003", "pk-0001", trust.ErrPolicyForbids}, // plain staff may not call the minister
		{"pk-0001", "pk-0001", trust.ErrPolicyForbids}, // not itself
		{"pk-0001", "pk-0099", trust.ErrNotInDirectory},
		{"pk-0099", "pk-0001", trust.ErrNotInDirectory},
	} {
		if err := d.MayCall(tc.from, tc.to); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("MayCall(%s, %s) = %v, want %v", tc.from, tc.to, err, tc.want)
		}
	}
	var ids []trust.DeviceID
	for _, e := range d.Contacts("pk-0003") {
		ids = append(ids, e.ID)
	}
	if len(ids) != 1 || ids[0] != "pk-0002" {
		t.Fatalf("Contacts(pk-0003) = %v, want [pk-0002]", ids)
	}
}

func TestCheckNotListedAndFingerprint(t *testing.T) {
	d, _ := directory.Decode(must(sample().Encode()))
	if _, err := d.Check("pk-0002", fp(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Check("pk-0002", fp(9)); !errors.Is(err, trust.ErrFingerprintMismatch) {
		t.Errorf("wrong fingerprint: %v", err)
	}
	if _, err := d.Check("pk-0077", fp(2)); !errors.Is(err, trust.ErrNotInDirectory) {
		t.Errorf("not listed: %v", err)
	}
}

func TestCanonicalRefusesBadInput(t *testing.T) {
	for name, mut := range map[string]func(*directory.Directory){
		"duplicate id":       func(d *directory.Directory) { d.Entries[1].ID = d.Entries[0].ID },
		"bad id":             func(d *directory.Directory) { d.Entries[0].ID = "PK 1" },
		"bidi override":      func(d *directory.Directory) { d.Entries[0].Name = "abc\u202edef" },
		"control char":       func(d *directory.Directory) { d.Entries[0].Office = "a\nb" },
		"invalid utf-8":      func(d *directory.Directory) { d.Entries[0].Name = "\xff" },
		"long name":          func(d *directory.Directory) { d.Entries[0].Name = string(bytes.Repeat([]byte("ب"), 200)) },
		"repeated group":     func(d *directory.Directory) { d.Entries[0].Groups = []string{"staff", "staff"} },
		"bad group in rule":  func(d *directory.Directory) { d.Rules[0].To = "Staff!" },
		"bad group in entry": func(d *directory.Directory) { d.Entries[0].Groups = []string{"x"} },
	} {
		d := sample()
		mut(d)
		if _, err := d.Encode(); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
	// ZWNJ is part of Urdu spelling and stays allowed.
	d := sample()
	d.Entries[0].Name = "می\u200cخواهم"
	if _, err := d.Encode(); err != nil {
		t.Errorf("ZWNJ refused: %v", err)
	}
}

func TestDecodeRefusesNonCanonical(t *testing.T) {
	body := must(sample().Encode())
	// Swap the first two entries' IDs in place: same length, wrong order.
	swapped := bytes.Replace(bytes.Clone(body), []byte("pk-0001"), []byte("pk-0009"), 1)
	if _, err := directory.Decode(swapped); !errors.Is(err, trust.ErrMalformed) {
		t.Errorf("out-of-order entries: %v", err)
	}
	if _, err := directory.Decode(append(bytes.Clone(body), 0)); !errors.Is(err, trust.ErrMalformed) {
		t.Errorf("trailing byte: %v", err)
	}
	if _, err := directory.Decode([]byte{0xff, 0xff}); !errors.Is(err, trust.ErrMalformed) {
		t.Errorf("65535 entries claimed: %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	f := trusttest.New(t)
	d := sample()
	d.IssuedAt = f.Clock.Now()
	raw, err := directory.Sign(d, f.PublisherKey, f.PublisherCert)
	if err != nil {
		t.Fatal(err)
	}
	got, err := directory.Verify(raw, f.Verifier)
	if err != nil || got.Version != 7 || len(got.Entries) != 3 {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzDecode(f *testing.F) {
	f.Add(must(sample().Encode()))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > bundle.MaxBody {
			return
		}
		d, err := directory.Decode(body)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to exactly the same bytes.
		again, err := d.Encode()
		if err != nil {
			t.Fatalf("decoded directory does not encode: %v", err)
		}
		if !bytes.Equal(again, body) {
			t.Fatalf("non-canonical input accepted:\n in %x\nout %x", body, again)
		}
	})
}
