package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// WAV files: RIFF chunks as in the Microsoft "Multimedia Programming Interface
// and Data Specifications 1.0" (1991), with the WAVE_FORMAT_EXTENSIBLE header
// of "Multiple Channel Audio Data and WAVE Files" (Microsoft, 2001). Only
// 16-bit integer PCM is accepted; anything else is refused with ErrWAV.

// ErrWAV is returned for a WAV stream this package refuses to read.
var ErrWAV = errors.New("audio: bad wav")

const (
	wavFormatPCM        = 0x0001
	wavFormatExtensible = 0xFFFE
	wavStreaming        = 0xFFFFFFFF // RIFF and data size of a writer that could not seek
	wavMaxChunks        = 64
)

// ksdataformatSubtypePCM is the PCM sub-format GUID of an extensible header.
var ksdataformatSubtypePCM = []byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71}

// WAVSource reads frames from a 16-bit PCM WAV stream.
type WAVSource struct {
	r      io.Reader
	format Format
	left   int64 // data bytes not yet read; -1 when the length is unknown
	read   int64 // data bytes read so far
	buf    []byte
	eof    bool
	closed bool
}

// NewWAVSource parses the WAV header from r and returns a Source that yields
// frames of the given duration. The header is checked strictly: a RIFF/WAVE
// container, exactly one fmt chunk before the data chunk, 16-bit PCM,
// consistent block alignment and byte rate, and a data size that is a whole
// number of sample frames. Close closes r if it is an io.Closer.
func NewWAVSource(r io.Reader, frame time.Duration) (*WAVSource, error) {
	f, dataLen, err := readWAVHeader(r)
	if err != nil {
		return nil, err
	}
	f.FrameSamples = int(int64(frame) * int64(f.Rate) / int64(time.Second))
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("audio: wav frame: %w", err)
	}
	return &WAVSource{r: r, format: f, left: dataLen, buf: make([]byte, 2*f.FrameLen())}, nil
}

func readWAVHeader(r io.Reader) (Format, int64, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Format{}, 0, fmt.Errorf("%w: riff header: %w", ErrWAV, err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return Format{}, 0, fmt.Errorf("%w: not a RIFF/WAVE stream", ErrWAV)
	}
	riffLen := binary.LittleEndian.Uint32(hdr[4:8])
	streaming := riffLen == wavStreaming
	if !streaming && riffLen < 4 {
		return Format{}, 0, fmt.Errorf("%w: riff size %d", ErrWAV, riffLen)
	}
	remaining := int64(riffLen) - 4 // bytes of chunks after "WAVE"

	var f Format
	haveFmt := false
	for range wavMaxChunks {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return Format{}, 0, fmt.Errorf("%w: chunk header: %w", ErrWAV, err)
		}
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		remaining -= 8
		if !streaming && int64(size) > remaining && !(id == "data" && size == wavStreaming) {
			return Format{}, 0, fmt.Errorf("%w: chunk %q of %d bytes overruns the riff size", ErrWAV, id, size)
		}
		switch id {
		case "fmt ":
			if haveFmt {
				return Format{}, 0, fmt.Errorf("%w: second fmt chunk", ErrWAV)
			}
			var err error
			if f, err = readWAVFmt(r, size); err != nil {
				return Format{}, 0, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Format{}, 0, fmt.Errorf("%w: data chunk before fmt chunk", ErrWAV)
			}
			if size == wavStreaming {
				return f, -1, nil
			}
			if size%uint32(2*f.Channels) != 0 {
				return Format{}, 0, fmt.Errorf("%w: data size %d is not whole sample frames", ErrWAV, size)
			}
			return f, int64(size), nil
		default:
			// Skip LIST, fact, cue and other metadata; chunks are word aligned.
			skip := int64(size) + int64(size&1)
			if n, err := io.CopyN(io.Discard, r, skip); err != nil {
				return Format{}, 0, fmt.Errorf("%w: chunk %q truncated after %d of %d bytes", ErrWAV, id, n, skip)
			}
		}
		remaining -= int64(size) + int64(size&1)
	}
	return Format{}, 0, fmt.Errorf("%w: no data chunk in the first %d chunks", ErrWAV, wavMaxChunks)
}

