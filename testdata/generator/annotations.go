package main

import (
	"context"
	"runtime/trace"
	"sync"
	"time"
)

func init() { register("annotations", runAnnotations) }

// runAnnotations exercises runtime/trace user annotations across goroutines:
//   - task "batch" (ended) with one child task "item" per job (nested), ended
//     by annotatedWorker, except every 4th job whose task "item" is never
//     ended; a top-level task "background" that never ends; a task "handoff"
//     begun on one goroutine and ended on another;
//   - regions: WithRegion "decode" containing StartRegion "parse" (nested),
//     a region "wait" around a channel receive, and a region "stuck" still
//     open on a blocked goroutine (annotatedStuck) when tracing stops;
//   - trace.Log and trace.Logf inside tasks, and a Log with no task.
func runAnnotations(opts *options) error {
	release := make(chan struct{})
	defer close(release) // lets annotatedStuck finish after tracing stopped
	return traced(opts.out, func() error {
		ctx, batch := trace.NewTask(context.Background(), "batch")
		trace.Log(ctx, "config", "workers=4 jobs=24")

		_, background := trace.NewTask(context.Background(), "background")
		_ = background // deliberately never ended

		stuckIn := make(chan struct{})
		go annotatedStuck(ctx, stuckIn, release)
		<-stuckIn

		jobs := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			w := w // one per goroutine, whatever the module's Go version
			wg.Add(1)
			go func() { defer wg.Done(); annotatedWorker(ctx, w, jobs) }()
		}
		trace.WithRegion(ctx, "dispatch", func() {
			for j := 0; j < 24; j++ {
				jobs <- j
			}
			close(jobs)
		})

		hctx, handoff := trace.NewTask(ctx, "handoff")
		done := make(chan struct{})
		go func() {
			trace.Logf(hctx, "handoff", "ending task on goroutine %s", "other")
			handoff.End()
			close(done)
		}()
		<-done

		wg.Wait()
		trace.Log(context.Background(), "", "untasked log message")
		batch.End()
		return nil
	})
}

// annotatedWorker handles jobs, one child task "item" per job.
//
//go:noinline
func annotatedWorker(ctx context.Context, worker int, jobs <-chan int) {
	for {
		var j int
		var ok bool
		trace.WithRegion(ctx, "wait", func() { j, ok = <-jobs })
		if !ok {
			return
		}
		ictx, item := trace.NewTask(ctx, "item")
		trace.Logf(ictx, "job", "worker=%d job=%d", worker, j)
		trace.WithRegion(ictx, "decode", func() {
			r := trace.StartRegion(ictx, "parse")
			keep(spin(uint64(j), 20000))
			r.End()
			time.Sleep(200 * time.Microsecond)
		})
		if trace.IsEnabled() {
			trace.Log(ictx, "result", "ok")
		}
		if j%4 != 3 {
			item.End() // every 4th item task is left open on purpose
		}
	}
}

// annotatedStuck opens the region "stuck" and blocks in it until after
// tracing has stopped.
//
//go:noinline
func annotatedStuck(ctx context.Context, started chan<- struct{}, release <-chan struct{}) {
	r := trace.StartRegion(ctx, "stuck")
	close(started)
	<-release
	r.End()
}
