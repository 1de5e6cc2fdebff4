package main

import (
	"context"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// requester sends request number seq (unique over the whole run, so that no
// two requests share an idempotency key) and reports whether it succeeded.
type requester interface {
	do(ctx context.Context, seq int64) error
}

// sample is what one phase measured on the generator side.
type sample struct {
	lat      []time.Duration // of the requests that completed, ok or not
	ok, errs int64
	missed   int64 // open loop: tickets that could not even be sent in time
	elapsed  time.Duration
	errMsgs  []string
}

// errLog keeps the first few distinct error messages of a phase.
type errLog struct {
	mu   sync.Mutex
	msgs []string
}

func (e *errLog) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.msgs) < 3 && !slices.Contains(e.msgs, err.Error()) {
		e.msgs = append(e.msgs, err.Error())
	}
}

// newClient is a keep-alive HTTP/1.1 client sized for the largest worker pool.
func newClient() *http.Client {
	return &http.Client{
		Timeout: 5 * time.Second, // a slower answer is an error: it bounds the drain of a phase
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        0,
			MaxIdleConnsPerHost: 2048,
			IdleConnTimeout:     60 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		},
	}
}

// closedLoop runs workers that each send the next request as soon as the
// previous one is answered, for dur: the peak throughput.
func closedLoop(ctx context.Context, r requester, seq *atomic.Int64, workers int, dur time.Duration) sample {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		s    sample
		elog errLog
	)
	start := time.Now()
	deadline := start.Add(dur)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			var ok, errs int64
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				err := r.do(ctx, seq.Add(1))
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs++
					elog.add(err)
				} else {
					ok++
				}
			}
			mu.Lock()
			s.lat = append(s.lat, lat...)
			s.ok += ok
			s.errs += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	s.elapsed = time.Since(start)
	s.errMsgs = elog.msgs
	return s
}

// openLoop sends rate requests per second for dur whatever the answers do,
// each at its intended send time, and measures every latency from that
// intended time: a request that waited for a free worker or connection counts
// its wait (no coordinated omission). A ticket not sent within grace after the
// phase ended is counted as missed.
func openLoop(ctx context.Context, r requester, seq *atomic.Int64, rate, workers int, dur, grace time.Duration) sample {
	n := int64(float64(rate) * dur.Seconds())
	interval := time.Second / time.Duration(rate)
	tickets := make(chan int64, n)
	start := time.Now().Add(2 * time.Millisecond)
	cutoff := start.Add(dur + grace)
	go func() {
		defer close(tickets)
		var i int64
		for i < n && ctx.Err() == nil {
			due := int64(time.Since(start)/interval) + 1
			for ; i < n && i < due; i++ {
				tickets <- i
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		s    sample
		elog errLog
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var ok, errs, missed int64
			for i := range tickets {
				intended := start.Add(time.Duration(i) * interval)
				if time.Now().After(cutoff) || ctx.Err() != nil {
					missed++
					continue
				}
				err := r.do(ctx, seq.Add(1))
				lat = append(lat, time.Since(intended))
				if err != nil {
					errs++
					elog.add(err)
				} else {
					ok++
				}
			}
			mu.Lock()
			s.lat = append(s.lat, lat...)
			s.ok, s.errs, s.missed = s.ok+ok, s.errs+errs, s.missed+missed
			mu.Unlock()
		}()
	}
	wg.Wait()
	s.elapsed = max(time.Since(start), dur)
	s.errMsgs = elog.msgs
	return s
}

// latencies are the percentiles of a phase in milliseconds.
type latencies struct {
	P50, P99, P999, Max, Mean float64
}

func summarize(lat []time.Duration) latencies {
	if len(lat) == 0 {
		return latencies{}
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return ms(lat[max(0, min(i, len(lat)-1))])
	}
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	return latencies{P50: q(0.50), P99: q(0.99), P999: q(0.999), Max: ms(lat[len(lat)-1]),
		Mean: ms(sum / time.Duration(len(lat)))}
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
