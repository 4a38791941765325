package main

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

func init() { register("mixed", runMixed) }

// runMixed runs a random workload drawn from -seed: a GOMAXPROCS of 1 to 4,
// then three to six phases, each a storm of short goroutines, a CPU hog
// beside channel ping-pong, a contended mutex, channel ping-pong alone,
// allocation-heavy goroutines with forced GCs, or sleepers, with random
// sizes. Differential testing against dt/schedstat
// (scripts/dt-differential.py) runs it over hundreds of seeds, so that the
// comparison sees shapes no fixture was written for. The same seed gives
// the same workload (not the same trace: scheduling varies). Not a committed
// fixture; left out of -list.
func runMixed(opts *options) error {
	rng := rand.New(rand.NewSource(opts.seed))
	procs := 1 + rng.Intn(4)
	prev := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(prev)
	phases := 3 + rng.Intn(4)
	plan := make([]func(), 0, phases)
	names := make([]string, 0, phases)
	for i := 0; i < phases; i++ {
		name, phase := mixedPhase(rng)
		names = append(names, name)
		plan = append(plan, phase)
	}
	// The plan on stderr, so a difference found on this trace can be read back to its workload.
	fmt.Fprintf(os.Stderr, "mixed -seed %d: GOMAXPROCS=%d %s\n", opts.seed, procs, strings.Join(names, ", "))
	return traced(opts.out, func() error {
		for _, p := range plan {
			p()
		}
		return nil
	})
}

// mixedPhase draws one phase of runMixed: its name and the work.
func mixedPhase(rng *rand.Rand) (string, func()) {
	seed := rng.Uint64()
	switch rng.Intn(6) {
	case 0:
		n := 100 + rng.Intn(2400)
		return fmt.Sprintf("storm(%d)", n), func() { launchStorm(n) }
	case 1:
		hold := time.Duration(5+rng.Intn(30)) * time.Millisecond
		pairs := 1 + rng.Intn(8)
		return fmt.Sprintf("hog(%v, %d pairs)", hold, pairs), func() { hogBesidePingPong(hold, pairs, seed) }
	case 2:
		workers, n := 2+rng.Intn(10), 5+rng.Intn(40)
		return fmt.Sprintf("mutex(%d workers x %d)", workers, n), func() { contend(workers, n, seed) }
	case 3:
		pairs, n := 1+rng.Intn(64), 4+rng.Intn(32)
		return fmt.Sprintf("pingpong(%d x %d)", pairs, n), func() { pingPongs(pairs, n, seed) }
	case 4:
		workers, n := 1+rng.Intn(4), 20000+rng.Intn(200000)
		return fmt.Sprintf("alloc(%d x %d)", workers, n), func() { allocate(workers, n) }
	default:
		sleepers, n := 1+rng.Intn(50), 1+rng.Intn(5)
		d := time.Duration(100+rng.Intn(2000)) * time.Microsecond
		return fmt.Sprintf("sleep(%d x %d x %v)", sleepers, n, d), func() { sleepGroup(sleepers, n, d) }
	}
}

//go:noinline
func hogBesidePingPong(hold time.Duration, pairs int, seed uint64) {
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		deadline := time.Now().Add(hold)
		x := seed
		for time.Now().Before(deadline) {
			x = spin(x, 1<<12)
		}
		keep(x)
		close(done)
	}()
	pingPongs(pairs, 8, seed)
	<-done
	wg.Wait()
}

//go:noinline
func contend(workers, n int, seed uint64) {
	var mu sync.Mutex
	var shared uint64
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(s uint64) {
			defer wg.Done()
			contendedLock(&mu, &shared, s, n)
		}(seed + uint64(i))
	}
	wg.Wait()
	keep(shared)
}

//go:noinline
func pingPongs(pairs, n int, seed uint64) {
	var wg sync.WaitGroup
	for i := 0; i < pairs; i++ {
		wg.Add(1)
		go func(v uint64) {
			defer wg.Done()
			benchPingPong(v, n)
		}(seed + uint64(i))
	}
	wg.Wait()
}

//go:noinline
func allocate(workers, n int) {
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			allocHeavy(s, n)
		}(i)
	}
	wg.Wait()
	forceGC(1)
}

//go:noinline
func sleepGroup(count, n int, d time.Duration) {
	var wg sync.WaitGroup
	for i := 0; i < count; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sleeper(n, d)
		}()
	}
	wg.Wait()
}
