package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

func init() {
	register("webstack", runWebStack)
	register("webstackbench", runWebStackBench)
}

const (
	webClients  = 3
	webRequests = 16 // per client
	webAPIHost  = "api.webstack.test"
)

// runWebStack: inbound requests whose work spreads over many goroutines, the
// way a production server's does, for `schedstat requests` (the toolbox's
// regiongraph). webClient goroutines call a frontend HTTP server by the name
// localhost (found in /etc/hosts; IPv4 only); its handler (frontendHandler)
// calls a backend over HTTPS — TLS over loopback with a self-signed
// certificate made at start (selfSignedCert) — by the name
// api.webstack.test, which a DNS server inside the program (serveDNS, UDP on
// 127.0.0.1) resolves. Every other backend call uses a transport without
// keep-alive, so it looks the name up, dials and shakes hands again: inbound
// request → outbound round trip → dial → DNS lookup and TLS handshake. The
// backend handler (backendHandler) sleeps 200 µs. Generated on demand only
// (its traces for Go 1.21 and 1.27 are in testdata/oracle/toolbox/traces/).
func runWebStack(opts *options) error {
	ws, err := startWebStack()
	if err != nil {
		return err
	}
	defer ws.close()
	return traced(opts.out, func() error { return ws.round(webRequests) })
}

// runWebStackBench is webstack's workload, in rounds of 4 requests per
// client, until the trace has -size-mb MB: an old-format trace of some size
// for scripts/bench-toolbox.py (requests vs regiongraph). Not listed.
func runWebStackBench(opts *options) error {
	ws, err := startWebStack()
	if err != nil {
		return err
	}
	defer ws.close()
	var failed error
	err = tracedUntilSize(opts, func(int) {
		if failed == nil {
			failed = ws.round(4)
		}
	})
	if failed != nil {
		return failed
	}
	return err
}

// webStack is the running servers and clients of the webstack scenario.
type webStack struct {
	client, pooled *http.Client
	frontURL       string
	close          func()
}

// round has webClients goroutines make n requests each, and drops idle connections.
func (ws *webStack) round(n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, webClients)
	for i := 0; i < webClients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := webClient(ws.client, ws.frontURL, n); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	ws.client.CloseIdleConnections()
	ws.pooled.CloseIdleConnections()
	return <-errs
}

func startWebStack() (*webStack, error) {
	cert, pool, err := selfSignedCert(webAPIHost)
	if err != nil {
		return nil, err
	}
	dnsConn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go serveDNS(dnsConn)

	backendLn, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return nil, err
	}
	// Handshakes the client gives up (a dial it no longer needs) are no error here.
	quiet := log.New(io.Discard, "", 0)
	backend := &http.Server{Handler: http.HandlerFunc(backendHandler), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	go backend.Serve(backendLn)

	resolver := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp4", dnsConn.LocalAddr().String())
		},
	}
	dialer := &net.Dialer{Resolver: resolver, Timeout: 10 * time.Second}
	tlsConf := &tls.Config{RootCAs: pool}
	_, backendPort, _ := net.SplitHostPort(backendLn.Addr().String())
	backendURL := "https://" + net.JoinHostPort(webAPIHost, backendPort) + "/api"
	pooled := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: dialer.DialContext, TLSClientConfig: tlsConf, DisableCompression: true, MaxIdleConnsPerHost: webClients,
	}}
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: dialer.DialContext, TLSClientConfig: tlsConf, DisableCompression: true, DisableKeepAlives: true,
	}}

	frontLn, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var calls sync.Mutex
	n := 0
	front := &http.Server{ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Lock()
		n++
		c := pooled
		if n%2 == 0 {
			c = fresh
		}
		calls.Unlock()
		frontendHandler(w, r, c, backendURL)
	})}
	go front.Serve(frontLn)
	_, frontPort, _ := net.SplitHostPort(frontLn.Addr().String())
	v4 := &net.Dialer{Timeout: 10 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return v4.DialContext(ctx, "tcp4", addr)
		},
		DisableCompression: true, MaxIdleConnsPerHost: webClients,
	}}
	ws := &webStack{
		client:   client,
		pooled:   pooled,
		frontURL: "http://" + net.JoinHostPort("localhost", frontPort) + "/front",
		close: func() {
			front.Close()
			backend.Close()
			dnsConn.Close()
		},
	}
	// Warm up before tracing: the first TLS handshake initialises crypto tables.
	if err := webGet(pooled, backendURL); err != nil {
		ws.close()
		return nil, err
	}
	return ws, nil
}

// webClient makes n sequential GETs to the frontend.
func webClient(c *http.Client, url string, n int) error {
	for i := 0; i < n; i++ {
		if err := webGet(c, url); err != nil {
			return err
		}
	}
	return nil
}

func webGet(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// frontendHandler answers with what the backend says.
func frontendHandler(w http.ResponseWriter, r *http.Request, c *http.Client, backendURL string) {
	resp, err := c.Get(backendURL)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", "text/plain")
	io.Copy(w, resp.Body)
}

// backendHandler is a backend that takes 200 µs.
func backendHandler(w http.ResponseWriter, r *http.Request) {
	time.Sleep(200 * time.Microsecond)
	io.WriteString(w, strings.Repeat("api ", 64))
}

// selfSignedCert makes a certificate for host (and 127.0.0.1) and a pool that trusts it.
func selfSignedCert(host string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// serveDNS answers A queries for webAPIHost with 127.0.0.1 and every other
// question with no answer (a minimal DNS server, RFC 1035).
func serveDNS(conn net.PacketConn) {
	buf := make([]byte, 512)
	for {
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, err := dnsAnswer(buf[:n]); err == nil {
			conn.WriteTo(resp, addr)
		}
	}
}

func dnsAnswer(q []byte) ([]byte, error) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil, errors.New("not one question")
	}
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil, errors.New("bad name")
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil, errors.New("short question")
	}
	qend := i + 5
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	name := strings.ToLower(strings.Join(labels, "."))
	answer := qtype == 1 && name == webAPIHost
	resp := make([]byte, 0, qend+16)
	resp = append(resp, q[0], q[1], 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0)
	if answer {
		resp[7] = 1
	}
	resp = append(resp, q[12:qend]...)
	if answer {
		resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
	}
	return resp, nil
}
