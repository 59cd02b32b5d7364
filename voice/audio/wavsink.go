package audio

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

const wavHeaderLen = 44

// WAVSink writes frames as a 16-bit PCM WAV stream to a seekable writer; the
// sizes in the header are filled in by Close.
type WAVSink struct {
	w      io.WriteSeeker
	format Format
	data   int64 // data bytes written
	buf    []byte
	closed bool
}

// NewWAVSink writes a WAV header for f to w and returns a Sink that appends
// frames. Close patches the header and closes w if it is an io.Closer.
func NewWAVSink(w io.WriteSeeker, f Format) (*WAVSink, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	s := &WAVSink{w: w, format: f, buf: make([]byte, 2*f.FrameLen())}
	if _, err := w.Write(s.header()); err != nil {
		return nil, fmt.Errorf("audio: wav header: %w", err)
	}
	return s, nil
}

func (s *WAVSink) header() []byte {
	f := s.format
	h := make([]byte, wavHeaderLen)
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(36+s.data))
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], wavFormatPCM)
	le.PutUint16(h[22:], uint16(f.Channels))
	le.PutUint32(h[24:], uint32(f.Rate))
	le.PutUint32(h[28:], uint32(f.Rate*f.Channels*2))
	le.PutUint16(h[32:], uint16(f.Channels*2))
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], uint32(s.data))
	return h
}

// Format implements Sink.
func (s *WAVSink) Format() Format { return s.format }

// WriteFrame implements Sink.
func (s *WAVSink) WriteFrame(pcm []int16) error {
	if s.closed {
		return ErrClosed
	}
	if err := checkFrame(s.format, pcm); err != nil {
		return err
	}
	if s.data+int64(len(s.buf)) > math.MaxUint32-36 {
		return fmt.Errorf("audio: wav data would exceed 4 GiB")
	}
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(s.buf[2*i:], uint16(v))
	}
	n, err := s.w.Write(s.buf)
	s.data += int64(n)
	if err != nil {
		return fmt.Errorf("audio: wav write: %w", err)
	}
	return nil
}

// Close implements Sink: it writes the final sizes into the header.
func (s *WAVSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.finish()
	if c, ok := s.w.(io.Closer); ok {
		if cerr := c.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("audio: wav close: %w", cerr)
		}
	}
	return err
}

func (s *WAVSink) finish() error {
	if _, err := s.w.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("audio: wav finish: %w", err)
	}
	if _, err := s.w.Write(s.header()); err != nil {
		return fmt.Errorf("audio: wav finish: %w", err)
	}
	if _, err := s.w.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("audio: wav finish: %w", err)
	}
	return nil
}

// WAVFile is a WAVSink that appears at its path only when complete: frames go
// to a temporary file in the same directory, and Close patches the header,
// syncs, and renames it into place, so a crash or power cut mid-recording
// never leaves a half-written file under the final name.
type WAVFile struct {
	*WAVSink
	f    *os.File
	path string
	done bool
}

// CreateWAV starts a WAV recording that will be named path on Close.
func CreateWAV(path string, f Format) (*WAVFile, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("audio: create wav: %w", err)
	}
	sink, err := NewWAVSink(tmp, f)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	// The sink must not close the file: Close syncs and renames first.
	sink.w = fileNoClose{tmp}
	return &WAVFile{WAVSink: sink, f: tmp, path: path}, nil
}

type fileNoClose struct{ *os.File }

func (f fileNoClose) Close() error { return nil }

// Close finishes the file and renames it to its final path.
func (w *WAVFile) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	err := w.WAVSink.Close()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), w.path)
	}
	if err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("audio: finish %s: %w", w.path, err)
	}
	return syncDir(filepath.Dir(w.path))
}

// Abort discards the recording; the final path is never created.
func (w *WAVFile) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.WAVSink.closed = true
	w.f.Close()
	return os.Remove(w.f.Name())
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("audio: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("audio: sync dir: %w", err)
	}
	return nil
}
