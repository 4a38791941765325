// Command bundlegen writes Autoprof profile bundles (github.com/rhysh/autoprof)
// of a real, running Go program whose load changes between snapshots. They are
// the test data of `schedstat bundles`, which sorts bundles as the Go Tracing
// Toolbox's apshuffle does.
//
// Autoprof itself is not on the module proxy, so this program writes the same
// layout the way autoprof's zip collector does (collector.go, meta.go and
// writer.go at autoprof aed43a1): one uncompressed zip (entries stored, not
// deflated) per snapshot holding, in this order,
//
//	meta                         JSON: main, revision, go_version, hostname,
//	                             proc_id, init_time, capture_time
//	expvar                       every expvar, as one JSON object
//	pprof/heap                   runtime/pprof's heap profile (gzipped protobuf)
//	pprof/<name>                 every other runtime/pprof profile, path-escaped
//	pprof/profile                the CPU profile (-cpu, not in the first bundle)
//	pprof/trace                  an execution trace (every -trace-every'th bundle),
//	pprof/profile-during-trace   with the CPU profile taken while tracing
//
// Each bundle goes to OUT/<hostname>/<proc_id>/<capture time> (no extension:
// autoprof's suggested storage key ends the same way), written to a temporary
// name first and renamed.
//
//	bundlegen -o DIR [-hostname H] [-snapshots N] [-load rising|falling|spiky]
package main

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"expvar"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"sync"
	"time"
)

// rfc3339milli is autoprof's time format for init_time and capture_time.
const rfc3339milli = "2006-01-02T15:04:05.000Z07:00"

// archiveMeta is autoprof's ArchiveMeta: the JSON in each bundle's `meta`.
type archiveMeta struct {
	Main        string `json:"main"`
	Revision    string `json:"revision"`
	GoVersion   string `json:"go_version"`
	Hostname    string `json:"hostname"`
	ProcID      string `json:"proc_id"`
	InitTime    string `json:"init_time"`
	CaptureTime string `json:"capture_time"`
}

type options struct {
	out        string
	hostname   string
	snapshots  int
	load       string
	interval   time.Duration
	cpu        time.Duration
	traceDur   time.Duration
	traceEvery int
}

func main() {
	var o options
	flag.StringVar(&o.out, "o", "", "directory to write bundles under (OUT/<hostname>/<proc_id>/<capture time>)")
	flag.StringVar(&o.hostname, "hostname", "", "hostname written in meta (default: os.Hostname)")
	flag.IntVar(&o.snapshots, "snapshots", 5, "number of bundles to write")
	flag.StringVar(&o.load, "load", "rising", "how the load changes between snapshots: rising, falling or spiky")
	flag.DurationVar(&o.interval, "interval", 150*time.Millisecond, "time under each load level before its snapshot")
	flag.DurationVar(&o.cpu, "cpu", 120*time.Millisecond, "CPU profile duration (0: none; never in the first bundle, as autoprof's periodic collector)")
	flag.DurationVar(&o.traceDur, "trace", 20*time.Millisecond, "execution trace duration (0: none)")
	flag.IntVar(&o.traceEvery, "trace-every", 2, "write an execution trace into every Nth bundle (from the second)")
	flag.Parse()
	if o.out == "" || o.snapshots < 1 {
		fmt.Fprintln(os.Stderr, "usage: bundlegen -o DIR [-hostname H] [-snapshots N] [-load rising|falling|spiky]")
		os.Exit(2)
	}
	if err := run(&o); err != nil {
		fmt.Fprintln(os.Stderr, "bundlegen:", err)
		os.Exit(1)
	}
}

// loadLevel is the load of snapshot i (1 and up): what the goroutine, heap,
// mutex and CPU profiles of that bundle should show more or less of.
func loadLevel(pattern string, i, n int) (int, error) {
	switch pattern {
	case "rising":
		return i + 1, nil
	case "falling":
		return n - i, nil
	case "spiky":
		if i == n/2 {
			return n + 2, nil
		}
		return 1, nil
	}
	return 0, fmt.Errorf("unknown -load %q (rising, falling or spiky)", pattern)
}

func run(o *options) error {
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	hostname := o.hostname
	if hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return err
		}
		hostname = h
	}
	base, err := processMeta(hostname)
	if err != nil {
		return err
	}
	requests.Add(0)

	var parked parkedRequests
	for i := 0; i < o.snapshots; i++ {
		level, err := loadLevel(o.load, i, o.snapshots)
		if err != nil {
			return err
		}
		parked.resize(20 * level)
		retainCache(level)
		stop := startBusyWork(level)
		time.Sleep(o.interval)
		// The heap profile shows the heap as of the last completed GC cycle
		// (allocations appear one cycle later): two cycles make it this phase's.
		runtime.GC()
		runtime.GC()
		meta := base
		meta.CaptureTime = time.Now().UTC().Format(rfc3339milli)
		bundle := bundleOptions{}
		if i > 0 {
			bundle.cpu = o.cpu
			if o.traceEvery > 0 && i%o.traceEvery == 0 {
				bundle.trace = o.traceDur
			}
		}
		err = writeBundle(o.out, &meta, bundle)
		stop()
		if err != nil {
			return err
		}
	}
	parked.resize(0)
	return nil
}

// processMeta is the part of meta that stays the same for the process, built
// as autoprof's generateArchiveMeta does.
func processMeta(hostname string) (archiveMeta, error) {
	initTime := time.Now().UTC()
	var random [12]byte
	if _, err := rand.Read(random[:]); err != nil {
		return archiveMeta{}, err
	}
	m := archiveMeta{
		GoVersion: runtime.Version(),
		Hostname:  hostname,
		ProcID:    fmt.Sprintf("1-%08x-%02x-%d", uint32(initTime.Unix()), random, os.Getpid()),
		InitTime:  initTime.Format(rfc3339milli),
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		m.Main = info.Path
		m.Revision = info.Main.Version
	}
	return m, nil
}

