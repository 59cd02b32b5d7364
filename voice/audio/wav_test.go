package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWAVFixture(t *testing.T) {
	f, err := os.Open("testdata/speech48k.wav")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	format, pcm, err := ReadWAV(f, 1<<21)
	if err != nil {
		t.Fatal(err)
	}
	if format.Rate != 48000 || format.Channels != 1 {
		t.Fatalf("format %v, want 48 kHz mono", format)
	}
	if d := time.Duration(len(pcm)) * time.Second / 48000; d < 9*time.Second || d > 11*time.Second {
		t.Fatalf("fixture lasts %v, want about 10 s", d)
	}
	var peak int16
	for _, v := range pcm {
		peak = max(peak, v, -v)
	}
	if peak < 8000 {
		t.Fatalf("fixture peak %d: no speech in it", peak)
	}
}

func TestWAVFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.wav")
	f := Format{Rate: 16000, Channels: 2, FrameSamples: 320}
	w, err := CreateWAV(path, f)
	if err != nil {
		t.Fatal(err)
	}
	tone, _ := NewTone(f, 440, 0.5)
	var sent []int16
	frame := make([]int16, f.FrameLen())
	for range 7 {
		if err := tone.ReadFrame(frame); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, frame...)
		if err := w.WriteFrame(frame); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("final path exists before Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(frame); !errors.Is(err, ErrClosed) {
		t.Fatalf("WriteFrame after Close = %v, want ErrClosed", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the finished file", len(entries))
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, pcm, err := ReadWAV(r, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rate != f.Rate || got.Channels != f.Channels {
		t.Fatalf("read back %v, want %v", got, f)
	}
	if !equalPCM(pcm, sent) {
		t.Fatalf("read back %d samples that differ from the %d written", len(pcm), len(sent))
	}
}

func TestWAVFileAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateWAV(filepath.Join(dir, "x.wav"), Voice)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(make([]int16, Voice.FrameLen())); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("abort left %d files", len(entries))
	}
}

// wavBytes builds a WAV stream from a header override and data.
type wavSpec struct {
	riffLen    uint32 // 0: computed
	tag        uint16
	channels   uint16
	rate       uint32
	byteRate   uint32 // 0: computed
	blockAlign uint16 // 0: computed
	bits       uint16
	fmtExtra   []byte // appended to the 16-byte fmt body
	before     []byte // raw chunks between fmt and data
	dataLen    uint32 // 0: len(data)
	data       []byte
}

func (s wavSpec) bytes() []byte {
	le := binary.LittleEndian
	var fmtBody bytes.Buffer
	ba := s.blockAlign
	if ba == 0 {
		ba = s.channels * s.bits / 8
	}
	br := s.byteRate
	if br == 0 {
		br = s.rate * uint32(ba)
	}
	for _, v := range []any{s.tag, s.channels, s.rate, br, ba, s.bits} {
		binary.Write(&fmtBody, le, v)
	}
	fmtBody.Write(s.fmtExtra)
	var body bytes.Buffer
	body.WriteString("WAVEfmt ")
	binary.Write(&body, le, uint32(fmtBody.Len()))
	body.Write(fmtBody.Bytes())
	body.Write(s.before)
	body.WriteString("data")
	dl := s.dataLen
	if dl == 0 {
		dl = uint32(len(s.data))
	}
	binary.Write(&body, le, dl)
	body.Write(s.data)
	rl := s.riffLen
	if rl == 0 {
		rl = uint32(body.Len())
	}
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, le, rl)
	out.Write(body.Bytes())
	return out.Bytes()
}

func pcmSpec(data []byte) wavSpec {
	return wavSpec{tag: wavFormatPCM, channels: 1, rate: 8000, bits: 16, data: data}
}

func TestWAVAcceptsVariants(t *testing.T) {
	data := []byte{1, 0, 2, 0, 3, 0, 0xff, 0xff}
	want := []int16{1, 2, 3, -1}
	ext := make([]byte, 24)
	binary.LittleEndian.PutUint16(ext[0:], 22)
	binary.LittleEndian.PutUint16(ext[2:], 16)
	copy(ext[8:], ksdataformatSubtypePCM)
	list := append([]byte("LIST\x03\x00\x00\x00abc\x00"), []byte("fact\x04\x00\x00\x00\x04\x00\x00\x00")...)
	streaming := pcmSpec(data)
	streaming.riffLen, streaming.dataLen = wavStreaming, wavStreaming
	cases := map[string]wavSpec{
		"plain":            pcmSpec(data),
		"fmt with cbSize":  func() wavSpec { s := pcmSpec(data); s.fmtExtra = []byte{0, 0}; return s }(),
		"extensible":       func() wavSpec { s := pcmSpec(data); s.tag = wavFormatExtensible; s.fmtExtra = ext; return s }(),
		"odd LIST skipped": func() wavSpec { s := pcmSpec(data); s.before = list; return s }(),
		"streaming sizes":  streaming,
	}
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			f, pcm, err := ReadWAV(bytes.NewReader(spec.bytes()), 100)
			if err != nil {
				t.Fatal(err)
			}
			if f.Rate != 8000 || f.Channels != 1 || !equalPCM(pcm, want) {
				t.Fatalf("got %v %v, want 8 kHz mono %v", f, pcm, want)
			}
		})
	}
}

