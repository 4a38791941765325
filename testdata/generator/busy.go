package main

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func init() { register("busy", runBusy) }

// runBusy writes a large trace (at least -size-mb MB) of a busy server:
// a fixed pool of long-lived goroutines that live for the whole trace.
// Clients send requests on a shared channel and wait for each reply;
// workers burn a little CPU per request, sometimes under a contended
// mutex, sometimes in a syscall or a short sleep; a ticker goroutine wakes
// every millisecond. Unlike bench and churn, few goroutines are ever
// created, so the trace is made of many events per goroutine: the shape of
// a real service's trace. Not a committed fixture; left out of -list.
func runBusy(opts *options) error {
	type request struct {
		n     uint64
		reply chan uint64
	}
	var (
		requests = make(chan request, 64)
		stop     atomic.Bool
		mu       sync.Mutex
		shared   = map[uint64]uint64{}
		wg       sync.WaitGroup
	)
	const workers, clients = 32, 48
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range requests {
				v := busySpin(r.n, 2000+int(r.n%7)*1000)
				switch {
				case r.n%4 == 0:
					mu.Lock()
					shared[r.n%1024] += v
					mu.Unlock()
				case r.n%16 == 1:
					keep(uint64(os.Getppid()))
				case r.n%32 == 2:
					time.Sleep(50 * time.Microsecond)
				}
				r.reply <- v
			}
		}()
	}
	var clientsDone sync.WaitGroup
	start := func() {
		for c := 0; c < clients; c++ {
			clientsDone.Add(1)
			go func(c int) {
				defer clientsDone.Done()
				reply := make(chan uint64)
				for i := uint64(c); !stop.Load(); i += clients {
					requests <- request{n: i, reply: reply}
					keep(<-reply)
				}
			}(c)
		}
		clientsDone.Add(1)
		go func() {
			defer clientsDone.Done()
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for !stop.Load() {
				<-t.C
			}
		}()
	}
	return tracedWhileServing(opts, start, &stop, &clientsDone, func() {
		close(requests)
		wg.Wait()
	})
}

// tracedWhileServing traces a server scenario until the trace reaches
// -size-mb: start launches the clients on the first round; then stop is
// set, and once the clients have returned, drain stops the workers.
func tracedWhileServing(opts *options, start func(), stop *atomic.Bool, clients *sync.WaitGroup, drain func()) error {
	err := tracedUntilSize(opts, func(round int) {
		if round == 0 {
			start()
		}
		time.Sleep(10 * time.Millisecond)
	})
	stop.Store(true)
	clients.Wait()
	drain()
	return err
}

// busySpin burns about n iterations of CPU for a request.
//
//go:noinline
func busySpin(seed uint64, n int) uint64 {
	x := seed | 1
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
