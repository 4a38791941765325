package main

import (
	"fmt"
	"io"
	"os"
	"runtime/trace"
	"sync"
	"sync/atomic"
)

func init() { register("bench", runBench) }

// countingWriter counts the bytes the tracer has written so far.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// runBench writes a large trace (at least -size-mb MB) for reader speed
// measurements: rounds of goroutine churn (benchRound), channel ping-pong
// (benchPingPong) and short syscalls, until the tracer has written enough.
// It is not a committed fixture and is left out of -list.
func runBench(opts *options) error {
	return tracedUntilSize(opts, benchRound)
}

// tracedUntilSize traces round(0), round(1), ... into opts.out until the
// tracer has written at least -size-mb MB.
func tracedUntilSize(opts *options, round func(int)) (err error) {
	if opts.sizeMB <= 0 {
		return fmt.Errorf("-size-mb must be positive")
	}
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
	for i := 0; cw.n.Load() < want; i++ {
		round(i)
	}
	trace.Stop()
	return nil
}

//go:noinline
func benchRound(round int) {
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		i := i // one per goroutine, whatever the module's Go version
		wg.Add(1)
		go func() {
			defer wg.Done()
			benchPingPong(uint64(round*64+i), 16)
			if i%8 == 0 {
				keep(uint64(os.Getppid()))
			}
		}()
	}
	wg.Wait()
}

// benchPingPong bounces a value n times between two goroutines.
//
//go:noinline
func benchPingPong(v uint64, n int) {
	ping, pong := make(chan uint64), make(chan uint64)
	go func() {
		for x := range ping {
			pong <- x + 1
		}
		close(pong)
	}()
	for i := 0; i < n; i++ {
		ping <- v
		v = <-pong
		v = spin(v, 200)
	}
	close(ping)
	keep(v)
}
