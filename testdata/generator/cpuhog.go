package main

import (
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func init() { register("cpuhog", runCPUHog) }

// runCPUHog: with a single P, cpuHog spins in a loop without calls (only the
// runtime's asynchronous preemption, every ~10 ms, takes the P away from
// it), while syscaller makes system calls. Each time syscaller yields, is
// preempted, or comes back from a syscall whose P was handed to cpuHog, it
// waits runnable until cpuHog is preempted (run-queue latency caused by
// cpuHog).
func runCPUHog(opts *options) error {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)

	random, err := os.Open("/dev/urandom")
	if err != nil {
		return err
	}
	defer random.Close()
	tmp, err := os.CreateTemp("", "schedstat-cpuhog-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	return traced(opts.out, func() error {
		var stop atomic.Bool
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			keep(cpuHog(&stop))
		}()
		var serr error
		go func() {
			defer wg.Done()
			serr = syscaller(&stop, random, tmp)
		}()
		time.Sleep(400 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
		return serr
	})
}

// cpuHog is a tight, call-free loop: it never yields on its own.
//
//go:noinline
func cpuHog(stop *atomic.Bool) uint64 {
	x := uint64(1)
	for !stop.Load() {
		for i := 0; i < 1<<12; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	return x
}

// syscaller makes bursts of short system calls (getppid, small writes to a
// file, a 64 KiB read from /dev/urandom), then yields the P. Every 5th burst
// starts with a 6 MiB read from /dev/urandom (~25 ms): long enough for
// sysmon to hand the P to cpuHog, so syscaller has to wait for the P when
// the call returns.
//
//go:noinline
func syscaller(stop *atomic.Bool, random *os.File, tmp *os.File) error {
	small := make([]byte, 64)
	big := make([]byte, 6<<20)
	for burst := 0; !stop.Load(); burst++ {
		n := 64 << 10
		if burst%5 == 0 {
			n = len(big)
		}
		if _, err := io.ReadFull(random, big[:n]); err != nil {
			return err
		}
		for i := 0; i < 8; i++ {
			keep(uint64(os.Getppid()))
			if _, err := tmp.Write(small); err != nil {
				return err
			}
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		runtime.Gosched()
	}
	return nil
}
