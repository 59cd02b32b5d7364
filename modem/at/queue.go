package at

import "sync"

// queue is the one ordered, bounded URC queue. The engine's reader pushes and
// never blocks; the consumer pops. Order is arrival order, except that a
// coalesced report moves to the tail with the newest value. When the queue is
// full the oldest entry goes, and the consumer's next pop is a Storm alarm
// that says how many went: nothing is lost silently.
type queue struct {
	mu     sync.Mutex
	buf    []URC // ring
	head   int
	n      int
	keys   map[string]int // coalesce key -> entries holding it (0 or 1)
	keyOf  []string       // coalesce key of each ring slot
	alarm  *Storm         // delivered before the next entry
	notify chan struct{}  // has a value while the queue is not empty

	peak      int
	coalesced uint64
	dropped   uint64
}

func newQueue(size int) *queue {
	return &queue{
		buf:    make([]URC, size),
		keyOf:  make([]string, size),
		keys:   make(map[string]int),
		notify: make(chan struct{}, 1),
	}
}

func (q *queue) slot(i int) int { return (q.head + i) % len(q.buf) }

// push appends u. key, if not empty, replaces a queued entry with that key.
func (q *queue) push(u URC, key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if key != "" && q.keys[key] > 0 {
		for i := 0; i < q.n; i++ {
			if s := q.slot(i); q.keyOf[s] == key {
				u.Merged += q.buf[s].Merged + 1
				q.remove(i)
				q.coalesced++
				break
			}
		}
	}
	if q.n == len(q.buf) {
		q.dropOldest()
	}
	s := q.slot(q.n)
	q.buf[s], q.keyOf[s] = u, key
	if key != "" {
		q.keys[key]++
	}
	q.n++
	q.peak = max(q.peak, q.n)
	q.signal()
}

// raise sets (or adds to) the storm alarm.
func (q *queue) raise(s Storm) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.raiseLocked(s)
}

func (q *queue) raiseLocked(s Storm) {
	if q.alarm == nil {
		q.alarm = &Storm{}
	}
	q.alarm.Dropped += s.Dropped
	q.alarm.Rate = max(q.alarm.Rate, s.Rate)
	q.signal()
}

func (q *queue) dropOldest() {
	q.remove(0)
	q.dropped++
	q.raiseLocked(Storm{Dropped: 1})
}

// remove takes out the i-th entry, keeping the order of the others.
func (q *queue) remove(i int) {
	if k := q.keyOf[q.slot(i)]; k != "" {
		q.keys[k]--
	}
	for j := i; j > 0; j-- { // shift the older entries up by one
		q.buf[q.slot(j)], q.keyOf[q.slot(j)] = q.buf[q.slot(j-1)], q.keyOf[q.slot(j-1)]
	}
	q.buf[q.head], q.keyOf[q.head] = URC{}, ""
	q.head = (q.head + 1) % len(q.buf)
	q.n--
}

func (q *queue) signal() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// pop returns the storm alarm if one is pending, else the oldest entry.
func (q *queue) pop() (URC, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.alarm != nil {
		s := q.alarm
		q.alarm = nil
		q.resignal()
		return URC{Storm: s}, true
	}
	if q.n == 0 {
		return URC{}, false
	}
	u := q.buf[q.head]
	q.remove(0)
	q.resignal()
	return u, true
}

// resignal keeps notify set exactly while entries remain, so a consumer that
// pops one entry per wake-up still sees them all, and one that empties the
// queue is not woken for nothing.
func (q *queue) resignal() {
	if q.n > 0 || q.alarm != nil {
		q.signal()
		return
	}
	select {
	case <-q.notify:
	default:
	}
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
