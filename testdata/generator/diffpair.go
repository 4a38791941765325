package main

import "sync"

func init() {
	// One function for both, so that every stack is the same in both traces.
	register("lockfree", runPair)
	register("contended", runPair)
}

// pairWorkers and pairRounds size the pair of scenarios below.
const (
	pairWorkers = 12
	pairRounds  = 40
)

// runPair is a before/after pair for `schedstat diff`: the same workload,
// pairWorkers goroutines each doing pairRounds rounds of spin work inside a
// mutex and a little outside it. In "contended" every worker takes one shared
// mutex, so they block on sync.Mutex.Lock in pairLock (contention planted by
// pairLock, called from pairWorker); in "lockfree" each worker has its own
// mutex and never waits for it. Everything else is identical.
//
//go:noinline
func runPair(opts *options) error {
	shared := opts.name == "contended"
	return traced(opts.out, func() error {
		var wg sync.WaitGroup
		var common sync.Mutex
		for i := 0; i < pairWorkers; i++ {
			i := i // one per goroutine, whatever the module's Go version
			mu := &common
			if !shared {
				mu = new(sync.Mutex)
			}
			wg.Add(1)
			go func() { defer wg.Done(); pairWorker(mu, uint64(i), pairRounds) }()
		}
		wg.Wait()
		return nil
	})
}

// pairWorker does n rounds of work under mu.
//
//go:noinline
func pairWorker(mu *sync.Mutex, seed uint64, n int) {
	for i := 0; i < n; i++ {
		pairLock(mu)
		seed = spin(seed, 50000)
		mu.Unlock()
		seed = spin(seed, 2000)
	}
	keep(seed)
}

// pairLock is where the contended scenario's workers wait.
//
//go:noinline
func pairLock(mu *sync.Mutex) { mu.Lock() }
