package main

import "runtime"

func init() { register("churn", runChurn) }

// runChurn writes a large trace (at least -size-mb MB) dominated by
// goroutine churn: storm after storm of short-lived goroutines (launchStorm)
// on two Ps, so that most of the trace is goroutines being created, waiting
// in run queues and exiting. The report's benchmark uses it beside `bench`
// (whose goroutines mostly block on channels). Not a committed fixture; left
// out of -list.
func runChurn(opts *options) error {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	return tracedUntilSize(opts, func(int) { launchStorm(stormSize) })
}
