package link

import (
	"container/heap"
	"errors"
	"net"
	"sync"
	"time"

	"mehfooz/clock"
)

// Conn is a net.PacketConn whose writes pass through a Model: each datagram
// is dropped, delayed, reordered or duplicated, then written to the wrapped
// conn when its delivery time comes. Reads pass straight through, so wrap
// each end of a path to impair both directions. A Conn runs one goroutine,
// stopped by Close.
type Conn struct {
	net.PacketConn
	clk   clock.Clock
	epoch time.Time

	mu     sync.Mutex
	model  *Model
	queue  queue
	stats  Stats
	closed bool

	wake chan struct{}
	done chan struct{}
	wg   sync.WaitGroup
}

// Stats counts what a Conn did to the datagrams written to it.
type Stats struct {
	Sent       uint64 // datagrams written to the Conn
	Lost       uint64 // dropped by the model
	Duplicated uint64 // delivered twice
	Delivered  uint64 // written to the wrapped conn
	Failed     uint64 // writes the wrapped conn refused
}

// New wraps pc. Time is taken from clk, so tests may run on a fake clock.
func New(pc net.PacketConn, imp Impairment, clk clock.Clock) (*Conn, error) {
	m, err := NewModel(imp)
	if err != nil {
		return nil, err
	}
	c := &Conn{
		PacketConn: pc,
		clk:        clk,
		epoch:      clk.Now(),
		model:      m,
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	c.wg.Add(1)
	go c.deliver()
	return c, nil
}

// WriteTo schedules p for delivery to addr according to the model. Like
// UDP, it reports success for a datagram that the link then loses.
func (c *Conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	c.stats.Sent++
	fate := c.model.Fate(c.clk.Since(c.epoch))
	switch len(fate) {
	case 0:
		c.stats.Lost++
	case 2:
		c.stats.Duplicated++
	}
	for _, at := range fate {
		heap.Push(&c.queue, datagram{at: at, seq: c.stats.Sent, data: append([]byte(nil), p...), addr: addr})
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// deliver writes each queued datagram to the wrapped conn at its time.
func (c *Conn) deliver() {
	defer c.wg.Done()
	var timer clock.Timer
	for {
		c.mu.Lock()
		now := c.clk.Since(c.epoch)
		var due []datagram
		for c.queue.Len() > 0 && c.queue[0].at <= now {
			due = append(due, heap.Pop(&c.queue).(datagram))
		}
		wait := time.Duration(-1)
		if c.queue.Len() > 0 {
			wait = c.queue[0].at - now
		}
		c.mu.Unlock()

		for _, d := range due {
			_, err := c.PacketConn.WriteTo(d.data, d.addr)
			c.mu.Lock()
			if err != nil {
				c.stats.Failed++
			} else {
				c.stats.Delivered++
			}
			c.mu.Unlock()
		}

		var fire <-chan time.Time
		if wait >= 0 {
			if timer == nil {
				timer = c.clk.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			fire = timer.C()
		}
		select {
		case <-fire:
		case <-c.wake:
			if timer != nil {
				timer.Stop()
			}
		case <-c.done:
			if timer != nil {
				timer.Stop()
			}
			return
		}
	}
}

// Stats returns the counters so far.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Close stops delivery, drops what is still queued and closes the wrapped conn.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errors.New("link: close of a closed conn")
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	c.wg.Wait()
	return c.PacketConn.Close()
}

type datagram struct {
	at   time.Duration
	seq  uint64 // keeps equal times in write order
	data []byte
	addr net.Addr
}

// queue is a min-heap of datagrams by delivery time.
type queue []datagram

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(datagram)) }
func (q *queue) Pop() any {
	old := *q
	d := old[len(old)-1]
	*q = old[:len(old)-1]
	return d
}
