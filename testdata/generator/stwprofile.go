package main

import (
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"
)

func init() { register("stwprofile", runSTWProfile) }

// runSTWProfile: stop-the-world pauses held up by a goroutine that cannot be
// preempted, with the CPU profiler on, so CPU samples land inside the
// stop-the-world ranges (what `schedstat stw` and the toolbox's unstoppable
// explain). A goroutine spins in a call-free loop (spin, a leaf function
// without a stack check) for a few ms at a time, reaching a preemption point
// only between rounds (the call to stwRound's callee time.Now), while main
// asks for a GC every few ms. With asynchronous preemption off (the scenario
// re-runs itself with GODEBUG=asyncpreemptoff=1) each stop waits for the
// round to end, and the samples of its pre-stop part end in spin.
func runSTWProfile(opts *options) error {
	if !strings.Contains(os.Getenv("GODEBUG"), "asyncpreemptoff=1") {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		cmd := exec.Command(exe, os.Args[1:]...)
		cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		return cmd.Run()
	}
	// Two Ps at least: with one, the spinning goroutine would hold main off.
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	return traced(opts.out, func() error {
		// 1 kHz instead of pprof's 100 Hz, so that a pause of a few ms gets
		// samples (the runtime warns that StartCPUProfile cannot change it).
		runtime.SetCPUProfileRate(1000)
		if err := pprof.StartCPUProfile(io.Discard); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
		var stop atomic.Bool
		done := make(chan struct{})
		go func() {
			defer close(done)
			x := uint64(1)
			for !stop.Load() {
				x = stwRound(x)
			}
			keep(x)
		}()
		for i := 0; i < 12; i++ {
			time.Sleep(3 * time.Millisecond)
			runtime.GC()
		}
		stop.Store(true)
		<-done
		return nil
	})
}

// stwRound spins for a few ms, then calls a function with a stack check,
// the only point where the goroutine can be stopped.
//
//go:noinline
func stwRound(x uint64) uint64 {
	x = spin(x, 3_000_000)
	return x + uint64(time.Now().UnixNano()&1)
}
