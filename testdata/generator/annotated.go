package main

import (
	"context"
	"runtime/trace"
	"sync"
	"sync/atomic"
)

func init() { register("annotated", runAnnotated) }

// runAnnotated writes a large trace (at least -size-mb MB) of a server that
// annotates its work, as instrumented services do: each client keeps a
// `session` task open for the whole trace, and every request it sends is a
// `request` task (a child of the session) with a `route` log; the worker
// that serves it runs regions `decode` (CPU in busySpin), `store` (under a
// contended mutex) and `reply` (the hand-back on a channel). Millions of
// tasks, regions and logs: the tables schedstat writes as they end. Not a
// committed fixture; left out of -list.
func runAnnotated(opts *options) error {
	type request struct {
		ctx   context.Context
		n     uint64
		reply chan uint64
	}
	var (
		requests = make(chan request, 64)
		stop     atomic.Bool
		mu       sync.Mutex
		shared   = map[uint64]uint64{}
		wg       sync.WaitGroup
	)
	const workers, clients = 16, 24
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range requests {
				var v uint64
				trace.WithRegion(r.ctx, "decode", func() { v = busySpin(r.n, 500+int(r.n%5)*200) })
				trace.WithRegion(r.ctx, "store", func() {
					mu.Lock()
					shared[r.n%256] += v
					mu.Unlock()
				})
				trace.WithRegion(r.ctx, "reply", func() { r.reply <- v })
			}
		}()
	}
	var clientsDone sync.WaitGroup
	start := func() {
		for c := 0; c < clients; c++ {
			clientsDone.Add(1)
			go func(c int) {
				defer clientsDone.Done()
				session, task := trace.NewTask(context.Background(), "session")
				defer task.End()
				reply := make(chan uint64)
				for i := uint64(c); !stop.Load(); i += clients {
					ctx, req := trace.NewTask(session, "request")
					trace.Log(ctx, "route", "/items")
					requests <- request{ctx: ctx, n: i, reply: reply}
					keep(<-reply)
					req.End()
				}
			}(c)
		}
	}
	return tracedWhileServing(opts, start, &stop, &clientsDone, func() {
		close(requests)
		wg.Wait()
	})
}
