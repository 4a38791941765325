package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"
)

func init() {
	register("tlsscope", runTLSScope)
	register("tlsscopebench", runTLSScopeBench)
}

const (
	scopeClients    = 3
	scopeHandshakes = 50 // per client
)

// runTLSScope: TLS 1.2 handshakes over loopback with the CPU profiler on
// while tracing, for `schedstat scope` (the toolbox's scope_tls). The
// server asks for a client certificate, and the client's key is RSA-3072,
// so each client handshake spends a few milliseconds signing its
// CertificateVerify between reading the server's first flight and waiting
// for its Finished: the window scope_tls measures, where CPU samples land.
// scopeClients goroutines (scopeClient) make scopeHandshakes GETs each
// through a transport without keep-alive (one handshake per request; net/http
// runs it on the goroutine persistConn.addTLS starts), each inside a
// runtime/trace region "tlsGet", and the signing inside one of type
// "rsaSign" (on the handshake's goroutine). TLS 1.2 because
// scope_tls looks for crypto/tls.(*clientHandshakeState).readFinished, the
// TLS 1.2 client's. Not listed by -list (not a fixture): its Go 1.21.13
// and 1.27.3 traces are data in testdata/oracle/toolbox/traces/.
func runTLSScope(opts *options) error {
	client, url, stop, err := startTLSScope()
	if err != nil {
		return err
	}
	defer stop()
	return traced(opts.out, func() error {
		if err := pprof.StartCPUProfile(io.Discard); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
		return scopeRound(client, url, scopeHandshakes)
	})
}

// runTLSScopeBench is tlsscope's workload, in rounds of 4 handshakes per
// client, until the trace has -size-mb MB: an old-format trace of some size
// for scripts/bench-toolbox.py (scope vs scope_tls). Not listed.
func runTLSScopeBench(opts *options) error {
	client, url, stop, err := startTLSScope()
	if err != nil {
		return err
	}
	defer stop()
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	var failed error
	err = tracedUntilSize(opts, func(int) {
		if failed == nil {
			failed = scopeRound(client, url, 4)
		}
	})
	if failed != nil {
		return failed
	}
	return err
}

// scopeRound has scopeClients goroutines make n handshakes each.
func scopeRound(client *http.Client, url string, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, scopeClients)
	for i := 0; i < scopeClients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := scopeClient(client, url, n); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// startTLSScope starts the HTTPS server and returns a client for it (after
// one warm-up request) and a function that stops the server.
func startTLSScope() (*http.Client, string, func(), error) {
	serverCert, pool, err := selfSignedCert("127.0.0.1")
	if err != nil {
		return nil, "", nil, err
	}
	clientCert, err := rsaClientCert()
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAnyClientCert,
		MaxVersion:   tls.VersionTLS12,
	})
	if err != nil {
		return nil, "", nil, err
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go srv.Serve(ln)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{
			RootCAs:      pool,
			Certificates: []tls.Certificate{clientCert},
			MaxVersion:   tls.VersionTLS12,
		},
		DisableKeepAlives:  true,
		DisableCompression: true,
	}}
	url := "https://" + ln.Addr().String() + "/"
	// Warm up before tracing: the first handshake initialises crypto tables.
	if err := webGet(client, url); err != nil {
		srv.Close()
		return nil, "", nil, err
	}
	return client, url, func() { srv.Close() }, nil
}

// scopeClient makes n sequential GETs, each over a new TLS connection and
// inside a runtime/trace region of type tlsGet (for `schedstat scope --region`).
//
//go:noinline
func scopeClient(c *http.Client, url string, n int) error {
	for i := 0; i < n; i++ {
		var err error
		trace.WithRegion(context.Background(), "tlsGet", func() { err = webGet(c, url) })
		if err != nil {
			return fmt.Errorf("handshake %d: %w", i, err)
		}
	}
	return nil
}

// rsaClientCert is a self-signed client certificate with an RSA-3072 key
// (slow to sign with: the CPU work inside the handshake), signing in a
// runtime/trace region (regionSigner).
func rsaClientCert() (tls.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "tlsscope client"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: regionSigner{key}}, nil
}

// regionSigner signs inside a runtime/trace region of type rsaSign (on the
// handshake's goroutine), for `schedstat scope --region rsaSign`.
type regionSigner struct{ key *rsa.PrivateKey }

func (s regionSigner) Public() crypto.PublicKey { return s.key.Public() }

func (s regionSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) (sig []byte, err error) {
	trace.WithRegion(context.Background(), "rsaSign", func() { sig, err = s.key.Sign(r, digest, opts) })
	return sig, err
}
