package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"mehfooz/voice/audio"
	"mehfooz/voice/quality"
)

func init() {
	register(command{path: []string{"voice", "score"}, summary: "score a call recording against the speech that was sent (intelligibility, delay, level)", run: runVoiceScore})
}

// maxScoreSamples bounds what is read of each file: ten minutes at 48 kHz.
const maxScoreSamples = 10 * 60 * 48000

func runVoiceScore(_ context.Context, e *env, args []string) error {
	fs := flags(e, "voice score", "--sent SENT.wav --heard HEARD.wav [--max-delay 1s]")
	sent := fs.String("sent", "", "the speech played into the call, WAV (required)")
	heard := fs.String("heard", "", "what the other handset recorded, WAV (required)")
	maxDelay := fs.Duration("max-delay", time.Second, "the largest delay to search for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sent == "" || *heard == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: give --sent and --heard", errUsage)
	}
	ref, rate, err := readMono(*sent)
	if err != nil {
		return err
	}
	deg, rate2, err := readMono(*heard)
	if err != nil {
		return err
	}
	if rate != rate2 {
		return fmt.Errorf("%s is %d Hz, %s is %d Hz", *sent, rate, *heard, rate2)
	}
	r, err := quality.Compare(ref, deg, rate, *maxDelay)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", r)
	return nil
}

func readMono(path string) ([]int16, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fm, pcm, err := audio.ReadWAV(f, maxScoreSamples)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	if fm.Channels != 1 {
		return nil, 0, fmt.Errorf("%s: %d channels, want mono", path, fm.Channels)
	}
	return pcm, fm.Rate, nil
}
