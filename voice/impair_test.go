package voice

import (
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// impairConn is the relay's socket on a bad cellular link: packets that one
// handset sends are lost, duplicated and delayed by a random jitter (which
// reorders them), as a radio bearer does. Everything else passes untouched.
type impairConn struct {
	net.PacketConn
	match func(net.Addr) bool

	mu     sync.Mutex
	rng    *rand.Rand
	on     bool
	loss   float64
	dup    float64
	jitter time.Duration
	stats  struct{ seen, dropped, duplicated int }

	start sync.Once
	q     chan packet
	wg    sync.WaitGroup
}

type packet struct {
	b    []byte
	from net.Addr
	err  error
}

func newImpairConn(pc net.PacketConn, match func(net.Addr) bool, seed uint64) *impairConn {
	return &impairConn{PacketConn: pc, match: match, rng: rand.New(rand.NewPCG(seed, 7)), q: make(chan packet, 1024)}
}

// set turns the impairment on with these figures.
func (c *impairConn) set(loss, dup float64, jitter time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on, c.loss, c.dup, c.jitter = true, loss, dup, jitter
}

func (c *impairConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.start.Do(func() { c.wg.Add(1); go c.read() })
	p, ok := <-c.q
	if !ok {
		return 0, nil, net.ErrClosed
	}
	if p.err != nil {
		return 0, nil, p.err
	}
	return copy(b, p.b), p.from, nil
}

// read takes packets off the socket and queues them, after their delay.
func (c *impairConn) read() {
	defer c.wg.Done()
	var pending sync.WaitGroup
	defer func() { pending.Wait(); close(c.q) }()
	buf := make([]byte, 1600)
	for {
		n, from, err := c.PacketConn.ReadFrom(buf)
		if err != nil {
			c.q <- packet{err: err}
			return
		}
		p := packet{b: append([]byte(nil), buf[:n]...), from: from}
		// Only media (TURN ChannelData, RFC 8656 section 12) is impaired, so
		// the relay's own control exchanges stay reliable.
		if n == 0 || buf[0] < 0x40 || buf[0] > 0x7f || !c.match(from) {
			c.q <- p
			continue
		}
		c.mu.Lock()
		on, copies := c.on, 1
		var delays []time.Duration
		if on {
			c.stats.seen++
			if c.rng.Float64() < c.loss {
				copies = 0
				c.stats.dropped++
			} else if c.rng.Float64() < c.dup {
				copies = 2
				c.stats.duplicated++
			}
			for range copies {
				delays = append(delays, time.Duration(c.rng.Int64N(int64(c.jitter)+1)))
			}
		}
		c.mu.Unlock()
		if !on {
			c.q <- p
			continue
		}
		for _, d := range delays {
			pending.Add(1)
			time.AfterFunc(d, func() {
				defer pending.Done()
				select {
				case c.q <- p:
				default: // the relay is not reading: the packet is lost
				}
			})
		}
	}
}

func (c *impairConn) Close() error {
	err := c.PacketConn.Close()
	go func() { // drain, so the reader can finish
		for range c.q {
		}
	}()
	c.wg.Wait()
	return err
}
