package main

import (
	"runtime"
	"runtime/debug"
	"sync"
)

func init() { register("gc", runGC) }

// runGC plants garbage-collector costs: three allocHeavy goroutines allocate
// pointer-rich garbage quickly against a small live heap with GOGC=50, so
// the collector runs many cycles and the allocating goroutines are drafted
// into mark assists. Before they start, forceGC calls runtime.GC() three
// times (stop-the-world phases; the caller blocks until each cycle completes).
func runGC(opts *options) error {
	prevPct := debug.SetGCPercent(50)
	defer debug.SetGCPercent(prevPct)
	runtime.GC() // start from a clean heap, before tracing
	return traced(opts.out, func() error {
		// Explicit collections first, while the heap is small. (Called while
		// or right after the allocators run, runtime.GC and the background
		// sweeper take turns spinning in Gosched until sweeping is done, which
		// adds up to 100 000 events to the trace.)
		forceGC(3)
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			i := i // one per goroutine, whatever the module's Go version
			wg.Add(1)
			go func() { defer wg.Done(); allocHeavy(i, 20000) }()
		}
		wg.Wait()
		return nil
	})
}

type node struct {
	next *node
	data []byte
	pad  [4]*node
}

// allocHeavy allocates n small linked nodes with byte payloads, keeping the
// last 1024 of them alive in a ring so marking has pointers to chase.
//
//go:noinline
func allocHeavy(seed, n int) {
	ring := make([]*node, 1024)
	var prev *node
	for i := 0; i < n; i++ {
		nd := &node{next: prev, data: make([]byte, 64+(i*seed+i)%960)}
		nd.pad[i%4] = prev
		ring[i%len(ring)] = nd
		if i%64 == 0 {
			prev = nil // cut the chain so it does not keep everything alive
		} else {
			prev = nd
		}
	}
	keep(uint64(len(ring[0].data)))
}

// forceGC runs n explicit, blocking collections.
//
//go:noinline
func forceGC(n int) {
	for i := 0; i < n; i++ {
		runtime.GC()
	}
}
