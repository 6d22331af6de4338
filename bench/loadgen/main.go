// streamload: an open-loop (fixed rate) or closed-loop (fixed concurrency)
// load generator for *streaming* calls that records, per request, the time
// to the first streamed message and to the end of the stream. vegeta and ghz
// only see whole responses, so time-to-first-token needs this.
//
// Modes (how the body is framed and what counts as a message):
//
//	sse      OpenAI chat completions, `stream: true`: the first `data:` event
//	connect  Connect server-streaming over HTTP/1.1 (application/connect+json envelopes)
//	grpc     gRPC over HTTP/2 cleartext (prior knowledge): the first length-prefixed message
//
// The body file holds the request as sent (JSON for sse/connect, a binary
// protobuf message for grpc); connect and grpc bodies are enveloped here.
// Output: one JSON object on stdout with raw per-request samples; the
// harness computes percentiles.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type result struct {
	Requests     int       `json:"requests"`
	Errors       int       `json:"errors"`
	ErrorSamples []string  `json:"errorSamples"`
	DurationS    float64   `json:"durationS"`
	TtftMs       []float64 `json:"ttftMs"`
	TotalMs      []float64 `json:"totalMs"`
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ",") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	url := flag.String("url", "", "target URL")
	mode := flag.String("mode", "sse", "sse | connect | grpc")
	bodyFile := flag.String("body-file", "", "request body file")
	rate := flag.Float64("rate", 100, "requests per second; 0 = as fast as -concurrency allows")
	concurrency := flag.Int("concurrency", 64, "workers for -rate 0")
	duration := flag.Duration("duration", 5*time.Second, "how long to send")
	timeout := flag.Duration("timeout", 10*time.Second, "per-request timeout")
	maxInFlight := flag.Int("max-in-flight", 5000, "open-loop cap on outstanding requests (requests past it count as errors)")
	var headers headerFlags
	flag.Var(&headers, "header", "extra header 'Name: value' (repeatable)")
	flag.Parse()

	raw, err := os.ReadFile(*bodyFile)
	if err != nil {
		fail(err)
	}
	body, contentType := frame(*mode, raw)
	client := newClient(*mode, *concurrency)

	var mu sync.Mutex
	res := result{ErrorSamples: []string{}, TtftMs: []float64{}, TotalMs: []float64{}}
	record := func(ttft, total time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		res.Requests++
		if err != nil {
			res.Errors++
			if len(res.ErrorSamples) < 5 {
				res.ErrorSamples = append(res.ErrorSamples, err.Error())
			}
			return
		}
		res.TtftMs = append(res.TtftMs, float64(ttft.Microseconds())/1000)
		res.TotalMs = append(res.TotalMs, float64(total.Microseconds())/1000)
	}
	one := func() {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		ttft, total, err := call(ctx, client, *url, *mode, body, contentType, headers)
		record(ttft, total, err)
	}

	start := time.Now()
	var wg sync.WaitGroup
	if *rate > 0 {
		// Open loop: request i is sent at start + i/rate whatever happened to
		// the earlier ones, so a slow system cannot slow the arrivals down.
		inFlight := make(chan struct{}, *maxInFlight)
		interval := time.Duration(float64(time.Second) / *rate)
		for i := 0; ; i++ {
			due := start.Add(time.Duration(i) * interval)
			if due.Sub(start) >= *duration {
				break
			}
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			select {
			case inFlight <- struct{}{}:
				wg.Add(1)
				go func() { defer wg.Done(); defer func() { <-inFlight }(); one() }()
			default:
				record(0, 0, errors.New("client: too many requests in flight"))
			}
		}
	} else {
		deadline := start.Add(*duration)
		for w := 0; w < *concurrency; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					one()
				}
			}()
		}
	}
	sendingDone := time.Since(start)
	wg.Wait()
	res.DurationS = sendingDone.Seconds()
	out, _ := json.Marshal(res)
	os.Stdout.Write(out)
	os.Stdout.Write([]byte("\n"))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "streamload:", err)
	os.Exit(2)
}