func readWAVFmt(r io.Reader, size uint32) (Format, error) {
	if size != 16 && size != 18 && size != 40 {
		return Format{}, fmt.Errorf("%w: fmt chunk of %d bytes", ErrWAV, size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return Format{}, fmt.Errorf("%w: fmt chunk: %w", ErrWAV, err)
	}
	le := binary.LittleEndian
	tag := le.Uint16(b[0:2])
	channels := int(le.Uint16(b[2:4]))
	rate := int(le.Uint32(b[4:8]))
	byteRate := le.Uint32(b[8:12])
	blockAlign := int(le.Uint16(b[12:14]))
	bits := le.Uint16(b[14:16])
	switch tag {
	case wavFormatPCM:
		if size == 18 && le.Uint16(b[16:18]) != 0 {
			return Format{}, fmt.Errorf("%w: PCM fmt with %d extension bytes", ErrWAV, le.Uint16(b[16:18]))
		}
	case wavFormatExtensible:
		if size != 40 || le.Uint16(b[16:18]) != 22 {
			return Format{}, fmt.Errorf("%w: extensible fmt of %d bytes", ErrWAV, size)
		}
		if valid := le.Uint16(b[18:20]); valid != 16 {
			return Format{}, fmt.Errorf("%w: %d valid bits per sample, want 16", ErrWAV, valid)
		}
		if !bytes.Equal(b[24:40], ksdataformatSubtypePCM) {
			return Format{}, fmt.Errorf("%w: extensible sub-format is not PCM", ErrWAV)
		}
	default:
		return Format{}, fmt.Errorf("%w: format tag %#04x is not PCM", ErrWAV, tag)
	}
	if bits != 16 {
		return Format{}, fmt.Errorf("%w: %d bits per sample, want 16", ErrWAV, bits)
	}
	f := Format{Rate: rate, Channels: channels, FrameSamples: 1}
	if err := f.Validate(); err != nil {
		return Format{}, fmt.Errorf("%w: %w", ErrWAV, err)
	}
	if blockAlign != 2*channels || int64(byteRate) != int64(rate)*int64(blockAlign) {
		return Format{}, fmt.Errorf("%w: block align %d / byte rate %d disagree with %d ch at %d Hz", ErrWAV, blockAlign, byteRate, channels, rate)
	}
	return f, nil
}

// Format implements Source.
func (s *WAVSource) Format() Format { return s.format }

// ReadFrame implements Source. A stream that ends before the size its header
// declared yields the samples it had, then an error wrapping
// io.ErrUnexpectedEOF.
func (s *WAVSource) ReadFrame(pcm []int16) error {
	if s.closed {
		return ErrClosed
	}
	if err := checkFrame(s.format, pcm); err != nil {
		return err
	}
	if s.eof {
		return io.EOF
	}
	want := int64(len(s.buf))
	if s.left >= 0 && s.left < want {
		want = s.left
	}
	n, err := io.ReadFull(s.r, s.buf[:want])
	if s.left >= 0 {
		s.left -= int64(n)
	}
	n -= n % 2
	s.read += int64(n)
	for i := range n / 2 {
		pcm[i] = int16(binary.LittleEndian.Uint16(s.buf[2*i:]))
	}
	clear(pcm[n/2:])
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		s.eof = true
		if s.left > 0 {
			return fmt.Errorf("audio: wav data truncated, %d bytes missing: %w", s.left, io.ErrUnexpectedEOF)
		}
		if n == 0 {
			return io.EOF
		}
	case err != nil:
		return fmt.Errorf("audio: wav read: %w", err)
	}
	if s.left == 0 {
		s.eof = true
	}
	return nil
}

// Close implements Source.
func (s *WAVSource) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if c, ok := s.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// ReadWAV reads a whole 16-bit PCM WAV stream of at most maxSamples values.
func ReadWAV(r io.Reader, maxSamples int) (Format, []int16, error) {
	src, err := NewWAVSource(r, 20*time.Millisecond)
	if err != nil {
		return Format{}, nil, err
	}
	f := src.Format()
	frame := make([]int16, f.FrameLen())
	var all []int16
	for {
		err := src.ReadFrame(frame)
		if err == io.EOF {
			break
		}
		if err != nil {
			return f, all, err
		}
		all = append(all, frame...)
		if len(all) > maxSamples+len(frame) {
			return f, nil, fmt.Errorf("audio: wav longer than %d samples", maxSamples)
		}
	}
	// Trim the zero padding of the last frame when the size was known.
	if exact := int(src.read / 2); exact < len(all) {
		all = all[:exact]
	}
	if len(all) > maxSamples {
		return f, nil, fmt.Errorf("audio: wav longer than %d samples", maxSamples)
	}
	return f, all, nil
}
