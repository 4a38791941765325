package main

import (
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"
)

// Healthy programs for `schedstat doctor`: nothing is wrong in them, so no
// finding may rise above "info". They are the doctor's false-positive checks.
func init() {
	register("idleserver", runIdleServer)
	register("workerpool", runWorkerPool)
	register("cpubatch", runCPUBatch)
}

// runIdleServer: an HTTP server on 127.0.0.1:0 that gets one request every
// 25 ms (6 in all, from idleClient), plus a background ticker loop
// (tickerLoop, every 10 ms). Most of the time every goroutine waits: the
// listener and the keep-alive connection in the network poller, the loop on
// its ticker. Long-lived blocked goroutines that are not leaks, and Ps idle
// with nothing to run.
func runIdleServer(opts *options) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(idleHandler)}
	go srv.Serve(ln)
	defer srv.Close()
	return traced(opts.out, func() error {
		quit := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); tickerLoop(quit) }()
		err := idleClient("http://"+ln.Addr().String()+"/", 6, 25*time.Millisecond)
		close(quit)
		wg.Wait()
		return err
	})
}

// idleHandler answers with a few bytes after a little work.
func idleHandler(w http.ResponseWriter, r *http.Request) {
	keep(spin(uint64(len(r.URL.Path)), 5000))
	io.WriteString(w, "ok\n")
}

// idleClient makes n GET requests, one every gap.
//
//go:noinline
func idleClient(url string, n int, gap time.Duration) error {
	for i := 0; i < n; i++ {
		time.Sleep(gap)
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil
}

// tickerLoop does a little housekeeping every 10 ms until quit is closed.
//
//go:noinline
func tickerLoop(quit <-chan struct{}) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			keep(spin(7, 2000))
		case <-quit:
			return
		}
	}
}

const poolJobs = 600

// runWorkerPool: GOMAXPROCS(2) and 2 poolWorker goroutines (as many as Ps)
// take 600 jobs of ~60 µs each from a buffered channel filled beforehand.
// The pool is sized to the Ps and never starved: no queueing, no idle P
// while work waits.
func runWorkerPool(opts *options) error {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	return traced(opts.out, func() error {
		jobs := make(chan uint64, poolJobs)
		for i := 0; i < poolJobs; i++ {
			jobs <- uint64(i)
		}
		close(jobs)
		var wg sync.WaitGroup
		wg.Add(2)
		for i := 0; i < 2; i++ {
			go poolWorker(jobs, &wg)
		}
		wg.Wait()
		return nil
	})
}

// poolWorker runs jobs until the channel is drained.
//
//go:noinline
func poolWorker(jobs <-chan uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		keep(spin(j, 50000))
	}
}

// runCPUBatch: GOMAXPROCS(2) and 2 batchCompute goroutines (as many as Ps),
// ~40 ms of CPU each: a short CPU-bound batch that uses every P without
// queueing.
func runCPUBatch(opts *options) error {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	return traced(opts.out, func() error {
		var wg sync.WaitGroup
		wg.Add(2)
		for i := 0; i < 2; i++ {
			go batchCompute(uint64(i), &wg)
		}
		wg.Wait()
		return nil
	})
}

// batchCompute crunches numbers in chunks.
//
//go:noinline
func batchCompute(seed uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < 100; i++ {
		seed = spin(seed, 300000)
	}
	keep(seed)
}
