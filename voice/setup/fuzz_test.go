package setup

import (
	"bytes"
	"crypto/mlkem"
	"errors"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/internal/testpki"
)

// sentinels are the only errors Open may return.
var sentinels = []error{ErrMalformed, ErrCertificate, ErrSignature, ErrPeer, ErrRetargeted, ErrStale, ErrReplay, ErrNoInnerLayer, ErrFingerprint}

func fuzzSeeds(f *testing.F) (Identity, *Receiver, *clock.Fake) {
	ca := testpki.NewCA(f, "enrollment")
	a, b := ca.Device(f, "alice"), ca.Device(f, "bob")
	dir := testpki.NewDirectory(ca.Pool).Add(a, b)
	clk := clock.NewFake(time.Now())
	alice := Identity{DeviceID: a.ID, Cert: a.Cert, Key: a.Key}
	bob := Identity{DeviceID: b.ID, Cert: b.Cert, Key: b.Key}
	dk, _ := mlkem.GenerateKey1024()
	sdp := "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=fingerprint:" + FormatFingerprint(Fingerprint(a.Cert)) + "\r\n"
	var ref [RefLen]byte
	ref[3] = 9
	for _, m := range []*Message{
		{Kind: KindInvite, SDP: sdp, KEM: dk.EncapsulationKey().Bytes(), SAS: make([]byte, CommitLen)},
		{Kind: KindAnswer, SDP: sdp, KEM: make([]byte, mlkem.CiphertextSize1024), SAS: make([]byte, SASNonceLen), Ref: ref},
		{Kind: KindHangUp, Reason: "hung-up", Ref: ref},
		{Kind: KindHold, On: true, Ref: ref},
	} {
		m.To, m.ToFP, m.Seq, m.Time = "bob", Fingerprint(b.Cert), 1, clk.Now()
		raw, _, err := Sign(m, alice)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte("MZE1"))
	return bob, NewReceiver(bob, dir, clk), clk
}

// FuzzOpen feeds arbitrary bytes to the receiver: nothing may panic, every
// refusal wraps one of the package's sentinels, and whatever is accepted
// re-encodes to the very body that was signed.
func FuzzOpen(f *testing.F) {
	_, rx, _ := fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		rx.mu.Lock()
		clear(rx.seen) // every input is judged on its own
		rx.mu.Unlock()
		s, err := rx.Open(raw)
		if err != nil {
			for _, want := range sentinels {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("Open error %v wraps no sentinel", err)
		}
		e, _ := decodeEnvelope(raw)
		body, err := encodeBody(&s.Message)
		if err != nil || !bytes.Equal(body, e.body) {
			t.Fatalf("accepted body does not re-encode to itself: %v", err)
		}
	})
}

// FuzzDecodeBody checks that the body decoder is strict: anything it accepts
// encodes back to exactly the same bytes, so no two encodings of one message
// exist for a signature to cover ambiguously.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte("MZS1"))
	_, _, _ = fuzzSeeds(f)
	var ref [RefLen]byte
	ref[0] = 1
	for _, m := range []*Message{
		{Kind: KindRinging, From: "a", To: "b", Seq: 1, Ref: ref},
		{Kind: KindRefuse, From: "a", To: "b", Seq: 7, Ref: ref, Reason: "security: replay"},
	} {
		b, err := encodeBody(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeBody(b, true)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoInnerLayer) {
				t.Fatalf("decode error %v is not ErrMalformed", err)
			}
			return
		}
		again, err := encodeBody(m)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded %+v re-encodes to %x (%v), not %x", m, again, err, b)
		}
	})
}