func TestWAVRejects(t *testing.T) {
	data := []byte{1, 0, 2, 0}
	mod := func(f func(*wavSpec)) []byte { s := pcmSpec(data); f(&s); return s.bytes() }
	cases := map[string][]byte{
		"empty":           nil,
		"not riff":        append([]byte("RIFX"), pcmSpec(data).bytes()[4:]...),
		"not wave":        append(append([]byte{}, pcmSpec(data).bytes()[:8]...), []byte("AVI fmt ")...),
		"float":           mod(func(s *wavSpec) { s.tag = 3; s.bits = 32 }),
		"8 bit":           mod(func(s *wavSpec) { s.bits = 8 }),
		"24 bit":          mod(func(s *wavSpec) { s.bits = 24 }),
		"no channels":     mod(func(s *wavSpec) { s.channels = 0; s.blockAlign = 2 }),
		"rate zero":       mod(func(s *wavSpec) { s.rate = 0; s.byteRate = 2 }),
		"bad block align": mod(func(s *wavSpec) { s.blockAlign = 4 }),
		"bad byte rate":   mod(func(s *wavSpec) { s.byteRate = 1234 }),
		"fmt size 20":     mod(func(s *wavSpec) { s.fmtExtra = []byte{0, 0, 0, 0} }),
		"pcm cbSize set":  mod(func(s *wavSpec) { s.fmtExtra = []byte{2, 0} }),
		"ext not pcm": mod(func(s *wavSpec) {
			s.tag = wavFormatExtensible
			s.fmtExtra = append([]byte{22, 0, 16, 0, 0, 0, 0, 0}, make([]byte, 16)...)
		}),
		"half sample":      mod(func(s *wavSpec) { s.data = []byte{1, 0, 2} }),
		"chunk overruns":   mod(func(s *wavSpec) { s.before = []byte("junk\xff\x00\x00\x00") }),
		"riff too small":   mod(func(s *wavSpec) { s.riffLen = 2 }),
		"data before fmt":  []byte("RIFF\x10\x00\x00\x00WAVEdata\x00\x00\x00\x00"),
		"no data chunk":    pcmSpec(nil).bytes()[:36],
		"truncated header": pcmSpec(data).bytes()[:20],
		"second fmt": mod(func(s *wavSpec) {
			s.before = append([]byte("fmt \x10\x00\x00\x00"), pcmSpec(nil).bytes()[20:36]...)
		}),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewWAVSource(bytes.NewReader(b), 20*time.Millisecond)
			if !errors.Is(err, ErrWAV) {
				t.Fatalf("NewWAVSource = %v, want ErrWAV", err)
			}
		})
	}
}

func TestWAVTruncatedDataKeepsWhatArrived(t *testing.T) {
	s := pcmSpec([]byte{1, 0, 2, 0, 3, 0})
	s.dataLen = 1000
	s.riffLen = 2000
	src, err := NewWAVSource(bytes.NewReader(s.bytes()), time.Millisecond) // 8 samples per frame
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 8)
	err = src.ReadFrame(frame)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadFrame = %v, want ErrUnexpectedEOF", err)
	}
	if !equalPCM(frame, []int16{1, 2, 3, 0, 0, 0, 0, 0}) {
		t.Fatalf("frame %v lost the samples that arrived", frame)
	}
	if err := src.ReadFrame(frame); err != io.EOF {
		t.Fatalf("second ReadFrame = %v, want io.EOF", err)
	}
}

func TestWAVSourceFrameLength(t *testing.T) {
	src, err := NewWAVSource(bytes.NewReader(pcmSpec([]byte{1, 0}).bytes()), 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Format().FrameSamples; got != 160 {
		t.Fatalf("frame of %d samples, want 160 at 8 kHz", got)
	}
	if err := src.ReadFrame(make([]int16, 10)); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("short frame = %v, want ErrFrameSize", err)
	}
}

func FuzzWAV(f *testing.F) {
	f.Add(pcmSpec([]byte{1, 0, 2, 0}).bytes())
	s := pcmSpec([]byte{1, 0})
	s.before = []byte("LIST\x01\x00\x00\x00x\x00")
	f.Add(s.bytes())
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\xff\xff\xff\xff\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		src, err := NewWAVSource(bytes.NewReader(b), 5*time.Millisecond)
		if err != nil {
			if !errors.Is(err, ErrWAV) && src != nil {
				t.Fatalf("error %v with a source", err)
			}
			return
		}
		if err := src.Format().Validate(); err != nil {
			t.Fatalf("accepted invalid format: %v", err)
		}
		frame := make([]int16, src.Format().FrameLen())
		for i := 0; ; i++ {
			err := src.ReadFrame(frame)
			if err == io.EOF {
				break
			}
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("ReadFrame: %v", err)
			}
			if i > len(b) {
				t.Fatalf("read %d frames from %d bytes", i, len(b))
			}
		}
	})
}

func equalPCM(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
