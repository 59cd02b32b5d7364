package wire

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

var call = CallID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

// samples has one valid message of every kind.
func samples() []Message {
	return []Message{
		&Hello{Directory: 7, Revocations: 3, Software: "phoned 0.1"},
		&Ping{Nonce: 42},
		&Route{Envelope{Kind: Invite, Call: call, To: "pk-0002", Body: []byte("signed offer")}},
		&TURNRequest{Call: call, To: "pk-0002"},
		&SelfRevoke{Request: []byte("signed request")},
		&WipeAck{Order: OrderID{9}},
		&Welcome{Device: "pk-0001", Group: 4589, Time: 1764331200000, Directory: 7, Revocations: 3},
		&Pong{Nonce: 42},
		&Routed{Envelope{Kind: Candidate, Call: call, From: "pk-0001", To: "pk-0002", Body: []byte{0, 1, 2}}},
		&TURNGrant{Call: call, Username: "1764331800:pk-0001", Password: "c2VjcmV0", Expires: 1764331800,
			URLs: []string{"turn:10.0.0.1:3478?transport=udp", "turns:10.0.0.1:5349?transport=tcp"}},
		&Presence{Full: true, Online: []string{"pk-0002", "pk-0003"}},
		&Presence{Online: []string{"pk-0002"}, Offline: []string{"pk-0003"}},
		&DirectoryPush{Bundle: []byte("directory")},
		&RevocationPush{Bundle: []byte("revocations")},
		&Wipe{Order: []byte("order")},
		&Error{Re: 5, Call: call, Code: "not-allowed", Reason: "policy does not let pk-0001 call pk-0009"},
		&CallEnded{Call: call, Code: "revoked"},
	}
}

func dirOf(m Message) Dir {
	if m.Kind().FromExchange() {
		return FromExchange
	}
	return FromHandset
}