// frame wraps the body the way the protocol sends it.
func frame(mode string, raw []byte) ([]byte, string) {
	switch mode {
	case "sse":
		return raw, "application/json"
	case "connect":
		return envelope(raw), "application/connect+json"
	case "grpc":
		return envelope(raw), "application/grpc"
	}
	fail(fmt.Errorf("unknown -mode %q", mode))
	return nil, ""
}

// envelope is the 5-byte prefix (flags, big-endian length) shared by gRPC
// and Connect streaming.
func envelope(msg []byte) []byte {
	out := make([]byte, 5+len(msg))
	binary.BigEndian.PutUint32(out[1:5], uint32(len(msg)))
	copy(out[5:], msg)
	return out
}

func newClient(mode string, conns int) *http.Client {
	transport := &http.Transport{
		MaxIdleConns:        conns * 4,
		MaxIdleConnsPerHost: conns * 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	}
	if mode == "grpc" {
		protocols := new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
		transport.Protocols = protocols
	}
	return &http.Client{Transport: transport}
}

func call(ctx context.Context, client *http.Client, url, mode string, body []byte, contentType string, headers []string) (time.Duration, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("content-type", contentType)
	switch mode {
	case "grpc":
		req.Header.Set("te", "trailers")
	case "connect":
		req.Header.Set("connect-protocol-version", "1")
	case "sse":
		req.Header.Set("accept", "text/event-stream")
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return 0, 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet)))
	}
	var ttft time.Duration
	first := func() {
		if ttft == 0 {
			ttft = time.Since(start)
		}
	}
	switch mode {
	case "sse":
		err = readSSE(resp.Body, first)
	default:
		err = readEnvelopes(resp.Body, mode, first)
	}
	if err != nil {
		return 0, 0, err
	}
	if mode == "grpc" {
		if status := resp.Trailer.Get("grpc-status"); status != "0" {
			return 0, 0, fmt.Errorf("grpc-status %s: %s", status, resp.Trailer.Get("grpc-message"))
		}
	}
	if ttft == 0 {
		return 0, 0, errors.New("stream ended without a message")
	}
	return ttft, time.Since(start), nil
}

// readSSE reads events until `data: [DONE]` or EOF; every other data line is a message.
func readSSE(r io.Reader, onMessage func()) error {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 4*1024*1024)
	done := false
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, "data:") {
			continue
		}
		data := strings.TrimSpace(line[5:])
		if data == "[DONE]" {
			done = true
			continue
		}
		if strings.Contains(data, `"error"`) && !strings.Contains(data, `"choices"`) {
			return fmt.Errorf("error event: %.200s", data)
		}
		onMessage()
	}
	if err := scanner.Err(); err != nil {
		return err
	}
	if !done {
		return errors.New("SSE stream ended without [DONE]")
	}
	return nil
}

// readEnvelopes reads length-prefixed messages; for Connect, the end-stream
// envelope (flag 0x02) carries an error when the call failed.
func readEnvelopes(r io.Reader, mode string, onMessage func()) error {
	br := bufio.NewReaderSize(r, 64*1024)
	header := make([]byte, 5)
	for {
		if _, err := io.ReadFull(br, header); err != nil {
			if errors.Is(err, io.EOF) {
				if mode == "connect" {
					return errors.New("connect stream ended without an end-stream message")
				}
				return nil
			}
			return err
		}
		n := binary.BigEndian.Uint32(header[1:5])
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return err
		}
		if mode == "connect" && header[0]&0x02 != 0 {
			var end struct {
				Error *struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(payload, &end); err != nil {
				return err
			}
			if end.Error != nil {
				return fmt.Errorf("connect error %s: %s", end.Error.Code, end.Error.Message)
			}
			return nil
		}
		onMessage()
	}
}
