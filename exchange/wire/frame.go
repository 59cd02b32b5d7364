package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Append appends the frame carrying m, numbered seq, to dst. It refuses a
// message that would not decode on the other side (a field too long, an ID
// outside its alphabet, ...), so a valid peer never sends a frame that is
// refused for its form.
func Append(dst []byte, seq uint64, m Message) ([]byte, error) {
	if seq == 0 {
		return dst, fmt.Errorf("wire: encode %v: sequence number 0", m.Kind())
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, Version, byte(m.Kind()))
	dst = binary.BigEndian.AppendUint64(dst, seq)
	e := encoder{b: dst}
	m.encode(&e)
	dst = e.b
	n := len(dst) - start - 4
	dir := FromHandset
	if m.Kind().FromExchange() {
		dir = FromExchange
	}
	if n > dir.Max() {
		return dst[:start], fmt.Errorf("wire: encode %v: %w: %d bytes, cap %d", m.Kind(), ErrTooLarge, n, dir.Max())
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	if _, _, err := Decode(dst[start+4:], dir); err != nil {
		return dst[:start], fmt.Errorf("wire: encode %v: %w", m.Kind(), err)
	}
	return dst, nil
}

// Decode decodes one frame (without its length prefix) sent in direction
// dir. Byte fields of the result alias frame.
func Decode(frame []byte, dir Dir) (seq uint64, m Message, err error) {
	if len(frame) > dir.Max() {
		return 0, nil, fmt.Errorf("%w: %d bytes, cap %d", ErrTooLarge, len(frame), dir.Max())
	}
	if len(frame) < headerLen {
		return 0, nil, fmt.Errorf("%w: %d-byte frame", ErrShort, len(frame))
	}
	if frame[0] != Version {
		return 0, nil, fmt.Errorf("%w: %d", ErrVersion, frame[0])
	}
	k := Kind(frame[1])
	m = newMessage(k)
	if m == nil {
		return 0, nil, fmt.Errorf("%w: %v", ErrKind, k)
	}
	if k.FromExchange() != (dir == FromExchange) {
		return 0, nil, fmt.Errorf("%w: %v in %v", ErrDirection, k, dir)
	}
	seq = binary.BigEndian.Uint64(frame[2:])
	if seq == 0 {
		return 0, nil, fmt.Errorf("%w: sequence number 0", ErrSeq)
	}
	d := decoder{b: frame[headerLen:]}
	m.decode(&d)
	if err := d.end(); err != nil {
		return 0, nil, fmt.Errorf("decode %v: %w", k, err)
	}
	return seq, m, nil
}

// Reader reads frames from a stream and checks that their sequence numbers
// run 1, 2, 3, ... It allocates each frame afresh, so a message stays valid
// after the next Read; it keeps no buffer between reads, which keeps an idle
// connection small.
type Reader struct {
	r   io.Reader
	dir Dir
	seq uint64
}

// NewReader reads frames sent in direction dir from r.
func NewReader(r io.Reader, dir Dir) *Reader { return &Reader{r: r, dir: dir} }

// Read returns the next message and its sequence number. io.EOF means the
// stream ended cleanly between frames.
func (r *Reader) Read() (uint64, Message, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: in length prefix", ErrShort)
		}
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if int64(n) > int64(r.dir.Max()) {
		return 0, nil, fmt.Errorf("%w: %d bytes announced, cap %d", ErrTooLarge, n, r.dir.Max())
	}
	if n < headerLen {
		return 0, nil, fmt.Errorf("%w: %d-byte frame", ErrShort, n)
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(r.r, frame); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: %d-byte frame cut short", ErrShort, n)
		}
		return 0, nil, err
	}
	seq, m, err := Decode(frame, r.dir)
	if err != nil {
		return 0, nil, err
	}
	if seq != r.seq+1 {
		return 0, nil, fmt.Errorf("%w: got %d after %d", ErrSeq, seq, r.seq)
	}
	r.seq = seq
	return seq, m, nil
}

// Writer numbers and writes frames. It is not safe for concurrent use: one
// goroutine owns a connection's writes.
type Writer struct {
	w   io.Writer
	seq uint64
	buf []byte
}

// NewWriter writes frames to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Next is the sequence number the next Write will use.
func (w *Writer) Next() uint64 { return w.seq + 1 }

// Write sends m as the next frame and returns its sequence number.
func (w *Writer) Write(m Message) (uint64, error) {
	b, err := Append(w.buf[:0], w.seq+1, m)
	if err != nil {
		return 0, err
	}
	if _, err := w.w.Write(b); err != nil {
		return 0, fmt.Errorf("wire: write %v: %w", m.Kind(), err)
	}
	w.seq++
	// Keep a small buffer for the next frame; drop a big one (a bundle) so
	// an idle connection does not hold megabytes.
	if cap(b) <= 4<<10 {
		w.buf = b
	} else {
		w.buf = nil
	}
	return w.seq, nil
}
