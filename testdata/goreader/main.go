// Command goreader reads a Go execution trace with golang.org/x/exp/trace and
// prints, as one JSON line, how many events it read and how fast. It is the
// speed baseline that schedstat's own reader is compared against.
//
//	goreader FILE.trace
//
// The file is loaded into memory first; only parsing is timed.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/exp/trace"
)

type result struct {
	File         string  `json:"file"`
	Bytes        int     `json:"bytes"`
	Events       int64   `json:"events"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	MBPerSec     float64 `json:"mb_per_sec"`
	Reader       string  `json:"reader"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: goreader FILE.trace")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "goreader:", err)
		os.Exit(1)
	}

	start := time.Now()
	events, err := count(data)
	elapsed := time.Since(start).Seconds()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goreader: %s: after %d events: %v\n", os.Args[1], events, err)
		os.Exit(1)
	}

	res := result{
		File:    os.Args[1],
		Bytes:   len(data),
		Events:  events,
		Seconds: elapsed,
		Reader:  readerVersion(),
	}
	if elapsed > 0 {
		res.EventsPerSec = float64(events) / elapsed
		res.MBPerSec = float64(len(data)) / (1 << 20) / elapsed
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "goreader:", err)
		os.Exit(1)
	}
}

// count reads every event of the trace in data.
func count(data []byte) (int64, error) {
	r, err := trace.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	var n int64
	for {
		_, err := r.ReadEvent()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// readerVersion names the golang.org/x/exp module this binary was built with.
func readerVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "golang.org/x/exp" {
				return m.Path + "/trace@" + m.Version
			}
		}
	}
	return "golang.org/x/exp/trace"
}
