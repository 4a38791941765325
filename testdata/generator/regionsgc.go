package main

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"sync"
	"time"
)

func init() { register("regionsgc", runRegionsGC) }

// runRegionsGC plants annotated work under garbage-collector pressure, so
// region breakdowns include GC ranges: three goroutines each run four tasks
// "request"; in each, region "alloc" allocates quickly with GOGC=50 (mark
// assists and stop-the-world pauses land inside it), region "write" writes
// 64 KiB to /dev/null (syscalls), and region "sleep" sleeps 100 µs. Task
// "spawn" starts two short-lived goroutines from inside its region "spawner".
func runRegionsGC(opts *options) error {
	prevPct := debug.SetGCPercent(50)
	defer debug.SetGCPercent(prevPct)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	buf := make([]byte, 64<<10)
	runtime.GC() // start from a clean heap, before tracing
	return traced(opts.out, func() error {
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			i := i // one per goroutine, whatever the module's Go version
			wg.Add(1)
			go func() {
				defer wg.Done()
				annotatedRequests(i, devnull, buf)
			}()
		}
		// Goroutines created inside a region inherit its task: Go records
		// each as a nameless region of that task on the new goroutine.
		ctx, spawn := trace.NewTask(context.Background(), "spawn")
		trace.WithRegion(ctx, "spawner", func() {
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(50 * time.Microsecond)
				}()
			}
		})
		spawn.End()
		wg.Wait()
		return nil
	})
}

// annotatedRequests runs four "request" tasks with their three regions.
//
//go:noinline
func annotatedRequests(worker int, out *os.File, buf []byte) {
	for j := 0; j < 4; j++ {
		ctx, task := trace.NewTask(context.Background(), "request")
		trace.WithRegion(ctx, "alloc", func() { allocHeavy(worker+j+1, 3000) })
		trace.WithRegion(ctx, "write", func() {
			for i := 0; i < 4; i++ {
				_, _ = out.Write(buf)
			}
		})
		trace.WithRegion(ctx, "sleep", func() { time.Sleep(100 * time.Microsecond) })
		task.End()
	}
}
