// The generated Go client against a real gateway, through three transports:
// connect-go speaking gRPC, connect-go speaking the Connect protocol, and
// grpc-go. Run by test/clients/go-client.test.ts (part of `npm test`), which
// starts the gateway and passes its address and settings in SWITCHYARD_*
// variables; run alone, the suite fails rather than skips.
package clients_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	switchyardv1 "github.com/switchyard-dev/switchyard/gen/go/switchyard/v1"
	"github.com/switchyard-dev/switchyard/gen/go/switchyard/v1/switchyardv1connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// suite holds the gateway's address and the mock settings the harness chose.
type suite struct {
	addr, url, prompt                   string
	streamModel, slowModel, longModel   string
	unknownModel, authorization         string
	chunkCount                          int
	chunkDelay, deadline, longStreamFor time.Duration
}

func loadSuite(t *testing.T) suite {
	t.Helper()
	get := func(name string) string {
		value := os.Getenv(name)
		if value == "" {
			t.Fatalf("%s is not set: run this suite through `npm test` (test/clients/go-client.test.ts)", name)
		}
		return value
	}
	number := func(name string) int {
		n, err := strconv.Atoi(get(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n
	}
	return suite{
		addr:          get("SWITCHYARD_ADDR"),
		url:           get("SWITCHYARD_URL"),
		prompt:        get("SWITCHYARD_PROMPT"),
		streamModel:   get("SWITCHYARD_STREAM_MODEL"),
		slowModel:     get("SWITCHYARD_SLOW_MODEL"),
		longModel:     get("SWITCHYARD_LONG_MODEL"),
		unknownModel:  get("SWITCHYARD_UNKNOWN_MODEL"),
		authorization: get("SWITCHYARD_AUTHORIZATION"),
		chunkCount:    number("SWITCHYARD_CHUNK_COUNT"),
		chunkDelay:    time.Duration(number("SWITCHYARD_CHUNK_DELAY_MS")) * time.Millisecond,
		deadline:      time.Duration(number("SWITCHYARD_DEADLINE_MS")) * time.Millisecond,
		longStreamFor: time.Duration(number("SWITCHYARD_LONG_STREAM_MS")) * time.Millisecond,
	}
}

func (s suite) request(model, role string) *switchyardv1.CompletionRequest {
	return &switchyardv1.CompletionRequest{
		Model:    model,
		Messages: []*switchyardv1.Message{{Role: role, Content: s.prompt}},
	}
}

func (s suite) expectedAnswer() string { return "This is a mock response to: " + s.prompt }

// client is one transport's way of making the calls the cases need; recv
// returns io.EOF after the last chunk.
type client struct {
	complete    func(ctx context.Context, req *switchyardv1.CompletionRequest) (*switchyardv1.ModelResponse, error)
	stream      func(ctx context.Context, req *switchyardv1.CompletionRequest) (recv func() (*switchyardv1.ModelResponseChunk, error), err error)
	routerState func(ctx context.Context, group string) (*switchyardv1.GetRouterStateResponse, error)
	// status reads the gRPC status code and message out of an error.
	status func(err error) (connect.Code, string)
}

func connectClient(s suite, useGRPC bool) client {
	httpClient := http.DefaultClient
	var options []connect.ClientOption
	if useGRPC {
		// gRPC needs HTTP/2; the gateway speaks it in cleartext (h2c, prior knowledge).
		protocols := new(http.Protocols)
		protocols.SetUnencryptedHTTP2(true)
		httpClient = &http.Client{Transport: &http.Transport{Protocols: protocols}}
		options = append(options, connect.WithGRPC())
	}
	inference := switchyardv1connect.NewInferenceServiceClient(httpClient, s.url, options...)
	admin := switchyardv1connect.NewAdminServiceClient(httpClient, s.url, options...)
	withAuth := func(req *switchyardv1.CompletionRequest) *connect.Request[switchyardv1.CompletionRequest] {
		r := connect.NewRequest(req)
		r.Header().Set("Authorization", s.authorization)
		return r
	}
	return client{
		complete: func(ctx context.Context, req *switchyardv1.CompletionRequest) (*switchyardv1.ModelResponse, error) {
			res, err := inference.Complete(ctx, withAuth(req))
			if err != nil {
				return nil, err
			}
			return res.Msg, nil
		},
		stream: func(ctx context.Context, req *switchyardv1.CompletionRequest) (func() (*switchyardv1.ModelResponseChunk, error), error) {
			stream, err := inference.StreamComplete(ctx, withAuth(req))
			if err != nil {
				return nil, err
			}
			return func() (*switchyardv1.ModelResponseChunk, error) {
				if stream.Receive() {
					return stream.Msg(), nil
				}
				if err := stream.Err(); err != nil {
					return nil, err
				}
				return nil, io.EOF
			}, nil
		},
		routerState: func(ctx context.Context, group string) (*switchyardv1.GetRouterStateResponse, error) {
			res, err := admin.GetRouterState(ctx, connect.NewRequest(&switchyardv1.GetRouterStateRequest{ModelGroup: group}))
			if err != nil {
				return nil, err
			}
			return res.Msg, nil
		},
		status: func(err error) (connect.Code, string) {
			var connectErr *connect.Error
			if errors.As(err, &connectErr) {
				return connectErr.Code(), connectErr.Message()
			}
			return connect.CodeUnknown, err.Error()
		},
	}
}

func grpcGoClient(t *testing.T, s suite) client {
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	inference := switchyardv1.NewInferenceServiceClient(conn)
	admin := switchyardv1.NewAdminServiceClient(conn)
	withAuth := func(ctx context.Context) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", s.authorization)
	}
	return client{
		complete: func(ctx context.Context, req *switchyardv1.CompletionRequest) (*switchyardv1.ModelResponse, error) {
			return inference.Complete(withAuth(ctx), req)
		},
		stream: func(ctx context.Context, req *switchyardv1.CompletionRequest) (func() (*switchyardv1.ModelResponseChunk, error), error) {
			stream, err := inference.StreamComplete(withAuth(ctx), req)
			if err != nil {
				return nil, err
			}
			return stream.Recv, nil
		},
		routerState: func(ctx context.Context, group string) (*switchyardv1.GetRouterStateResponse, error) {
			return admin.GetRouterState(ctx, &switchyardv1.GetRouterStateRequest{ModelGroup: group})
		},
		status: func(err error) (connect.Code, string) {
			st := status.Convert(err)
			// gRPC and Connect share the numbering of status codes.
			return connect.Code(st.Code()), st.Message()
		},
	}
}

func TestClients(t *testing.T) {
	s := loadSuite(t)
	clients := map[string]client{
		"connect-go over gRPC":    connectClient(s, true),
		"connect-go over Connect": connectClient(s, false),
		"grpc-go":                 grpcGoClient(t, s),
	}
	for _, name := range []string{"connect-go over gRPC", "connect-go over Connect", "grpc-go"} {
		c := clients[name]
		t.Run(name, func(t *testing.T) {
			t.Run("unary", func(t *testing.T) { testUnary(t, s, c) })
			t.Run("stream arrives incrementally", func(t *testing.T) { testStreamIsIncremental(t, s, c) })
			t.Run("deadline exceeded", func(t *testing.T) { testDeadline(t, s, c) })
			t.Run("cancel stops the upstream call", func(t *testing.T) { testCancel(t, s, c) })
			t.Run("errors map to status and message", func(t *testing.T) { testErrors(t, s, c) })
		})
	}
}

func testUnary(t *testing.T, s suite, c client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := c.complete(ctx, s.request(s.streamModel, "user"))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if got := reply.GetChoices()[0].GetMessage().GetContent(); got != s.expectedAnswer() {
		t.Errorf("content = %q, want %q", got, s.expectedAnswer())
	}
	if reply.GetChoices()[0].GetFinishReason() != switchyardv1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish reason = %v", reply.GetChoices()[0].GetFinishReason())
	}
	if reply.GetProvider() != "mock" || reply.GetModelGroup() != s.streamModel {
		t.Errorf("provider/model group = %q/%q", reply.GetProvider(), reply.GetModelGroup())
	}
	if u := reply.GetUsage(); u.GetTotalTokens() == 0 || u.GetTotalTokens() != u.GetPromptTokens()+u.GetCompletionTokens() {
		t.Errorf("usage = %v", u)
	}
}

