package voice

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Signaling carries signed setup messages between handsets. The daemon adapts
// its exchange client to it; Switch is the in-process version for tests. The
// exchange may read, drop, delay, reorder, replay or alter messages: the
// Phone trusts nothing but the signatures.
type Signaling interface {
	// Send delivers msg to the handset with device ID to. An error means it
	// certainly was not delivered (the device is offline or unknown).
	Send(ctx context.Context, to string, msg []byte) error
	// Recv returns the next message for this handset and the device ID the
	// exchange says sent it (unauthenticated; the signed body says who did).
	Recv(ctx context.Context) (from string, msg []byte, err error)
}

// ErrUnreachable is returned by Send for a device that is not connected.
var ErrUnreachable = errors.New("voice: device unreachable")

// Switch is an in-process exchange: it routes messages between the ports it
// hands out. Tamper, if set, sees every message in transit and returns what
// to deliver instead (nothing, the same, something altered, or several).
type Switch struct {
	mu     sync.Mutex
	ports  map[string]*switchPort
	Tamper func(from, to string, msg []byte) [][]byte
}

// NewSwitch returns an empty Switch.
func NewSwitch() *Switch { return &Switch{ports: map[string]*switchPort{}} }

// Port connects the handset deviceID and returns its Signaling.
func (s *Switch) Port(deviceID string) Signaling {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &switchPort{sw: s, id: deviceID, in: make(chan delivery, 64)}
	s.ports[deviceID] = p
	return p
}

// Disconnect takes deviceID off the switch: sends to it fail.
func (s *Switch) Disconnect(deviceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ports, deviceID)
}

type delivery struct {
	from string
	msg  []byte
}

type switchPort struct {
	sw *Switch
	id string
	in chan delivery
}

func (p *switchPort) Send(ctx context.Context, to string, msg []byte) error {
	p.sw.mu.Lock()
	dst, ok := p.sw.ports[to]
	tamper := p.sw.Tamper
	p.sw.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnreachable, to)
	}
	out := [][]byte{append([]byte(nil), msg...)}
	if tamper != nil {
		out = tamper(p.id, to, out[0])
	}
	for _, m := range out {
		select {
		case dst.in <- delivery{from: p.id, msg: m}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (p *switchPort) Recv(ctx context.Context) (string, []byte, error) {
	select {
	case d := <-p.in:
		return d.from, d.msg, nil
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
}

// Inject delivers msg to deviceID as if from sent it: the exchange's power to
// replay or forge.
func (s *Switch) Inject(from, to string, msg []byte) error {
	s.mu.Lock()
	dst, ok := s.ports[to]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnreachable, to)
	}
	dst.in <- delivery{from: from, msg: msg}
	return nil
}
