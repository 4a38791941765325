//go:build go1.25

package main

import (
	"os"
	"runtime/trace"
	"time"
)

// The flight recorder is in runtime/trace from Go 1.25 on; built with an
// older Go, the generator simply has no "flight" scenario.
func init() { register("flight", runFlight) }

// runFlight runs lightActivity for 2.6 s under runtime/trace.FlightRecorder
// (not trace.Start) and then snapshots its window with WriteTo. MinAge is 2 s
// and the runtime starts a generation about every second, so the snapshot
// holds several whole generations, the first of which starts mid-run (every
// goroutine and P begins in an undetermined state). flightSnapshot is where
// the snapshot is taken.
func runFlight(opts *options) error {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{
		MinAge:   2 * time.Second,
		MaxBytes: 4 << 20,
	})
	if err := fr.Start(); err != nil {
		return err
	}
	defer fr.Stop()
	if err := lightActivity(2600 * time.Millisecond); err != nil {
		return err
	}
	return flightSnapshot(fr, opts.out)
}

//go:noinline
func flightSnapshot(fr *trace.FlightRecorder, path string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = fr.WriteTo(f)
	return err
}