func testStreamIsIncremental(t *testing.T, s suite, c client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recv, err := c.stream(ctx, s.request(s.streamModel, "user"))
	if err != nil {
		t.Fatalf("StreamComplete: %v", err)
	}
	var arrivals []time.Time
	var chunks []*switchyardv1.ModelResponseChunk
	for {
		chunk, err := recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		arrivals = append(arrivals, time.Now())
		chunks = append(chunks, chunk)
	}
	// chunkCount content chunks, then the final one with finish reason and usage.
	if len(chunks) != s.chunkCount+1 {
		t.Fatalf("got %d chunks, want %d", len(chunks), s.chunkCount+1)
	}
	var text strings.Builder
	for _, chunk := range chunks {
		text.WriteString(chunk.GetChoices()[0].GetDelta().GetContent())
	}
	if text.String() != s.expectedAnswer() {
		t.Errorf("streamed text = %q, want %q", text.String(), s.expectedAnswer())
	}
	last := chunks[len(chunks)-1]
	if last.GetChoices()[0].GetFinishReason() != switchyardv1.FinishReason_FINISH_REASON_STOP || last.GetUsage().GetCompletionTokens() == 0 {
		t.Errorf("final chunk = %v", last)
	}
	// The mock waits chunkDelay between chunks; buffered delivery would bunch them up.
	for i := 1; i < len(arrivals); i++ {
		if gap := arrivals[i].Sub(arrivals[i-1]); gap < s.chunkDelay/2 {
			t.Errorf("chunk %d arrived %v after chunk %d; the mock spaces them %v apart", i, gap, i-1, s.chunkDelay)
		}
	}
}

