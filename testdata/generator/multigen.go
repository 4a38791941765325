package main

import (
	"os"
	"sync"
	"time"
)

func init() { register("multigen", runMultigen) }

// runMultigen keeps a light, mixed load going for 3.5 s, so that the runtime
// (which starts a new trace generation about once a second) writes several
// generations. See lightActivity for what runs.
func runMultigen(opts *options) error {
	return traced(opts.out, func() error {
		return lightActivity(3500 * time.Millisecond)
	})
}

// lightActivity runs for d: every 20 ms tickWorker wakes up (blocked on a
// timer in between), hands a value to echoWorker over an unbuffered channel
// and waits for the reply (chan receive), does a small file write
// (syscall), and every 10th tick starts a short-lived goroutine (shortTask).
func lightActivity(d time.Duration) error {
	f, err := os.CreateTemp("", "schedstat-light-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()

	req, resp := make(chan uint64), make(chan uint64)
	go echoWorker(req, resp)
	defer close(req)

	var wg sync.WaitGroup
	err = tickWorker(d, f, req, resp, &wg)
	wg.Wait()
	return err
}

//go:noinline
func tickWorker(d time.Duration, f *os.File, req chan<- uint64, resp <-chan uint64, wg *sync.WaitGroup) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	end := time.Now().Add(d)
	buf := make([]byte, 128)
	for n := 0; time.Now().Before(end); n++ {
		<-t.C
		req <- uint64(n)
		keep(<-resp)
		if _, err := f.WriteAt(buf, int64(n%16)*128); err != nil {
			return err
		}
		if n%10 == 0 {
			wg.Add(1)
			go shortTask(wg, uint64(n))
		}
	}
	return nil
}

//go:noinline
func echoWorker(req <-chan uint64, resp chan<- uint64) {
	for v := range req {
		resp <- spin(v, 5000)
	}
}

//go:noinline
func shortTask(wg *sync.WaitGroup, seed uint64) {
	defer wg.Done()
	keep(spin(seed, 50000))
	time.Sleep(time.Millisecond)
}
