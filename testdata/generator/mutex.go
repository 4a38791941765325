package main

import (
	"sync"
	"time"
)

func init() { register("mutex", runMutex) }

// runMutex plants synchronization waits:
//   - contendedLock: 6 goroutines fight over one sync.Mutex held while spinning
//     (blocked on sync.Mutex.Lock);
//   - chanProducer/chanConsumer: an unbuffered channel where first the consumer
//     is slow (producer blocked in chan send), then the producer is slow
//     (consumer blocked in chan receive);
//   - selectWaiter: blocked in select on two channels fed at a slow pace;
//   - condWaiter: blocked in sync.Cond.Wait until condBroadcaster wakes them;
//   - waitGroupWaiter: blocked in sync.WaitGroup.Wait for all of the above.
func runMutex(opts *options) error {
	return traced(opts.out, func() error {
		var wg sync.WaitGroup

		var mu sync.Mutex
		var shared uint64
		for i := 0; i < 6; i++ {
			i := i // one per goroutine, whatever the module's Go version
			wg.Add(1)
			go func() {
				defer wg.Done()
				contendedLock(&mu, &shared, uint64(i), 80)
			}()
		}

		ch := make(chan int)
		wg.Add(2)
		go func() { defer wg.Done(); chanProducer(ch, 100) }()
		go func() { defer wg.Done(); chanConsumer(ch) }()

		a, b, quit := make(chan int), make(chan int), make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); selectWaiter(a, b, quit) }()
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				time.Sleep(500 * time.Microsecond)
				if i%2 == 0 {
					a <- i
				} else {
					b <- i
				}
			}
			close(quit)
		}()

		var cmu sync.Mutex
		cond := sync.NewCond(&cmu)
		round := 0
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); condWaiter(cond, &round, 20) }()
		}
		wg.Add(1)
		go func() { defer wg.Done(); condBroadcaster(cond, &round, 20) }()

		waitGroupWaiter(&wg)
		keep(shared)
		return nil
	})
}

// contendedLock takes mu n times and holds it while spinning, so the other
// goroutines calling it block on the mutex.
//
//go:noinline
func contendedLock(mu *sync.Mutex, shared *uint64, seed uint64, n int) {
	for i := 0; i < n; i++ {
		mu.Lock()
		*shared += spin(seed, 20000)
		mu.Unlock()
		seed = spin(seed, 2000) // a little work outside the lock
	}
}

// chanProducer sends n values on ch: quickly in the first half (blocking in
// chan send on the slow consumer), slowly in the second half.
//
//go:noinline
func chanProducer(ch chan<- int, n int) {
	for i := 0; i < n; i++ {
		if i >= n/2 {
			time.Sleep(200 * time.Microsecond)
		}
		ch <- i
	}
	close(ch)
}

// chanConsumer receives until ch is closed: slowly in the first half,
// then waiting in chan receive on the slow producer.
//
//go:noinline
func chanConsumer(ch <-chan int) {
	for v := range ch {
		if v < 50 {
			keep(spin(uint64(v), 30000))
		}
	}
}

// selectWaiter waits in select for whichever of a and b delivers next.
//
//go:noinline
func selectWaiter(a, b <-chan int, quit <-chan struct{}) {
	for {
		select {
		case v := <-a:
			keep(uint64(v))
		case v := <-b:
			keep(uint64(v) << 1)
		case <-quit:
			return
		}
	}
}

// condWaiter waits in sync.Cond.Wait for each of rounds broadcasts.
//
//go:noinline
func condWaiter(c *sync.Cond, round *int, rounds int) {
	seen := 0
	c.L.Lock()
	for seen < rounds {
		for *round == seen {
			c.Wait()
		}
		seen = *round
	}
	c.L.Unlock()
}

//go:noinline
func condBroadcaster(c *sync.Cond, round *int, rounds int) {
	for i := 0; i < rounds; i++ {
		time.Sleep(300 * time.Microsecond)
		c.L.Lock()
		*round++
		c.L.Unlock()
		c.Broadcast()
	}
}

// waitGroupWaiter blocks in sync.WaitGroup.Wait.
//
//go:noinline
func waitGroupWaiter(wg *sync.WaitGroup) {
	wg.Wait()
}
