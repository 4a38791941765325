package main

import (
	"runtime"
	"sync"
	"sync/atomic"
)

func init() { register("storm", runStorm) }

// stormSize is the number of goroutines launchStorm creates at once.
const stormSize = 2000

// runStorm: with only two Ps, launchStorm creates 2000 goroutines in a burst,
// so most of them sit runnable in the run queues before they first run
// (scheduling latency planted by launchStorm).
func runStorm(opts *options) error {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	return traced(opts.out, func() error {
		launchStorm(stormSize)
		return nil
	})
}

// sink keeps the results of busy work alive so the compiler cannot drop it
// (atomically, so that it adds no lock contention of its own).
var sink atomic.Uint64

func keep(v uint64) { sink.Add(v) }

//go:noinline
func launchStorm(n int) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go stormWorker(&wg, uint64(i))
	}
	wg.Wait()
}

//go:noinline
func stormWorker(wg *sync.WaitGroup, seed uint64) {
	defer wg.Done()
	keep(spin(seed, 20000))
}

// spin is a small, deterministic amount of CPU work (an LCG).
//
//go:noinline
func spin(x uint64, iters int) uint64 {
	for i := 0; i < iters; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}