type bundleOptions struct {
	cpu   time.Duration // CPU profile length; 0: none
	trace time.Duration // execution trace length; 0: none
}

// writeBundle writes one bundle as autoprof's zip collector lays it out, to a
// temporary file renamed into place when complete.
func writeBundle(out string, meta *archiveMeta, opt bundleOptions) (err error) {
	stamp := strings.NewReplacer("-", "", ":", "").Replace(meta.CaptureTime)
	dir := filepath.Join(out, url.PathEscape(meta.Hostname), url.PathEscape(meta.ProcID))
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	final := filepath.Join(dir, stamp)
	f, err := os.Create(final + ".tmp")
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(final+".tmp", final)
		} else {
			os.Remove(final + ".tmp")
		}
	}()
	zw := zip.NewWriter(f)
	add := func(name string, write func(w io.Writer) error) error {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			return err
		}
		return write(w)
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if err := add("meta", func(w io.Writer) error { _, err := w.Write(metaJSON); return err }); err != nil {
		return err
	}
	if err := add("expvar", writeExpvar); err != nil {
		return err
	}
	if err := add("pprof/heap", func(w io.Writer) error { return pprof.Lookup("heap").WriteTo(w, 0) }); err != nil {
		return err
	}
	for _, p := range pprof.Profiles() {
		if p.Name() == "heap" {
			continue
		}
		p := p
		if err := add("pprof/"+url.PathEscape(p.Name()), func(w io.Writer) error { return p.WriteTo(w, 0) }); err != nil {
			return err
		}
	}
	if opt.cpu > 0 {
		var buf bytes.Buffer
		if err := pprof.StartCPUProfile(&buf); err != nil {
			return err
		}
		time.Sleep(opt.cpu)
		pprof.StopCPUProfile()
		if err := add("pprof/profile", func(w io.Writer) error { _, err := buf.WriteTo(w); return err }); err != nil {
			return err
		}
	}
	if opt.trace > 0 {
		// As autoprof: with CPU profiling on for the bundle, a CPU profile
		// wholly encloses the trace, so the trace carries CPU samples too.
		var tr, cpu bytes.Buffer
		withCPU := opt.cpu > 0
		if withCPU {
			if err := pprof.StartCPUProfile(&cpu); err != nil {
				return err
			}
		}
		if err := trace.Start(&tr); err != nil {
			return err
		}
		time.Sleep(opt.trace)
		trace.Stop()
		if withCPU {
			pprof.StopCPUProfile()
		}
		if err := add("pprof/trace", func(w io.Writer) error { _, err := tr.WriteTo(w); return err }); err != nil {
			return err
		}
		if withCPU {
			if err := add("pprof/profile-during-trace", func(w io.Writer) error { _, err := cpu.WriteTo(w); return err }); err != nil {
				return err
			}
		}
	}
	return zw.Close()
}

// writeExpvar writes every expvar as one JSON object, as autoprof's expvarSource.
func writeExpvar(w io.Writer) error {
	var err error
	printf := func(format string, a ...interface{}) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	prefix := ""
	printf("{\n")
	expvar.Do(func(kv expvar.KeyValue) {
		printf("%s%q: %s", prefix, kv.Key, kv.Value)
		prefix = ",\n"
	})
	printf("\n}\n")
	return err
}

// requests counts the work done, published through expvar like a server's counters.
var requests = expvar.NewInt("requests")

// parkedRequests are goroutines blocked waiting for a reply that has not come
// (the goroutine profile's count follows the load).
type parkedRequests struct {
	release []chan struct{}
}

func (p *parkedRequests) resize(n int) {
	for len(p.release) < n {
		ch := make(chan struct{})
		p.release = append(p.release, ch)
		go awaitReply(ch)
	}
	for len(p.release) > n {
		last := len(p.release) - 1
		close(p.release[last])
		p.release = p.release[:last]
	}
}

func awaitReply(reply chan struct{}) {
	<-reply
	requests.Add(1)
}

// cache is the live heap that grows and shrinks with the load.
var cache [][]byte

// retainCache keeps level × 256 KiB live, in 4 KiB pieces allocated by fillCache.
func retainCache(level int) {
	cache = nil
	cache = fillCache(level * 64)
}

func fillCache(pieces int) [][]byte {
	c := make([][]byte, 0, pieces)
	for i := 0; i < pieces; i++ {
		b := make([]byte, 4096)
		b[0] = byte(i)
		c = append(c, b)
	}
	return c
}

// startBusyWork starts level goroutines that burn CPU in spinWork and 2×level
// that contend on one mutex in contendedUpdate, until the returned func is called.
func startBusyWork(level int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	shared := 0
	for i := 0; i < level; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spinWork(done)
		}()
	}
	for i := 0; i < 2*level; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			contendedUpdate(done, &mu, &shared)
		}()
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

func spinWork(done chan struct{}) {
	x := uint64(1)
	for {
		select {
		case <-done:
			return
		default:
		}
		for i := 0; i < 20000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if x == 0 {
			requests.Add(1)
		}
	}
}

func contendedUpdate(done chan struct{}, mu *sync.Mutex, shared *int) {
	for {
		select {
		case <-done:
			return
		default:
		}
		mu.Lock()
		for i := 0; i < 2000; i++ {
			*shared += i
		}
		mu.Unlock()
		time.Sleep(200 * time.Microsecond)
	}
}
