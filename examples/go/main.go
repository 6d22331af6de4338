// Calls a Switchyard gateway with the generated Go client (connect-go).
//
//	cd examples/go && go run . "Write a haiku about routers"
//
// SWITCHYARD_URL (default http://localhost:4000), SWITCHYARD_MODEL (default
// "mock") and SWITCHYARD_API_KEY (sent as `Authorization: Bearer ...`)
// choose where, what and as whom.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"connectrpc.com/connect"
	switchyardv1 "github.com/switchyard-dev/switchyard/gen/go/switchyard/v1"
	"github.com/switchyard-dev/switchyard/gen/go/switchyard/v1/switchyardv1connect"
)

const deadline = 30 * time.Second

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "\n%v\n", err)
		os.Exit(1)
	}
}

func run() error {
	prompt := strings.Join(os.Args[1:], " ")
	if prompt == "" {
		prompt = "Say hello from Go"
	}
	// The Connect protocol over HTTP/1.1; add connect.WithGRPC() (and an h2c
	// http.Client) to speak gRPC instead.
	client := switchyardv1connect.NewInferenceServiceClient(http.DefaultClient, env("SWITCHYARD_URL", "http://localhost:4000"))
	request := func() *connect.Request[switchyardv1.CompletionRequest] {
		req := connect.NewRequest(&switchyardv1.CompletionRequest{
			Model:    env("SWITCHYARD_MODEL", "mock"),
			Messages: []*switchyardv1.Message{{Role: "user", Content: prompt}},
		})
		req.Header().Set("Authorization", "Bearer "+env("SWITCHYARD_API_KEY", "sk-example"))
		return req
	}

	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	reply, err := client.Complete(ctx, request())
	if err != nil {
		return err
	}
	fmt.Printf("Complete (%s/%s): %s\n", reply.Msg.GetProvider(), reply.Msg.GetModel(), reply.Msg.GetChoices()[0].GetMessage().GetContent())

	streamCtx, cancelStream := context.WithTimeout(context.Background(), deadline)
	defer cancelStream()
	stream, err := client.StreamComplete(streamCtx, request())
	if err != nil {
		return err
	}
	defer stream.Close()
	fmt.Print("StreamComplete: ")
	for stream.Receive() {
		chunk := stream.Msg()
		for _, choice := range chunk.GetChoices() {
			fmt.Print(choice.GetDelta().GetContent())
		}
		if usage := chunk.GetUsage(); usage != nil {
			fmt.Printf("\n[%d tokens, $%.6f]\n", usage.GetTotalTokens(), chunk.GetCostUsd())
		}
	}
	return stream.Err()
}

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
