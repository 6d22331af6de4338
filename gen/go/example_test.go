package client_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"connectrpc.com/connect"
	switchyardv1 "github.com/switchyard-dev/switchyard/gen/go/switchyard/v1"
	"github.com/switchyard-dev/switchyard/gen/go/switchyard/v1/switchyardv1connect"
)

// A completion through connect-go (the Connect protocol over HTTP/1.1).
// Not run by `go test` (no Output comment): it needs a running gateway.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := switchyardv1connect.NewInferenceServiceClient(http.DefaultClient, "http://localhost:4000")
	reply, err := client.Complete(ctx, connect.NewRequest(&switchyardv1.CompletionRequest{
		Model:    "mock",
		Messages: []*switchyardv1.Message{{Role: "user", Content: "Say hello"}},
	}))
	if err != nil {
		fmt.Println(connect.CodeOf(err), err)
		return
	}
	fmt.Println(reply.Msg.GetChoices()[0].GetMessage().GetContent())
}
