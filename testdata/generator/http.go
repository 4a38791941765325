package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

func init() { register("http", runHTTP) }

const (
	httpWorkers  = 4
	httpRequests = 75 // per worker
)

// runHTTP plants network waits: an HTTP server and 4 client goroutines on
// 127.0.0.1 (an ephemeral port) make 300 requests. The clients
// (httpClientWorker) block on the network reading responses; the server's
// connection goroutines block reading requests; handleRequest sleeps on
// every 10th request to act as a slow backend.
func runHTTP(opts *options) error {
	return traced(opts.out, func() error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: http.HandlerFunc(handleRequest), ReadHeaderTimeout: 10 * time.Second}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()

		client := &http.Client{
			Timeout:   10 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: httpWorkers, DisableCompression: true},
		}
		url := "http://" + ln.Addr().String() + "/work"
		var wg sync.WaitGroup
		errs := make(chan error, httpWorkers)
		for w := 0; w < httpWorkers; w++ {
			w := w // one per goroutine, whatever the module's Go version
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := httpClientWorker(client, url, w, httpRequests); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		client.CloseIdleConnections()
		if err := srv.Close(); err != nil {
			return err
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return <-errs
	})
}

// httpClientWorker makes n GET requests and reads each response body.
//
//go:noinline
func httpClientWorker(c *http.Client, url string, worker, n int) error {
	for i := 0; i < n; i++ {
		resp, err := c.Get(fmt.Sprintf("%s?w=%d&i=%d", url, worker, i))
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
	}
	return nil
}

var httpBody = make([]byte, 1024)

// handleRequest answers with 1 KiB; every 10th request sleeps 1 ms first.
func handleRequest(w http.ResponseWriter, r *http.Request) {
	if i, _ := strconv.Atoi(r.URL.Query().Get("i")); i%10 == 9 {
		time.Sleep(time.Millisecond)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(httpBody)
}
