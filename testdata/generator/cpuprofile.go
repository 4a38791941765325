package main

import (
	"io"
	"runtime/pprof"
	"sync"
	"time"
)

func init() { register("cpuprofile", runCPUProfile) }

// runCPUProfile: two goroutines run cpuBurn for ~300 ms while the CPU
// profiler is on (writing to io.Discard), so the trace carries CPU samples
// whose stacks end in cpuBurn.
func runCPUProfile(opts *options) error {
	return traced(opts.out, func() error {
		if err := pprof.StartCPUProfile(io.Discard); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
		deadline := time.Now().Add(300 * time.Millisecond)
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			i := i // one per goroutine, whatever the module's Go version
			wg.Add(1)
			go func() { defer wg.Done(); keep(cpuBurn(uint64(i), deadline)) }()
		}
		wg.Wait()
		return nil
	})
}

// cpuBurn computes until deadline.
//
//go:noinline
func cpuBurn(x uint64, deadline time.Time) uint64 {
	for time.Now().Before(deadline) {
		x = spin(x, 100000)
	}
	return x
}
