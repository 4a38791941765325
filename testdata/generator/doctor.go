package main

import (
	"runtime"
	"sync"
	"time"
)

// Ground truth for `schedstat doctor`: one scenario per pattern that no
// other scenario plants (deadlock, channel-bottleneck, context-switching,
// cpu-saturation, idle-ps). Each plants its cause in a function with a recognisable
// name, which the doctor must quote in its evidence.
func init() {
	register("deadlock", runDeadlock)
	register("chanbottleneck", runChanBottleneck)
	register("ctxswitch", runCtxSwitch)
	register("saturation", runSaturation)
	register("lockedthread", runLockedThread)
}

// runDeadlock: lockOrderA takes muA then muB, lockOrderB takes muB then muA
// (a lock-order inversion: each ends up waiting for the other's lock), and
// 4 lockWaiter goroutines then queue on muA behind them. Nothing can wake
// any of them; the main goroutine sleeps 30 ms and stops tracing (it is the
// only one still able to run, and it only stops the tracer).
func runDeadlock(opts *options) error {
	return traced(opts.out, func() error {
		var muA, muB sync.Mutex
		var both sync.WaitGroup
		both.Add(2)
		go lockOrderA(&muA, &muB, &both)
		go lockOrderB(&muA, &muB, &both)
		time.Sleep(5 * time.Millisecond)
		for i := 0; i < 4; i++ {
			go lockWaiter(&muA, uint64(i))
		}
		time.Sleep(30 * time.Millisecond)
		return nil
	})
}

// lockOrderA holds muA, waits until lockOrderB holds muB, then takes muB.
//
//go:noinline
func lockOrderA(muA, muB *sync.Mutex, both *sync.WaitGroup) {
	muA.Lock()
	both.Done()
	both.Wait()
	muB.Lock() // never returns: lockOrderB holds muB and waits for muA
	muB.Unlock()
	muA.Unlock()
}

// lockOrderB holds muB, waits until lockOrderA holds muA, then takes muA.
//
//go:noinline
func lockOrderB(muA, muB *sync.Mutex, both *sync.WaitGroup) {
	muB.Lock()
	both.Done()
	both.Wait()
	muA.Lock() // never returns
	muA.Unlock()
	muB.Unlock()
}

// lockWaiter queues on a lock that a deadlocked goroutine holds.
//
//go:noinline
func lockWaiter(mu *sync.Mutex, seed uint64) {
	keep(spin(seed, 1000))
	mu.Lock()
	keep(seed)
	mu.Unlock()
}

const (
	bottleneckSenders = 8
	bottleneckItems   = 150 // per sender
)

// runChanBottleneck: GOMAXPROCS(4); 8 resultSender goroutines do a little
// work per item and send it on one unbuffered channel that a single
// slowCollector drains, spending ~50 µs per item. The senders spend most
// of their time blocked in chan send at resultSender: a channel bottleneck.
func runChanBottleneck(opts *options) error {
	prev := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(prev)
	return traced(opts.out, func() error {
		results := make(chan uint64)
		var wg sync.WaitGroup
		wg.Add(bottleneckSenders)
		for i := 0; i < bottleneckSenders; i++ {
			go resultSender(results, uint64(i), bottleneckItems, &wg)
		}
		done := make(chan struct{})
		go func() { slowCollector(results); close(done) }()
		wg.Wait()
		close(results)
		<-done
		return nil
	})
}

// resultSender computes n small results and sends each on out.
//
//go:noinline
func resultSender(out chan<- uint64, seed uint64, n int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < n; i++ {
		seed = spin(seed, 2000)
		out <- seed
	}
}

// slowCollector receives every result and spends ~50 µs on each.
//
//go:noinline
func slowCollector(in <-chan uint64) {
	for v := range in {
		keep(spin(v, 40000))
	}
}

const (
	ringStages = 4
	ringPasses = 12000
)

// runCtxSwitch: GOMAXPROCS(2); 4 ringStage goroutines pass one token around
// a ring of unbuffered channels 12 000 times, doing ~1 µs of work per hop.
// Every goroutine runs for microseconds between blocking and being woken:
// the Ps spend their time switching goroutines, not working.
func runCtxSwitch(opts *options) error {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	return traced(opts.out, func() error {
		chans := make([]chan uint64, ringStages)
		for i := range chans {
			chans[i] = make(chan uint64)
		}
		var wg sync.WaitGroup
		wg.Add(ringStages)
		for i := 0; i < ringStages; i++ {
			go ringStage(chans[i], chans[(i+1)%ringStages], i == 0, &wg)
		}
		wg.Wait()
		return nil
	})
}

// ringStage receives the token, does a tiny piece of work and hands it on.
// The first stage injects the token and stops the ring after ringPasses hops.
//
//go:noinline
func ringStage(in <-chan uint64, out chan<- uint64, first bool, wg *sync.WaitGroup) {
	defer wg.Done()
	if first {
		out <- 1
	}
	for v := range in {
		if first && v >= ringPasses {
			close(out)
			for range in {
			}
			return
		}
		keep(spin(v, 600))
		out <- v + 1
	}
	close(out)
}

const (
	saturationWorkers = 24
	saturationChunks  = 40
)

// runSaturation: GOMAXPROCS(2); 24 cpuCruncher goroutines each do 40 chunks
// of ~0.4 ms of CPU work (~16 ms each, ~190 ms of CPU per P). Every P is
// busy the whole time with about 11 goroutines waiting per P: CPU-bound with
// far more goroutines than Ps. They are started a few at a time (not a
// launch burst).
func runSaturation(opts *options) error {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	return traced(opts.out, func() error {
		var wg sync.WaitGroup
		wg.Add(saturationWorkers)
		for i := 0; i < saturationWorkers; i++ {
			go cpuCruncher(uint64(i), &wg)
		}
		wg.Wait()
		return nil
	})
}

// cpuCruncher does CPU work in chunks (preemptible between calls).
//
//go:noinline
func cpuCruncher(seed uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < saturationChunks; i++ {
		seed = spin(seed, 300000)
	}
	keep(seed)
}

const (
	lockedPairs  = 3
	lockedRounds = 1500
)

// runLockedThread: GOMAXPROCS(4); 3 pairs of goroutines play ping-pong over
// unbuffered channels: lockedPonger, locked to its OS thread
// (runtime.LockOSThread), answers each ping after ~25 µs of work to
// pingSender. Whenever lockedPonger is made runnable it can only run on its
// own thread, so the P is handed to that thread, which has to be woken: the
// P sits idle while the goroutine waits (idle Ps while goroutines wait).
func runLockedThread(opts *options) error {
	prev := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(prev)
	return traced(opts.out, func() error {
		var wg sync.WaitGroup
		for k := 0; k < lockedPairs; k++ {
			ping, pong := make(chan uint64), make(chan uint64)
			wg.Add(2)
			go lockedPonger(ping, pong, &wg)
			go pingSender(ping, pong, &wg)
		}
		wg.Wait()
		return nil
	})
}

// lockedPonger answers every ping from its own locked OS thread.
//
//go:noinline
func lockedPonger(ping <-chan uint64, pong chan<- uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for v := range ping {
		pong <- spin(v, 20000)
	}
	close(pong)
}

// pingSender sends lockedRounds pings and waits for each answer.
//
//go:noinline
func pingSender(ping chan<- uint64, pong <-chan uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	v := uint64(1)
	for i := 0; i < lockedRounds; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	for range pong {
	}
}
