//go:build race

package voice

// raceDetector: the race detector slows the pure-Go Opus codec several times
// over, too much for audio that must keep the sound card's pace.
const raceDetector = true
