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

// runFlight runs lightActivity for 3.2 s under runtime/trace.FlightRecorder
// (not trace.Start) and then snapshots its window with WriteTo. The runtime
// starts a generation about every second and MinAge is 1.5 s, so the
// snapshot holds the last three generations: the first second of the
// recording has already been dropped and the window starts mid-run.
// flightSnapshot is where the snapshot is taken.
func runFlight(opts *options) error {
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{
		MinAge:   1500 * time.Millisecond,
		MaxBytes: 4 << 20,
	})
	if err := fr.Start(); err != nil {
		return err
	}
	defer fr.Stop()
	if err := lightActivity(3200 * time.Millisecond); err != nil {
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
