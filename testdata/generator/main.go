// Command generator writes Go execution traces (runtime/trace) of small,
// real workloads whose causes of waiting are known. They are the test
// fixtures of schedstat; see README.md for what each scenario plants.
//
//	generator -list
//	generator -scenario NAME -o FILE.trace [-size-mb N]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/trace"
	"sort"
)

// options are the command-line settings a scenario may look at.
type options struct {
	out    string // path of the trace file to write
	name   string // the scenario being run (for scenarios registered under several names)
	sizeMB int    // size-scaled scenarios (bench, busy, ...): minimum size of the trace in MB
	seed   int64  // mixed: which random workload to run
}

// A scenario runs one workload. Except for flight, it starts tracing into
// opts.out itself (usually through traced) and stops it before returning.
type scenario func(opts *options) error

// scenarios is the registry; each scenario file adds itself from init.
var scenarios = map[string]scenario{}

func register(name string, run scenario) {
	if _, dup := scenarios[name]; dup {
		panic("duplicate scenario " + name)
	}
	scenarios[name] = run
}

// traced writes a trace of body to path: tracing starts before body runs
// and stops right after it returns.
func traced(path string, body func() error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := trace.Start(f); err != nil {
		return fmt.Errorf("trace.Start: %w", err)
	}
	berr := body()
	trace.Stop()
	return berr
}

func main() {
	var (
		name = flag.String("scenario", "", "scenario to run (see -list)")
		out  = flag.String("o", "", "trace file to write")
		list = flag.Bool("list", false, "print the names of the scenarios, one per line")
		size = flag.Int("size-mb", 40, "annotated, bench, busy, churn, webstackbench, tlsscopebench: write a trace of at least this many MB")
		seed = flag.Int64("seed", 1, "mixed scenario: the seed its random workload is drawn from")
	)
	flag.Parse()

	if *list {
		names := make([]string, 0, len(scenarios))
		for n := range scenarios {
			if n == "annotated" || n == "bench" || n == "busy" || n == "churn" || n == "mixed" || n == "stwprofile" || n == "webstack" || n == "webstackbench" || n == "tlsscope" || n == "tlsscopebench" {
				continue // generated on demand only, never a committed fixture
			}
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Println(n)
		}
		return
	}

	run, ok := scenarios[*name]
	if !ok || *out == "" || flag.NArg() != 0 {
		if *name != "" && !ok {
			fmt.Fprintf(os.Stderr, "generator: unknown scenario %q (see -list)\n", *name)
		}
		fmt.Fprintln(os.Stderr, "usage: generator -scenario NAME -o FILE.trace [-size-mb N] [-seed N] | generator -list")
		os.Exit(2)
	}
	if err := run(&options{out: *out, name: *name, sizeMB: *size, seed: *seed}); err != nil {
		fmt.Fprintf(os.Stderr, "generator: %s: %v\n", *name, err)
		os.Exit(1)
	}
}