func TestRoundTripEveryKind(t *testing.T) {
	seen := map[Kind]bool{}
	for _, m := range samples() {
		b, err := Append(nil, 9, m)
		if err != nil {
			t.Fatalf("Append(%v): %v", m.Kind(), err)
		}
		if got := int(binary.BigEndian.Uint32(b)); got != len(b)-4 {
			t.Fatalf("%v: length prefix %d, frame %d", m.Kind(), got, len(b)-4)
		}
		seq, got, err := Decode(b[4:], dirOf(m))
		if err != nil {
			t.Fatalf("Decode(%v): %v", m.Kind(), err)
		}
		if seq != 9 || !reflect.DeepEqual(got, m) {
			t.Fatalf("%v: got seq %d %#v, want %#v", m.Kind(), seq, got, m)
		}
		seen[m.Kind()] = true
	}
	for k := range kindNames {
		if !seen[k] {
			t.Errorf("kind %v has no round-trip sample", k)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	valid := func(m Message) []byte {
		b, err := Append(nil, 1, m)
		if err != nil {
			t.Fatal(err)
		}
		return b[4:]
	}
	route := valid(&Route{Envelope{Kind: Hangup, Call: call, To: "pk-0002"}})
	mutate := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	// Offsets in a Route frame: header 10, route kind 10, call 11..27, from len 27..29.
	cases := []struct {
		name  string
		frame []byte
		dir   Dir
		want  error
	}{
		{"empty", nil, FromHandset, ErrShort},
		{"version 2", mutate(route, func(b []byte) []byte { b[0] = 2; return b }), FromHandset, ErrVersion},
		{"unknown kind", mutate(route, func(b []byte) []byte { b[1] = 0x7f; return b }), FromHandset, ErrKind},
		{"exchange kind from handset", valid(&Pong{Nonce: 1}), FromHandset, ErrDirection},
		{"handset kind from exchange", route, FromExchange, ErrDirection},
		{"seq 0", mutate(route, func(b []byte) []byte { copy(b[2:10], make([]byte, 8)); return b }), FromHandset, ErrSeq},
		{"trailing byte", append(append([]byte(nil), route...), 0), FromHandset, ErrTrailing},
		{"truncated", route[:len(route)-1], FromHandset, ErrShort},
		{"bad route kind", mutate(route, func(b []byte) []byte { b[10] = 0; return b }), FromHandset, ErrField},
		{"zero call", mutate(route, func(b []byte) []byte { copy(b[11:27], make([]byte, 16)); return b }), FromHandset, ErrField},
		{"bad boolean", mutate(valid(&Presence{Full: true}), func(b []byte) []byte { b[10] = 2; return b }), FromExchange, ErrField},
		{"huge presence count", mutate(valid(&Presence{}), func(b []byte) []byte { binary.BigEndian.PutUint32(b[11:], 1<<30); return b }), FromExchange, ErrField},
		{"oversize", make([]byte, MaxHandsetFrame+1), FromHandset, ErrTooLarge},
	}
	for _, c := range cases {
		if _, _, err := Decode(c.frame, c.dir); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

func TestHandsetCannotSetSender(t *testing.T) {
	// Build the frame by hand: Append refuses to encode it.
	e := encoder{}
	e.u8(1)
	e.u8(byte(KindRoute))
	e.u64(1)
	(&Envelope{Kind: Invite, Call: call, From: "pk-0001", To: "pk-0002"}).encode(&e)
	if _, _, err := Decode(e.b, FromHandset); !errors.Is(err, ErrFromSet) {
		t.Fatalf("err %v, want ErrFromSet", err)
	}
	if _, err := Append(nil, 1, &Route{Envelope{Kind: Invite, Call: call, From: "pk-0001", To: "pk-0002"}}); !errors.Is(err, ErrFromSet) {
		t.Fatalf("Append: err %v, want ErrFromSet", err)
	}
	// And the exchange must set it.
	if _, err := Append(nil, 1, &Routed{Envelope{Kind: Invite, Call: call, To: "pk-0002"}}); !errors.Is(err, ErrField) {
		t.Fatalf("Routed without From: err %v, want ErrField", err)
	}
}

func TestAppendRefusesInvalidFields(t *testing.T) {
	bad := []Message{
		&Route{Envelope{Kind: Invite, Call: call, To: "has space"}},
		&Route{Envelope{Kind: Invite, Call: call, To: strings.Repeat("a", 33)}},
		&Route{Envelope{Kind: Invite, Call: call, To: "x:y"}},
		&Route{Envelope{Kind: Invite, Call: call, To: "pk-2", Body: make([]byte, MaxBody+1)}},
		&Error{Code: "Not Allowed"},
		&Error{Code: "x", Reason: "line\nbreak"},
		&Error{Code: "x", Reason: string([]byte{0xff})},
		&Hello{Software: strings.Repeat("v", 70000)},
		&TURNGrant{Call: call, Username: "u", Password: "p"},
		&DirectoryPush{},
	}
	for _, m := range bad {
		if _, err := Append(nil, 1, m); err == nil {
			t.Errorf("Append(%#v) succeeded", m)
		}
	}
	if _, err := Append(nil, 0, &Ping{}); err == nil {
		t.Error("Append with seq 0 succeeded")
	}
}

func TestExchangeFramesMayCarryBigBundles(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 1<<20)
	b, err := Append(nil, 1, &DirectoryPush{Bundle: big})
	if err != nil {
		t.Fatal(err)
	}
	_, m, err := NewReader(bytes.NewReader(b), FromExchange).Read()
	if err != nil || !bytes.Equal(m.(*DirectoryPush).Bundle, big) {
		t.Fatalf("read back: %v", err)
	}
	if _, err := Append(nil, 1, &DirectoryPush{Bundle: make([]byte, MaxExchangeFrame)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over-cap bundle: err %v", err)
	}
}

func TestReaderSequenceAndCaps(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range 3 {
		if seq, err := w.Write(&Ping{Nonce: uint64(i)}); err != nil || seq != uint64(i+1) {
			t.Fatalf("Write %d: seq %d err %v", i, seq, err)
		}
	}
	stream := buf.Bytes()
	r := NewReader(bytes.NewReader(stream), FromHandset)
	for i := range 3 {
		seq, m, err := r.Read()
		if err != nil || seq != uint64(i+1) || m.(*Ping).Nonce != uint64(i) {
			t.Fatalf("Read %d: seq %d %v err %v", i, seq, m, err)
		}
	}
	if _, _, err := r.Read(); err != io.EOF {
		t.Fatalf("at end: err %v, want io.EOF", err)
	}

	// A replayed frame (the first one twice) is refused.
	one := stream[:len(stream)/3]
	r = NewReader(bytes.NewReader(append(append([]byte(nil), one...), one...)), FromHandset)
	if _, _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Read(); !errors.Is(err, ErrSeq) {
		t.Fatalf("replayed frame: err %v, want ErrSeq", err)
	}

	// A length over the cap is refused before the body is read.
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], MaxHandsetFrame+1)
	if _, _, err := NewReader(bytes.NewReader(hdr[:]), FromHandset).Read(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize length: err %v", err)
	}
	// A stream cut inside a frame is ErrShort, not EOF.
	if _, _, err := NewReader(bytes.NewReader(stream[:6]), FromHandset).Read(); !errors.Is(err, ErrShort) {
		t.Fatalf("cut frame: err %v", err)
	}
	if _, _, err := NewReader(bytes.NewReader(stream[:2]), FromHandset).Read(); !errors.Is(err, ErrShort) {
		t.Fatalf("cut prefix: err %v", err)
	}
}

func testTechnician(t testing.TB) (*ecdsa.PrivateKey, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tech-1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

func TestWipeOrderSignVerify(t *testing.T) {
	key, der := testTechnician(t)
	o := &WipeOrder{ID: NewOrderID(), Device: "pk-0001", Issued: 1764331200, Technician: der}
	if err := o.Sign(key); err != nil {
		t.Fatal(err)
	}
	b, err := o.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseWipeOrder(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, o) {
		t.Fatalf("parsed %#v, want %#v", got, o)
	}
	if cert, err := got.Verify(); err != nil || cert.Subject.CommonName != "tech-1" {
		t.Fatalf("Verify: %v", err)
	}
	// Retargeting the order at another device breaks the signature.
	got.Device = "pk-0002"
	if _, err := got.Verify(); !errors.Is(err, ErrWipeSignature) {
		t.Fatalf("retargeted order: err %v", err)
	}
	// So does a flipped bit anywhere in the signed part.
	for i := 1; i < len(b)-len(o.Signature)-2; i++ {
		c := append([]byte(nil), b...)
		c[i] ^= 1
		p, err := ParseWipeOrder(c)
		if err != nil {
			continue // form broken: refused anyway
		}
		if _, err := p.Verify(); err == nil {
			t.Fatalf("bit flip at %d still verifies", i)
		}
	}
	// A P-256 key is not accepted.
	weak, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err := o.Sign(weak); !errors.Is(err, ErrWipeKey) {
		t.Fatalf("P-256 signer: err %v", err)
	}
}
