package live

import (
	"sort"
	"time"
)

// throttle is the Notifier's bookkeeping without clocks or goroutines: which
// changes wait, since when, and when each was last delivered.
type throttle struct {
	interval time.Duration
	max      int
	seq      uint64
	waiting  map[Change]uint64    // change → order of its first publication
	last     map[Change]time.Time // change → its last delivery, within the interval
}

func newThrottle(interval time.Duration, maxPending int) *throttle {
	return &throttle{interval: interval, max: maxPending, waiting: map[Change]uint64{}, last: map[Change]time.Time{}}
}

// Outcomes of throttle.add.
const (
	added   = iota // c waits now
	merged         // c was waiting already
	dropped        // c was not waiting and max changes already wait
)

// add marks c as waiting.
func (t *throttle) add(c Change) int {
	if _, ok := t.waiting[c]; ok {
		return merged
	}
	if len(t.waiting) >= t.max {
		return dropped
	}
	t.seq++
	t.waiting[c] = t.seq
	return added
}

// take removes and returns the waiting changes not delivered within the
// interval before now, in publication order, and marks them delivered at
// now. next is when the earliest change still waiting becomes due (zero:
// none waits).
func (t *throttle) take(now time.Time) (due []Change, next time.Time) {
	for c, at := range t.last {
		if now.Sub(at) >= t.interval {
			delete(t.last, c)
		}
	}
	for c := range t.waiting {
		if at, recent := t.last[c]; recent {
			if n := at.Add(t.interval); next.IsZero() || n.Before(next) {
				next = n
			}
			continue
		}
		due = append(due, c)
	}
	sort.Slice(due, func(i, j int) bool { return t.waiting[due[i]] < t.waiting[due[j]] })
	for _, c := range due {
		delete(t.waiting, c)
		t.last[c] = now
	}
	return due, next
}
