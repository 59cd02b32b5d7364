package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"mehfooz/board"
	"mehfooz/clock"
	"mehfooz/voice"
	"mehfooz/voice/audio"
	"mehfooz/voice/audio/alsa"
)

// setMixer unmutes the board's sound card at the level its profile names
// (board.Audio.Volume); a failure is logged, and calls go on (silently).
func setMixer(b *board.Board, log *slog.Logger) {
	if b.Audio.Control == "" || b.Audio.Volume <= 0 {
		return
	}
	m, err := alsa.OpenMixer(b.Audio.Control)
	if err != nil {
		log.Error("sound card mixer", "err", err)
		return
	}
	defer m.Close()
	n, err := m.SetLevels(b.Audio.Volume)
	if err != nil {
		log.Error("sound card mixer", "err", err)
		return
	}
	log.Info("sound card unmuted", "elements", n, "volume", b.Audio.Volume)
}

// callAudio returns how this board opens one call's capture and playout.
// The sim board plays a WAV file (or a tone) into the call and records what
// it hears as WAV files, both paced by the real clock as a sound card
// would; a device board uses its ALSA devices, with a tone standing in
// for a board without capture (its pitch names the handset).
func callAudio(o *options, self string) func(voice.CallInfo) (audio.Source, audio.Sink, error) {
	return func(info voice.CallInfo) (audio.Source, audio.Sink, error) {
		src, err := openCapture(o, self)
		if err != nil {
			return nil, nil, err
		}
		sink, err := openPlayout(o, info)
		if err != nil {
			src.Close()
			return nil, nil, err
		}
		return src, sink, nil
	}
}

func openCapture(o *options, self string) (audio.Source, error) {
	switch {
	case o.audioIn != "":
		f, err := os.Open(o.audioIn)
		if err != nil {
			return nil, err
		}
		w, err := audio.NewWAVSource(f, voice.FrameDuration)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("--audio-in: %w", err)
		}
		if w.Format() != audio.Voice {
			w.Close()
			return nil, fmt.Errorf("--audio-in %s is %v, want %v", o.audioIn, w.Format(), audio.Voice)
		}
		return audio.PaceSource(&thenSilence{Source: w}, clock.Real{}, 0), nil
	case o.board.Audio.Capture != "":
		return alsa.Open(o.board.Audio.Capture, alsa.Capture, alsa.Config{Format: audio.Voice})
	}
	tone, err := audio.NewTone(audio.Voice, audio.DeviceToneHz(self), 0.2)
	if err != nil {
		return nil, err
	}
	return audio.PaceSource(tone, clock.Real{}, 0), nil
}

func openPlayout(o *options, info voice.CallInfo) (audio.Sink, error) {
	switch {
	case o.audioOut != "":
		if err := os.MkdirAll(o.audioOut, 0o700); err != nil {
			return nil, err
		}
		name := fmt.Sprintf("call-%s-%s.wav", hex.EncodeToString(info.ID[:4]), info.PeerID)
		w, err := audio.CreateWAV(filepath.Join(o.audioOut, name), audio.Voice)
		if err != nil {
			return nil, err
		}
		return audio.PaceSink(w, clock.Real{}, 0), nil
	case o.board.Audio.Playback != "":
		return alsa.Open(o.board.Audio.Playback, alsa.Playback, alsa.Config{Format: audio.Voice})
	}
	return audio.PaceSink(&audio.Null{F: audio.Voice}, clock.Real{}, 0), nil
}

// thenSilence keeps a finished recording going as silence, so the call
// keeps sending constant-size frames after the speech ends.
type thenSilence struct {
	audio.Source
	done bool
}

func (s *thenSilence) ReadFrame(pcm []int16) error {
	if !s.done {
		err := s.Source.ReadFrame(pcm)
		if !errors.Is(err, io.EOF) {
			return err
		}
		s.done = true
	}
	clear(pcm)
	return nil
}
