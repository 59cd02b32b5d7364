package audio

import (
	"encoding/binary"
	"fmt"
	"io"
)

// RawSource reads interleaved signed 16-bit little-endian samples (what sox
// calls "-t raw -e signed -b 16") from a stream such as a pipe.
type RawSource struct {
	r      io.Reader
	format Format
	buf    []byte
	eof    bool
	closed bool
}

// NewRawSource returns a Source reading frames of f from r. Close closes r if
// it is an io.Closer.
func NewRawSource(r io.Reader, f Format) (*RawSource, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &RawSource{r: r, format: f, buf: make([]byte, 2*f.FrameLen())}, nil
}

// Format implements Source.
func (s *RawSource) Format() Format { return s.format }

// ReadFrame implements Source; a stream ending mid-frame is padded with silence.
func (s *RawSource) ReadFrame(pcm []int16) error {
	if s.closed {
		return ErrClosed
	}
	if err := checkFrame(s.format, pcm); err != nil {
		return err
	}
	if s.eof {
		return io.EOF
	}
	n, err := io.ReadFull(s.r, s.buf)
	n -= n % 2
	for i := range n / 2 {
		pcm[i] = int16(binary.LittleEndian.Uint16(s.buf[2*i:]))
	}
	clear(pcm[n/2:])
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		s.eof = true
		if n == 0 {
			return io.EOF
		}
	case err != nil:
		return fmt.Errorf("audio: raw read: %w", err)
	}
	return nil
}

// Close implements Source.
func (s *RawSource) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if c, ok := s.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// RawSink writes interleaved signed 16-bit little-endian samples.
type RawSink struct {
	w      io.Writer
	format Format
	buf    []byte
	closed bool
}

// NewRawSink returns a Sink writing frames of f to w. Close closes w if it is
// an io.Closer.
func NewRawSink(w io.Writer, f Format) (*RawSink, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &RawSink{w: w, format: f, buf: make([]byte, 2*f.FrameLen())}, nil
}

// Format implements Sink.
func (s *RawSink) Format() Format { return s.format }

// WriteFrame implements Sink.
func (s *RawSink) WriteFrame(pcm []int16) error {
	if s.closed {
		return ErrClosed
	}
	if err := checkFrame(s.format, pcm); err != nil {
		return err
	}
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(s.buf[2*i:], uint16(v))
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("audio: raw write: %w", err)
	}
	return nil
}

// Close implements Sink.
func (s *RawSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if c, ok := s.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
