package main

import (
	"sync"
	"time"
)

func init() { register("leak", runLeak) }

const leakCount = 37

// runLeak: 37 goroutines run leakyWorker, which blocks forever receiving from
// a channel nobody sends to (a goroutine leak); they are still blocked when
// tracing stops.
func runLeak(opts *options) error {
	never := make(chan int) // never sent to, never closed
	return traced(opts.out, func() error {
		var started sync.WaitGroup
		started.Add(leakCount)
		for i := 0; i < leakCount; i++ {
			go leakyWorker(i, never, &started)
		}
		// Give every one of them time to reach the blocking receive.
		started.Wait()
		time.Sleep(20 * time.Millisecond)
		return nil
	})
}

// leakyWorker does a little work, then waits for a value that never comes.
//
//go:noinline
func leakyWorker(id int, in <-chan int, started *sync.WaitGroup) {
	keep(spin(uint64(id), 1000))
	started.Done()
	v := <-in
	keep(uint64(v))
}