func testDeadline(t *testing.T, s suite, c client) {
	ctx, cancel := context.WithTimeout(context.Background(), s.deadline)
	defer cancel()
	started := time.Now()
	_, err := c.complete(ctx, s.request(s.slowModel, "user"))
	if code, message := c.status(err); code != connect.CodeDeadlineExceeded {
		t.Fatalf("Complete past its deadline: code %v (%q), want deadline_exceeded", code, message)
	}
	if elapsed := time.Since(started); elapsed > s.deadline+2*time.Second {
		t.Errorf("deadline of %v took %v to fire", s.deadline, elapsed)
	}

	streamCtx, cancelStream := context.WithTimeout(context.Background(), s.deadline)
	defer cancelStream()
	recv, err := c.stream(streamCtx, s.request(s.slowModel, "user"))
	if err == nil {
		_, err = recv()
	}
	if code, message := c.status(err); code != connect.CodeDeadlineExceeded {
		t.Fatalf("StreamComplete past its deadline: code %v (%q), want deadline_exceeded", code, message)
	}
}

func inFlight(t *testing.T, c client, group string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	state, err := c.routerState(ctx, group)
	if err != nil {
		t.Fatalf("GetRouterState: %v", err)
	}
	if len(state.GetDeployments()) == 0 {
		t.Fatalf("no deployment state for %s", group)
	}
	total := 0
	for _, d := range state.GetDeployments() {
		total += int(d.GetInFlight())
	}
	return total
}

func testCancel(t *testing.T, s suite, c client) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	streamCtx, cancelStream := context.WithCancel(ctx)
	recv, err := c.stream(streamCtx, s.request(s.longModel, "user"))
	if err != nil {
		t.Fatalf("StreamComplete: %v", err)
	}
	for i := 0; i < 2; i++ {
		if _, err := recv(); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	if n := inFlight(t, c, s.longModel); n != 1 {
		t.Fatalf("in flight while streaming = %d, want 1", n)
	}

	cancelStream()
	cancelledAt := time.Now()
	// The upstream stream would go on for longStreamFor; the gateway must drop it now.
	limit := s.longStreamFor / 4
	for inFlight(t, c, s.longModel) != 0 {
		if time.Since(cancelledAt) > limit {
			t.Fatalf("upstream call still in flight %v after the client cancelled", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := recv(); err == nil || err == io.EOF {
		t.Errorf("stream after cancel: err = %v, want a cancellation error", err)
	}
}

func testErrors(t *testing.T, s suite, c client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := c.complete(ctx, s.request(s.unknownModel, "user"))
	if code, message := c.status(err); code != connect.CodeNotFound || !strings.Contains(message, s.unknownModel) {
		t.Errorf("unknown model: code %v, message %q; want not_found naming %q", code, message, s.unknownModel)
	}

	recv, err := c.stream(ctx, s.request(s.streamModel, "robot"))
	if err == nil {
		_, err = recv()
	}
	if code, message := c.status(err); code != connect.CodeInvalidArgument || !strings.Contains(message, "messages[0].role") {
		t.Errorf("bad role: code %v, message %q; want invalid_argument naming messages[0].role", code, message)
	}
}
