package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
)

func init() { register("churn", runChurn) }

// runChurn writes a large trace (at least -size-mb MB) dominated by
// goroutine churn: storm after storm of short-lived goroutines (launchStorm)
// on two Ps, so that most of the trace is goroutines being created, waiting
// in run queues and exiting. The report's benchmark uses it beside `bench`
// (whose goroutines mostly block on channels). Not a committed fixture; left
// out of -list.
func runChurn(opts *options) (err error) {
	if opts.sizeMB <= 0 {
		return fmt.Errorf("-size-mb must be positive")
	}
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	want := int64(opts.sizeMB) << 20
	f, err := os.Create(opts.out)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	cw := &countingWriter{w: f}
	if err := trace.Start(cw); err != nil {
		return err
	}
	for cw.n.Load() < want {
		launchStorm(stormSize)
	}
	trace.Stop()
	return nil
}
