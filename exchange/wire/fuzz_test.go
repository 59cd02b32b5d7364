package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// FuzzDecode feeds arbitrary frames to Decode in both directions. Whatever
// decodes must re-encode to the same bytes (one encoding per message).
func FuzzDecode(f *testing.F) {
	for _, m := range samples() {
		b, err := Append(nil, 3, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[4:], m.Kind().FromExchange())
	}
	f.Fuzz(func(t *testing.T, frame []byte, fromExchange bool) {
		dir := FromHandset
		if fromExchange {
			dir = FromExchange
		}
		seq, m, err := Decode(frame, dir)
		if err != nil {
			return
		}
		b, err := Append(nil, seq, m)
		if err != nil {
			t.Fatalf("decoded %v does not re-encode: %v", m.Kind(), err)
		}
		if !bytes.Equal(b[4:], frame) {
			t.Fatalf("%v: re-encoding differs:\n got %x\nwant %x", m.Kind(), b[4:], frame)
		}
	})
}

// FuzzReader feeds an arbitrary byte stream to a Reader: it must end with an
// error, never panic, loop or allocate past the cap.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, m := range samples() {
		if !m.Kind().FromExchange() {
			w.Write(m)
		}
	}
	f.Add(buf.Bytes())
	f.Add(binary.BigEndian.AppendUint32(nil, 1<<31))
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := NewReader(bytes.NewReader(stream), FromHandset)
		for i := 0; ; i++ {
			if i > len(stream) {
				t.Fatal("more frames than bytes")
			}
			seq, _, err := r.Read()
			if err != nil {
				if err == io.EOF || errors.Is(err, ErrShort) || errors.Is(err, ErrTooLarge) ||
					errors.Is(err, ErrSeq) || errors.Is(err, ErrVersion) || errors.Is(err, ErrKind) ||
					errors.Is(err, ErrDirection) || errors.Is(err, ErrTrailing) || errors.Is(err, ErrField) ||
					errors.Is(err, ErrFromSet) {
					return
				}
				t.Fatalf("unexpected error class: %v", err)
			}
			if seq != uint64(i+1) {
				t.Fatalf("frame %d has seq %d", i, seq)
			}
		}
	})
}

// FuzzParseWipeOrder checks the wipe-order decoder: canonical, and never a
// panic on Verify.
func FuzzParseWipeOrder(f *testing.F) {
	key, der := testTechnician(f)
	o := &WipeOrder{ID: OrderID{1}, Device: "pk-0001", Issued: 1, Technician: der}
	if err := o.Sign(key); err != nil {
		f.Fatal(err)
	}
	b, err := o.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseWipeOrder(b)
		if err != nil {
			return
		}
		re, err := o.Marshal()
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("re-encoding differs (err %v)", err)
		}
		o.Verify()
	})
}
